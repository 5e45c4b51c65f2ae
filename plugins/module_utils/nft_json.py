# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads `nft -j list ruleset` into the ruleset model.

What a rule matches on that this reader does not know (numgen, marks, rate limits, iptables' opaque
`xt` expressions...) becomes a condition that answers None, so the evaluator reports the ports it
can touch as unknown instead of guessing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.bluemind.firewall.plugins.module_utils.ruleset import (
    ABSENT, ACCEPT, CONTINUE, DROP, GOTO, JUMP, LOOPBACK, REDIRECT, REJECT, RETURN, UNKNOWABLE, UNKNOWN,
    Chain, Rule, Table, Values, negate, reads_source,
)

_TRANSPORT = ('tcp', 'udp')
# Headers a TCP or UDP packet does not carry: a match on them is false.
_OTHER_HEADERS = ('icmp', 'icmpv6', 'igmp', 'sctp', 'dccp', 'esp', 'ah', 'comp', 'udplite', 'gre', 'arp')
_NO_VERDICT = ('counter', 'log', 'meta', 'ct', 'mangle', 'set', 'map', 'notrack', 'flow', 'snat',
               'masquerade', 'dup', 'fwd', 'secmark', 'tcp option', 'connlimit')
_VERDICTS = {'accept': ACCEPT, 'drop': DROP, 'reject': REJECT, 'return': RETURN, 'continue': CONTINUE,
             'queue': UNKNOWN, 'dnat': REDIRECT, 'redirect': REDIRECT, 'tproxy': UNKNOWN,
             'synproxy': UNKNOWN}


def _payload(protocol, field):
    """A getter for a header field of the evaluated packet."""
    if protocol in _TRANSPORT or protocol == 'th':
        def transport(packet):
            if packet.proto != protocol and protocol != 'th':
                return ABSENT
            return packet.dport if field == 'dport' else UNKNOWABLE   # source ports are ephemeral
        return transport
    if protocol in ('ip', 'ip6'):
        family = 'ipv4' if protocol == 'ip' else 'ipv6'
        protocol_field = 'protocol' if protocol == 'ip' else 'nexthdr'

        def network(packet):
            if packet.family != family:
                return ABSENT
            if field == 'daddr':
                return packet.daddr if packet.daddr is not None else UNKNOWABLE
            if field == protocol_field:
                return packet.proto
            return UNKNOWABLE
        if field == 'saddr':
            return reads_source(lambda packet: packet.saddr if packet.family == family else ABSENT)
        return network
    if protocol in _OTHER_HEADERS:
        return lambda packet: ABSENT
    return lambda packet: UNKNOWABLE


# An input interface that is not known, but is not loopback (the sources are remote).
REMOTE_INTERFACE = object()
_META = {
    'iif': lambda packet: packet.iif if packet.iif is not None else REMOTE_INTERFACE,
    'iifname': lambda packet: packet.iif if packet.iif is not None else REMOTE_INTERFACE,
    'l4proto': lambda packet: packet.proto,
    'nfproto': lambda packet: packet.family,
    'protocol': lambda packet: 'ip' if packet.family == 'ipv4' else 'ip6',
    'pkttype': lambda packet: 'host',
}


def _left(expression):
    """A getter packet -> value, ABSENT or UNKNOWABLE for the left side of a match."""
    if not isinstance(expression, dict):
        return lambda packet: UNKNOWABLE
    if 'payload' in expression:
        payload = expression['payload']
        if 'protocol' in payload:
            return _payload(payload['protocol'], payload.get('field'))
    elif 'meta' in expression:
        return _META.get(expression['meta'].get('key'), lambda packet: UNKNOWABLE)
    elif 'ct' in expression:
        ct = expression['ct']
        if 'dir' not in ct and ct.get('key') == 'state':
            return lambda packet: 'new'
        if 'dir' not in ct and ct.get('key') == 'direction':
            return lambda packet: 'original'
    elif 'fib' in expression:
        fib = expression['fib']
        if fib.get('result') == 'type' and 'daddr' in fib.get('flags', ()) and 'saddr' not in fib.get('flags', ()):
            return lambda packet: 'local'
    return lambda packet: UNKNOWABLE


def _values(right, table):
    """A Values for the right side of a match; None when it names a set this table lacks."""
    if isinstance(right, str) and right.startswith('@'):
        return table.sets.get(right[1:])
    if isinstance(right, dict) and 'set' in right:
        return Values(right['set'] if isinstance(right['set'], list) else [right['set']])
    if isinstance(right, list):
        return Values(right)
    return Values([right])


def _compare(op, value, values):
    if op in ('==', 'in'):
        return values.contains(value)
    if op == '!=':
        return negate(values.contains(value))
    return None


def _match(match, table):
    getter = _left(match.get('left'))
    op = match.get('op', '==')
    values = _values(match.get('right'), table)

    def condition(packet):
        value = getter(packet)
        if value is ABSENT:
            return False
        if value is UNKNOWABLE or values is None:
            return None
        if value is REMOTE_INTERFACE:
            return (op == '!=') if op in ('==', 'in', '!=') and values.only_names((LOOPBACK,)) else None
        return _compare(op, value, values)
    condition.reads_source = getattr(getter, 'reads_source', False)
    return condition


