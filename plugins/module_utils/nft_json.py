# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads `nft -j list ruleset` into the ruleset model.

Each match becomes atoms over the header fields of packet_space. What a rule looks at that this
reader cannot know (marks, random numbers, raw payload, iptables' opaque `xt` expressions...)
becomes a MAYBE atom, so the evaluator reports what it decides as unknown instead of guessing.
Statements are read from explicit lists (_VERDICTS, _NO_EFFECT, _HARMLESS_MANGLE and the cases of
_rule): any other statement makes the rule's verdict unknown, whatever else the rule says.
Rate limits, quotas and connection counts are read as not yet exceeded: the evaluated packet is the
first of one new connection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import re

from ansible_collections.bluemind.firewall.plugins.module_utils import exposure, packet_space as space
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import TABLE as OWN_TABLE
from ansible_collections.bluemind.firewall.plugins.module_utils.packet_space import (
    CT, DADDR, DPORT, EXTHDR, FAMILY, FLAGS, PROTO, SADDR, SPORT, TTL, TYPE, CODE,
)
from ansible_collections.bluemind.firewall.plugins.module_utils.ruleset import (
    ACCEPT, CONTINUE, DADDR_LOCAL, DROP, GOTO, IIF, JUMP, MAYBE, NEVER, NOTRACK, OIF, PKTTYPE, REDIRECT, REJECT,
    RETURN, RPF, SNAT, UNKNOWN, Chain, Names, Rule, Table, Values, any_of,
)

_VERDICTS = {'accept': ACCEPT, 'drop': DROP, 'reject': REJECT, 'return': RETURN, 'continue': CONTINUE,
             'queue': UNKNOWN, 'tproxy': UNKNOWN, 'synproxy': UNKNOWN, 'fwd': UNKNOWN,
             'snat': SNAT, 'masquerade': SNAT}
# Statements that change nothing this packet's path reads: counting and logging, offloading the
# later packets of a flow, a copy sent elsewhere (the packet itself goes on), a security mark, and
# helpers, timeouts and expectations that act on later and related packets only.
_NO_EFFECT = ('counter', 'log', 'flow', 'dup', 'secmark', 'ct helper', 'ct timeout', 'ct expectation', 'last')
# What a `mangle` statement may set without changing anything a match reads (marks are only ever
# read as MAYBE): meta and ct keys, and the header fields of packet_space no reader models.
_HARMLESS_MANGLE = {'meta': ('mark', 'priority', 'nftrace', 'secmark'),
                    'ct': ('mark', 'label', 'event', 'expiration', 'zone'),
                    'payload': (('ip', 'dscp'), ('ip', 'ecn'), ('ip6', 'dscp'), ('ip6', 'ecn'), ('ip6', 'flowlabel'))}
_FAMILIES = {'ip': 4, 'ip6': 6}
# Sets that rules add to whose elements are read as what they hold when listed: the collection's ban
# sets. A packet adds itself to one only when over its port's rate, which a first packet never is
# here (see _exceeded), so the listed bans are the bans it meets.
CURRENT_ELEMENTS = frozenset(('inet', OWN_TABLE, name) for name in exposure.set_names()[1].values())
_TRANSPORT = {'tcp': 6, 'udp': 17, 'sctp': 132, 'dccp': 33, 'udplite': 136}
_ICMP = {'icmp': (4, 1, space.ICMP_TYPES), 'icmpv6': (6, 58, space.ICMPV6_TYPES)}
_NFPROTO = {'ipv4': 4, 'ipv6': 6, 'ip': 4, 'ip6': 6}
_CT_NAMES = dict((name, index) for index, name in enumerate(space.CT_STATES))
_ADDRESS_KINDS = {4: 'ipv4', 6: 'ipv6'}
# nft prints a set statement's own statements (`update @meters { ip saddr limit rate over 10/minute }`)
# in its JSON from this version on; older ones (Debian 11's 0.9.8, Ubuntu 22.04's 1.0.2) leave them
# out, and only the text listing still shows whether the rule is a rate limit or a drop of everyone.
FULL_SET_STATEMENTS = (1, 0, 6)
_SET_CLAUSE = re.compile(r'\b(?:add|update|delete) @(\S+) \{([^{}]*)\}')
_OVER = re.compile(r'\b(?:limit rate|quota|ct count) over\b')


class _Field(object):
    """The left side of a match: prefix atoms (the header must exist), then a dimension whose
    values are numbers, addresses of a version, or names from a table."""

    def __init__(self, prefix, dim, kind='int', names=None, wrap=None):
        self.prefix = prefix
        self.dim = dim
        self.kind = kind
        self.names = names or {}
        # wrap: turns the (dim, values) atom into the atoms of a field that is not one header field for
        # every packet (`th dport`, `ip6 nexthdr`).
        self.wrap = wrap

    def atoms(self, values):
        atom = (self.dim, values)
        return self.prefix + (self.wrap(atom) if self.wrap else [atom])


_PORTS = space.interval_set((p, p) for p in space.PORT_PROTOCOLS)


def _transport_header(atom):
    # `th` reads the transport header at a fixed offset whatever the protocol: the port field for
    # the protocols with ports, other bytes (ICMP's checksum, ESP's SPI...) for the rest: unknown there.
    return [any_of([[(PROTO, _PORTS), atom], [(PROTO, space.subtract(space.full_range(PROTO), _PORTS)), MAYBE]])]


def _first_next_header(atom):
    # `ip6 nexthdr` is the fixed header's next-header field: the transport protocol only when no extension
    # header follows, else the first extension header's number. A Fragment header may be gone once the
    # packet is reassembled (before conntrack): unknown there.
    dummy, values = atom
    carried = [index for index, number in space.EXTHDR_NUMBERS.items()
               if index != space.EXTHDR_FRAGMENT and space.contains(values, number)]
    alternatives = [[(EXTHDR, space.single(space.EXTHDR_NONE)), atom],
                    [(EXTHDR, space.single(space.EXTHDR_FRAGMENT)), MAYBE]]
    if carried:
        alternatives.append([(EXTHDR, space.interval_set((index, index) for index in carried))])
    return [any_of(alternatives)]


class _Constant(object):
    """A field whose value is the same for every evaluated packet."""

    def __init__(self, prefix, value):
        self.prefix = prefix
        self.value = value


class _Concat(object):
    """A concatenation of header fields (`ip saddr . tcp dport`): its set's elements are boxes."""

    def __init__(self, fields):
        self.fields = fields
        self.prefix = [atom for field in fields for atom in field.prefix]

    def element_atoms(self, element):
        """The atoms of one element ({"concat": [...]}), None when a part cannot be read."""
        if isinstance(element, dict) and 'elem' in element:
            element = element['elem'].get('val')
        parts = element.get('concat') if isinstance(element, dict) else None
        if not isinstance(parts, list) or len(parts) != len(self.fields):
            return None
        atoms = []
        for field, part in zip(self.fields, parts):
            values = _intervals(field, Values([part]))
            if values is None:
                return None
            atoms.append((field.dim, values))
        return atoms

    def atoms(self, elements):
        alternatives = [self.element_atoms(element) for element in elements]
        if None in alternatives:
            return self.prefix + [MAYBE]
        return self.prefix + [any_of(alternatives)]


def _field(expression):
    """A _Field, a _Constant, a _Concat, ('iif'|'oif'|'fib', prefix) or None (cannot be known)."""
    if not isinstance(expression, dict):
        return None
    if 'concat' in expression and isinstance(expression['concat'], list):
        fields = [_field(item) for item in expression['concat']]
        if all(isinstance(item, _Field) and item.wrap is None for item in fields):
            return _Concat(fields)
        return None
    if 'payload' in expression:
        payload = expression['payload']
        protocol, name = payload.get('protocol'), payload.get('field')
        if protocol == 'th':
            if name in ('dport', 'sport'):
                return _Field([], DPORT if name == 'dport' else SPORT, wrap=_transport_header)
            return None
        if protocol in _TRANSPORT:
            prefix = [(PROTO, space.single(_TRANSPORT[protocol]))]
            if name in ('dport', 'sport'):
                return _Field(prefix, DPORT if name == 'dport' else SPORT)
            if protocol == 'tcp' and name == 'flags':
                return ('tcp flags', prefix)
            return None
        if protocol in _FAMILIES:
            version = _FAMILIES[protocol]
            prefix = [(FAMILY, space.single(version))]
            if name in ('saddr', 'daddr'):
                return _Field(prefix, SADDR if name == 'saddr' else DADDR, _ADDRESS_KINDS[version])
            if name == 'protocol':
                return _Field(prefix, PROTO, names=space.PROTOCOL_NUMBERS)
            if name == 'nexthdr':
                return _Field(prefix, PROTO, names=space.PROTOCOL_NUMBERS, wrap=_first_next_header)
            if name in ('ttl', 'hoplimit'):
                return _Field(prefix, TTL)
            return None
        if protocol in _ICMP:
            version, number, names = _ICMP[protocol]
            prefix = [(FAMILY, space.single(version)), (PROTO, space.single(number))]
            if name == 'type':
                return _Field(prefix, TYPE, names=names)
            if name == 'code':
                return _Field(prefix, CODE)
            return None
        return None
    if 'meta' in expression:
        key = expression['meta'].get('key')
        if key in ('iif', 'iifname'):
            return ('iif', [])
        if key in ('oif', 'oifname'):
            return ('oif', [])
        if key == 'l4proto':
            return _Field([], PROTO, names=space.PROTOCOL_NUMBERS)
        if key == 'nfproto':
            return _Field([], FAMILY, names=_NFPROTO)
        if key == 'pkttype':
            return ('pkttype', [])
        return None
    if 'ct' in expression:
        ct = expression['ct']
        if 'dir' not in ct and ct.get('key') == 'state':
            return _Field([], CT, names=_CT_NAMES)
        if 'dir' not in ct and ct.get('key') == 'direction':
            # Only a packet with a conntrack entry has a direction; on the others the match fails.
            return _Constant([(CT, space.CT_TRACKED)], 'original')
        return None
    if 'fib' in expression:
        fib = expression['fib']
        if fib.get('result') == 'type' and fib.get('flags') in (['daddr'], 'daddr'):
            return ('fib', [])
        # The reverse-path check (firewalld adds the mark; the main table is the only one read).
        if fib.get('result') == 'oif' and sorted(fib.get('flags') or []) in (['iif', 'saddr'], ['iif', 'mark', 'saddr']):
            return ('rpf', [])
        return None
    if '&' in expression and isinstance(expression['&'], list) and len(expression['&']) == 2:
        inner = _field(expression['&'][0])
        if isinstance(inner, tuple) and inner[0] == 'tcp flags':
            return ('tcp flags', inner[1], expression['&'][1])
        length = _prefix_length(expression['&'][1])
        if isinstance(inner, _Field) and inner.kind in ('ipv4', 'ipv6') and inner.wrap is None and length is not None:
            # An address cut to its network (the collection's bans key an IPv6 source by its /64).
            masked = _Field(inner.prefix, inner.dim, inner.kind)
            masked.prefix_length = length
            return masked
    return None


def _prefix_length(mask):
    """The prefix length of a netmask written as an address (ffff:ffff:ffff:ffff:: is 64), else None."""
    if not isinstance(mask, str):
        return None
    try:
        address = ipaddress.ip_address(mask)
    except ValueError:
        return None
    host_bits = ~int(address) & ((1 << address.max_prefixlen) - 1)
    # A netmask's host part is all ones: adding one leaves no bit in common with it.
    if host_bits & (host_bits + 1):
        return None
    return address.max_prefixlen - host_bits.bit_length()


def _elements(right, table):
    """A Values for the right side of a match; None when it names a set this table lacks."""
    if isinstance(right, str) and right.startswith('@'):
        return table.sets.get(right[1:])
    if isinstance(right, dict) and 'set' in right:
        return Values(right['set'] if isinstance(right['set'], list) else [right['set']])
    if isinstance(right, list):
        return Values(right)
    return Values([right])


def _raw_elements(right, table):
    """The elements of a set as nft -j lists them (for concatenations); None when not readable."""
    if isinstance(right, str) and right.startswith('@'):
        found = table.sets.get(right[1:])
        return None if found is None or found.updated else found.raw
    if isinstance(right, dict) and 'set' in right:
        return right['set'] if isinstance(right['set'], list) else [right['set']]
    return [right]


def _intervals(field, values):
    """The interval set of a field's values; None when an element cannot be read."""
    if values is None or values.opaque:
        return None
    if field.kind in ('ipv4', 'ipv6'):
        if values.kinds() - set([field.kind]):
            return None
        found = values.intervals(field.kind)
        length = getattr(field, 'prefix_length', None)
        if length is not None:
            # A masked address equals a value when the address lies in the value's network.
            host_bits = (1 << ((32 if field.kind == 'ipv4' else 128) - length)) - 1
            found = space.interval_set((first & ~host_bits, last | host_bits) for first, last in found)
        return found
    ranges = list(values.intervals('int'))
    for name in values.names:
        if name not in field.names:
            return None
        ranges.append((field.names[name], field.names[name]))
    if values.kinds() - set(['int', 'str']):
        return None
    return space.interval_set(ranges)


def _flag_value(item):
    """The bits of a flags value: a name, a number, a list or {"|": [...]} of them; None if unreadable."""
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return item
    if isinstance(item, str):
        return space.TCP_FLAG_BITS.get(item)
    parts = item if isinstance(item, list) else item.get('|') if isinstance(item, dict) else None
    if not isinstance(parts, list):
        return None
    bits = [_flag_value(part) for part in parts]
    return None if None in bits else sum(set(bits))


def _tcp_flags_atoms(field, op, right):
    """The TCP flag values a match takes, out of every value of the flags byte (the first packet
    is any of space.FIRST_PACKET_FLAGS)."""
    prefix = field[1]
    mask = _flag_value(field[2]) if len(field) == 3 else 0xff
    if isinstance(right, dict) and 'set' in right:
        members = [_flag_value(item) for item in (right['set'] if isinstance(right['set'], list) else [right['set']])]
        wanted = None if None in members else set(members)
        bits = None
    else:
        bits = _flag_value(right)
        wanted = None if bits is None else set([bits])
    if mask is None or wanted is None or op not in ('==', '!=', 'in'):
        return prefix + [MAYBE]
    if op == 'in' and bits is not None:
        # `tcp flags syn`: any of these bits set.
        taken = [value for value in range(256) if value & mask & bits]
    else:
        taken = [value for value in range(256) if ((value & mask) in wanted) != (op == '!=')]
    return prefix + [(FLAGS, space.interval_set((value, value) for value in taken))]


def _comparison(op, values, dim):
    """Interval set of the numbers that meet `field op value` for <, >, <=, >=."""
    full = space.full_range(dim, 6)
    number = values[0][0]
    low, high = full[0]
    bounds = {'<': (low, number - 1), '<=': (low, number), '>': (number + 1, high), '>=': (number, high)}
    first, last = bounds[op]
    return space.interval_set([(first, last)])


def match_atoms(match, table):
    """Atoms of one `match` expression."""
    field = _field(match.get('left'))
    op = match.get('op', '==')
    right = match.get('right')
    if field is None:
        return [MAYBE]
    if isinstance(field, _Concat):
        elements = _raw_elements(right, table)
        if elements is None or op not in ('==', 'in'):
            return field.prefix + [MAYBE]
        return field.atoms(elements)
    if isinstance(field, tuple):
        if field[0] == 'tcp flags':
            return _tcp_flags_atoms(field, op, right)
        if field[0] == 'rpf':
            if isinstance(right, bool) and op in ('==', '!='):
                return [(RPF, (right is False) == (op == '=='))]
            return [MAYBE]
        values = _elements(right, table)
        if values is None or values.opaque or op not in ('==', 'in', '!='):
            return [MAYBE]
        names = list(values.names) + [str(item[0]) for item in values.intervals('int')]
        if field[0] == 'fib':
            return [(DADDR_LOCAL, (frozenset(names), op == '!='))]
        if field[0] == 'pkttype':
            return [(PKTTYPE, (frozenset(names), op == '!='))]
        patterns = Names(names, op == '!=')
        return [(IIF if field[0] == 'iif' else OIF, patterns)]
    if isinstance(field, _Constant):
        values = _elements(right, table)
        if values is None or values.opaque:
            return [MAYBE]
        found = field.value in values.names
        if op == '!=':
            found = not found
        return field.prefix + ([] if found else [NEVER])
    values = _intervals(field, _elements(right, table))
    if values is None:
        return field.prefix + [MAYBE]
    if op in ('==', 'in'):
        return field.atoms(values)
    if op == '!=':
        return field.atoms(space.subtract(space.full_range(field.dim, 6), values))
    if op in ('<', '<=', '>', '>=') and len(values) == 1 and values[0][0] == values[0][1]:
        return field.atoms(_comparison(op, values, field.dim))
    return field.prefix + [MAYBE]


def _exceeded(argument):
    """A limit, quota or connection count reads as not exceeded; the "over" form then never matches."""
    return isinstance(argument, dict) and bool(argument.get('inv'))


def _version(document):
    info = next((item['metainfo'] for item in document.get('nftables', [])
                 if isinstance(item, dict) and isinstance(item.get('metainfo'), dict)), {})
    numbers = re.findall(r'\d+', str(info.get('version', '')))
    return tuple(int(number) for number in numbers[:3]) or None


def lists_set_statements_partly(document):
    """Whether this `nft -j list ruleset` comes from an nft that leaves set statements' own statements
    out (or does not say its version): the rules' text listing is then needed to read them."""
    if isinstance(document, str):
        document = json.loads(document) if document.strip() else {}
    version = _version(document) if isinstance(document, dict) else None
    return version is None or version < FULL_SET_STATEMENTS


def rule_texts(listing):
    """{(family, table, handle): rule} of an `nft -a list ruleset` text listing."""
    found = {}
    table = None
    in_chain = False
    for line in (listing or '').splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == 'table':
            table, in_chain = (words[1], words[2]), False
        elif words[:1] == ['chain']:
            in_chain = True
        elif words[:1] == ['}']:
            in_chain = False
        elif in_chain and table:
            match = re.match(r'\s*(.*?)\s*# handle (\d+)\s*$', line)
            if match:
                found[table + (int(match.group(2)),)] = match.group(1)
    return found


def _lost_statements(name, text, index):
    """What the index-th set statement of a rule whose JSON lost its statements adds to the rule: NEVER
    when its text limits it (`limit rate over`...: a first packet is never over), nothing when its text
    holds no such condition, MAYBE when the text is not known."""
    clauses = _SET_CLAUSE.findall(text or '')
    if index >= len(clauses) or clauses[index][0].lstrip('@') != name.lstrip('@'):
        return [MAYBE]
    return [NEVER] if _OVER.search(clauses[index][1]) else []


def _nested_statements(argument):
    if not isinstance(argument, dict):
        return []
    found = argument.get('stmt') or []
    return found if isinstance(found, list) else [found]


def _nat_target(name, argument):
    """(address or None or 'local', port or None) of a dnat/redirect statement, None if unreadable."""
    argument = argument if isinstance(argument, dict) else {}
    port = argument.get('port')
    if port is not None and not isinstance(port, int):
        if isinstance(port, dict) and 'range' in port:
            port = port['range'][0]
        else:
            return None
    if name == 'redirect':
        return ('local', port)
    address = argument.get('addr')
    if address is not None and not isinstance(address, str):
        return None
    return (address, port)


def _verdict_map(vmap, table):
    """(key atoms prefix, branches, guess) of a vmap statement."""
    field = _field(vmap.get('key'))
    data = vmap.get('data')
    elements = []
    if isinstance(data, str) and data.startswith('@') and data[1:] in table.sets:
        elements = table.sets[data[1:]].map_elements
    elif isinstance(data, dict) and isinstance(data.get('set'), list):
        elements = data['set']
    branches = []
    for element in elements:
        if not (isinstance(element, list) and len(element) == 2 and isinstance(element[1], dict)):
            branches.append(([MAYBE], UNKNOWN, None))
            continue
        key, verdict = element
        (name, argument), = verdict.items()
        kind = _VERDICTS.get(name, JUMP if name == 'jump' else GOTO if name == 'goto' else UNKNOWN)
        target = argument.get('target') if isinstance(argument, dict) else None
        if isinstance(field, _Concat):
            atoms = field.element_atoms(key)
            branches.append(([MAYBE] if atoms is None else atoms, kind, target))
            continue
        if field is None or isinstance(field, (tuple, _Constant)):
            branches.append(([], kind, target))
            continue
        values = _intervals(field, Values([key]))
        branches.append(([MAYBE] if values is None else field.atoms(values)[len(field.prefix):], kind, target))
    if field is None or isinstance(field, (tuple, _Constant)):
        return [], branches, True
    return list(field.prefix), branches, False


def _harmless_mangle(argument):
    key = (argument or {}).get('key') if isinstance(argument, dict) else None
    if not isinstance(key, dict) or len(key) != 1:
        return False
    (kind, body), = key.items()
    if kind == 'payload':
        return (body.get('protocol'), body.get('field')) in _HARMLESS_MANGLE['payload']
    return kind in _HARMLESS_MANGLE and isinstance(body, dict) and body.get('key') in _HARMLESS_MANGLE[kind]


def _updated_sets(items):
    """(family, table, set) of the sets rules add to or update: what they hold depends on the packets
    seen, so a match on them is unknown."""
    found = set()
    for item in items:
        body = item.get('rule') if isinstance(item, dict) else None
        for statement in (body or {}).get('expr', []):
            if isinstance(statement, dict):
                for name in ('set', 'map', 'meter'):
                    argument = statement.get(name)
                    if isinstance(argument, dict) and isinstance(argument.get('set'), str):
                        found.add((body.get('family'), body.get('table'), argument['set'].lstrip('@')))
    return found


def _rule(item, table, position, lossy=False, text=None):
    """lossy: the JSON comes from an nft that leaves set statements' own statements out; text: this
    rule's text listing, which still has them."""
    atoms = []
    set_statements = 0
    verdict = target = nat = None
    branches = None
    guess = False
    # A statement not modelled makes the verdict unknown even when the rule goes on to accept or drop.
    opaque = False
    effects = []
    for statement in item.get('expr', []):
        if not isinstance(statement, dict) or len(statement) != 1:
            atoms.append(MAYBE)
            opaque = True
            continue
        (name, argument), = statement.items()
        if name == 'match':
            atoms.extend(match_atoms(argument, table))
        elif name in ('jump', 'goto'):
            verdict, target = (JUMP if name == 'jump' else GOTO), argument.get('target')
        elif name in ('dnat', 'redirect'):
            verdict, nat = REDIRECT, _nat_target(name, argument)
            family = argument.get('family') if isinstance(argument, dict) else None
            if family in _FAMILIES:
                # `dnat ip to` in an inet table: the other family's packets go on as if it were not there.
                branches = [([(FAMILY, space.single(_FAMILIES[family]))], REDIRECT, None)]
        elif name in _VERDICTS:
            verdict = _VERDICTS[name]
        elif name == 'vmap':
            prefix, branches, guess = _verdict_map(argument, table)
            atoms.extend(prefix)
        elif name in ('limit', 'quota', 'ct count'):
            if not isinstance(argument, dict):
                atoms.append(MAYBE)   # a named limit or quota object: whether it is over is not known
            elif _exceeded(argument):
                atoms.append(NEVER)
        elif name == 'set' and lossy and isinstance(argument, dict) and 'stmt' not in argument:
            atoms.extend(_lost_statements(str(argument.get('set', '')), text, set_statements))
            set_statements += 1
        elif name in ('meter', 'set', 'map'):
            set_statements += name == 'set'
            if any(isinstance(inner, dict) and any(_exceeded(value) for value in inner.values())
                   for inner in _nested_statements(argument)):
                atoms.append(NEVER)
        elif name == 'xt':
            atoms.append(MAYBE)
            if (argument or {}).get('type') == 'target':
                opaque = True
        elif name == 'notrack':
            effects.append(NOTRACK)
        elif name == 'mangle' and _harmless_mangle(argument):
            continue
        elif name not in _NO_EFFECT:
            # Not modelled (a payload or TTL rewrite, an unknown statement): what follows is unknown.
            opaque = True
    if effects and verdict is None:
        verdict = NOTRACK
    elif effects:
        opaque = True        # notrack then a verdict in one rule: not modelled
    if opaque:
        verdict, target, nat, branches, guess = UNKNOWN, None, None, None, False
    rule = Rule(atoms, verdict, target, text=rule_text(item), position=position, branches=branches,
                guess=guess, nat=nat)
    return rule


class _NamedSet(Values):
    """A named set; a map (its body has a "map" data type) keeps its [key, value] pairs."""

    def __init__(self, item):
        elements = item.get('elem', [])
        super(_NamedSet, self).__init__([element[0] if isinstance(element, list) else element
                                         for element in elements] if 'map' in item else elements)
        self.map_elements = elements if 'map' in item else []
        self.raw = [element[0] if isinstance(element, list) else element for element in elements]
        self.updated = False


def key_of(body):
    return (body.get('family'), body.get('table'))


def chain_devices(text):
    """{((family, table), chain): [device, ...]} of the ingress chains in `nft list chains`: nft's
    JSON output of some versions (1.0.6 among them) leaves out the device an ingress chain is bound to."""
    found = {}
    table = chain = None
    for line in (text or '').splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == 'table':
            table = (words[1], words[2])
        elif len(words) >= 2 and words[0] == 'chain':
            chain = words[1]
        elif 'hook ingress' in line and table and chain:
            match = re.search(r'devices? = \{([^}]*)\}|device "?([^" ;]+)"?', line)
            if match:
                listed = match.group(1) if match.group(1) is not None else match.group(2)
                found[table, chain] = [item.strip().strip('"') for item in listed.split(',') if item.strip()]
    return found


def read_tables(document, skip=(), devices=None, texts=None):
    """Tables of a parsed `nft -j list ruleset`. skip: (family, name) pairs read elsewhere; devices:
    what chain_devices() read, for the ingress chains whose device the JSON does not give; texts: what
    rule_texts() read, for the set statements an older nft's JSON leaves incomplete."""
    if isinstance(document, str):
        document = json.loads(document) if document.strip() else {}
    lossy = lists_set_statements_partly(document) if isinstance(document, dict) else False
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
            dev = body.get('dev') or (devices or {}).get((key_of(body), body['name'])) or ()
            table.chains[body['name']] = Chain(body['name'], body.get('hook'), body.get('prio', 0),
                                               body.get('policy', ACCEPT), body.get('type', 'filter'),
                                               [dev] if isinstance(dev, str) else dev)
        elif kind in ('set', 'map'):
            table.sets[body['name']] = _NamedSet(body)
    for family, name, updated in _updated_sets(items):
        found = tables.get((family, name))
        if (family, name, updated) in CURRENT_ELEMENTS:
            continue
        if found is not None and updated in found.sets:
            found.sets[updated].opaque = found.sets[updated].updated = True
    for item in items:
        body = item.get('rule') if isinstance(item, dict) else None
        if not body:
            continue
        table = tables.get((body.get('family'), body.get('table')))
        chain = table.chains.get(body.get('chain')) if table else None
        if chain is not None:
            text = (texts or {}).get((body.get('family'), body.get('table'), body.get('handle')))
            chain.rules.append(_rule(body, table, 'handle %s' % body.get('handle'), lossy, text))
    return list(tables.values())


def _text(expression):
    if isinstance(expression, dict):
        if 'payload' in expression:
            payload = expression['payload']
            return '%s %s' % (payload.get('protocol', payload.get('base')), payload.get('field', ''))
        if 'set' in expression:
            return '{ %s }' % ', '.join(_text(item) for item in expression['set'])
        if 'concat' in expression and isinstance(expression['concat'], list):
            return ' . '.join(_text(item) for item in expression['concat'])
        if 'range' in expression:
            return '%s-%s' % tuple(expression['range'])
        if 'prefix' in expression:
            return '%s/%s' % (expression['prefix']['addr'], expression['prefix']['len'])
        binary = [name for name in ('&', '|', '^', '<<', '>>') if isinstance(expression.get(name), list)]
        if binary and len(expression) == 1:
            return (' %s ' % binary[0]).join(_text(item) for item in expression[binary[0]])
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
            right = argument.get('right')
            words.append('%s %s%s' % (_text(argument.get('left')), '' if op in ('==', 'in') else op + ' ',
                                      ('exists' if right else 'missing') if isinstance(right, bool) else _text(right)))
        elif name in ('jump', 'goto'):
            words.append('%s %s' % (name, argument.get('target')))
        elif name == 'vmap':
            data = argument.get('data')
            pairs = data.get('set') if isinstance(data, dict) else None
            words.append('%s vmap %s' % (_text(argument.get('key')), '{ %s }' % ', '.join(
                '%s : %s' % (_text(pair[0]), _text(pair[1])) for pair in pairs) if isinstance(pairs, list) else data))
        elif name in ('dnat', 'redirect') and isinstance(argument, dict):
            target = '%s%s' % (argument.get('addr', ''), ':%s' % argument['port'] if 'port' in argument else '')
            words.append('%s to %s' % (name, target))
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