def _verdict_map(statement, table):
    """Choices packet -> [(match, kind, target)] of a `vmap` statement."""
    vmap = statement['vmap']
    getter = _left(vmap.get('key'))
    data = vmap.get('data')
    elements = []
    if isinstance(data, str) and data.startswith('@') and data[1:] in table.sets:
        elements = table.sets[data[1:]].map_elements
    elif isinstance(data, dict) and isinstance(data.get('set'), list):
        elements = data['set']
    choices = []
    for element in elements:
        if not (isinstance(element, list) and len(element) == 2 and isinstance(element[1], dict)):
            choices.append((Values(), UNKNOWN, None))
            continue
        key, verdict = element
        (name, argument), = verdict.items()
        kind = _VERDICTS.get(name, JUMP if name == 'jump' else GOTO if name == 'goto' else UNKNOWN)
        target = argument.get('target') if isinstance(argument, dict) else None
        choices.append((Values([key]), kind, target))

    def options(packet):
        value = getter(packet)
        if value is ABSENT:
            return []
        if value is UNKNOWABLE:
            return [(None, kind, target) for dummy, kind, target in choices]
        return [(values.contains(value), kind, target) for values, kind, target in choices]
    if getattr(getter, 'reads_source', False):
        reads_source(options)
    return options


def _rule(item, table, position):
    conditions = []
    verdict = target = choices = None
    opaque = False
    for statement in item.get('expr', []):
        if not isinstance(statement, dict) or len(statement) != 1:
            opaque = True
            continue
        (name, argument), = statement.items()
        if name == 'match':
            conditions.append(_match(argument, table))
        elif name in ('jump', 'goto'):
            verdict, target = (JUMP if name == 'jump' else GOTO), argument.get('target')
        elif name in _VERDICTS:
            verdict = _VERDICTS[name]
        elif name == 'vmap':
            choices = _verdict_map(statement, table)
        elif name in ('limit', 'quota'):
            conditions.append(lambda packet: None)     # depends on the traffic seen so far
        elif name not in _NO_VERDICT:
            opaque = True                              # xt, numgen, ... : not evaluated
    if opaque:
        conditions.append(lambda packet: None)
        if verdict is None and choices is None:
            verdict = UNKNOWN
    return Rule(conditions, verdict, target, text=rule_text(item), position=position, choices=choices)


class _NamedSet(Values):
    """A named set; a map (its body has a "map" data type) keeps its [key, value] pairs."""

    def __init__(self, item):
        elements = item.get('elem', [])
        super(_NamedSet, self).__init__([element[0] if isinstance(element, list) else element
                                         for element in elements] if 'map' in item else elements)
        self.map_elements = elements if 'map' in item else []


def read_tables(document, skip=()):
    """Tables of a parsed `nft -j list ruleset`. skip: (family, name) pairs read elsewhere."""
    if isinstance(document, str):
        document = json.loads(document) if document.strip() else {}
    items = document.get('nftables', []) if isinstance(document, dict) else []
    tables = {}
    for item in items:
        if 'table' in item:
            key = (item['table']['family'], item['table']['name'])
            if key not in skip:
                tables[key] = Table(key[0], key[1], 'nft')
    for item in items:
        kind = next(iter(item)) if isinstance(item, dict) and item else None
        body = item.get(kind) if kind else None
        table = tables.get((body.get('family'), body.get('table'))) if isinstance(body, dict) else None
        if table is None:
            continue
        if kind == 'chain':
            table.chains[body['name']] = Chain(body['name'], body.get('hook'), body.get('prio', 0),
                                               body.get('policy', ACCEPT), body.get('type', 'filter'))
        elif kind in ('set', 'map'):
            table.sets[body['name']] = _NamedSet(body)
    for item in items:
        body = item.get('rule') if isinstance(item, dict) else None
        if not body:
            continue
        table = tables.get((body.get('family'), body.get('table')))
        chain = table.chains.get(body.get('chain')) if table else None
        if chain is not None:
            chain.rules.append(_rule(body, table, 'handle %s' % body.get('handle')))
    return list(tables.values())


def _text(expression):
    if isinstance(expression, dict):
        if 'payload' in expression:
            payload = expression['payload']
            return '%s %s' % (payload.get('protocol', payload.get('base')), payload.get('field', ''))
        if 'set' in expression:
            return '{ %s }' % ', '.join(_text(item) for item in expression['set'])
        if 'range' in expression:
            return '%s-%s' % tuple(expression['range'])
        if 'prefix' in expression:
            return '%s/%s' % (expression['prefix']['addr'], expression['prefix']['len'])
        if len(expression) == 1:
            (name, argument), = expression.items()
            if isinstance(argument, dict) and 'key' in argument:
                return '%s %s' % (name, argument['key'])
            return name
    if isinstance(expression, list):
        return ', '.join(_text(item) for item in expression)
    return str(expression)


def rule_text(item):
    """An nft-like one-line rendering of a JSON rule, for reports (nft -j gives no text)."""
    words = []
    for statement in item.get('expr', []):
        if not isinstance(statement, dict) or len(statement) != 1:
            words.append(json.dumps(statement, sort_keys=True))
            continue
        (name, argument), = statement.items()
        if name == 'match':
            op = argument.get('op', '==')
            words.append('%s %s%s' % (_text(argument.get('left')), '' if op in ('==', 'in') else op + ' ',
                                      _text(argument.get('right'))))
        elif name in ('jump', 'goto'):
            words.append('%s %s' % (name, argument.get('target')))
        elif name == 'vmap':
            data = argument.get('data')
            pairs = data.get('set') if isinstance(data, dict) else None
            words.append('%s vmap %s' % (_text(argument.get('key')), '{ %s }' % ', '.join(
                '%s : %s' % (_text(pair[0]), _text(pair[1])) for pair in pairs) if isinstance(pairs, list) else data))
        elif name == 'counter':
            continue
        elif name in _VERDICTS or argument is None:
            words.append(name)
        else:
            words.append('%s %s' % (name, json.dumps(argument, sort_keys=True)))
    text = ' '.join(words)
    if item.get('comment'):
        text += ' comment "%s"' % item['comment']
    return text
