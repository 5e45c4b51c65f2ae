# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inbound netfilter path of a host as data, and what it does to one new connection.

The readers (nft_json, iptables_save) turn a live ruleset into Tables of Chains of Rules. A rule's
conditions answer True, False or None for a Packet: None means the rule cannot be evaluated
exactly (a rate limit, a random number, an unknown match). The evaluator follows every path such a
rule opens, so a verdict is only given when all paths agree; otherwise it is "unknown", never a
guess.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bisect
import ipaddress

# Verdict kinds of a rule or a chain policy.
ACCEPT = 'accept'
DROP = 'drop'
REJECT = 'reject'
RETURN = 'return'
JUMP = 'jump'
GOTO = 'goto'
CONTINUE = 'continue'
REDIRECT = 'redirect'   # DNAT or redirect: the packet leaves the path this module evaluates
UNKNOWN = 'unknown'     # a verdict the evaluator cannot predict (queue to user space, unknown statement)

# Verdicts of a whole path.
OPEN = 'open'
CLOSED = 'closed'
REDIRECTED = 'redirected'
UNDECIDED = 'unknown'

# Traversal order of the hooks an inbound packet to this host goes through.
HOOK_ORDER = {'ingress': 0, 'prerouting': 1, 'input': 2}
FAMILY_TABLES = {'ipv4': ('ip', 'inet', 'netdev'), 'ipv6': ('ip6', 'inet', 'netdev')}
MAX_DEPTH = 64
LOOPBACK = 'lo'


class Absent(object):
    """A header field the packet does not have (udp dport of a TCP packet): the match is false."""


class Unknowable(object):
    """A field whose value is not known for the evaluated packet: the match cannot be decided."""


ABSENT = Absent()
UNKNOWABLE = Unknowable()


def all_of(results):
    """Three-valued AND: False wins, then None (cannot tell), then True."""
    answer = True
    for result in results:
        if result is False:
            return False
        if result is None:
            answer = None
    return answer


def negate(result):
    return None if result is None else not result


def value_key(value):
    """(kind, number) for comparisons: ports and protocol numbers, IPv4, IPv6; strings as themselves."""
    if isinstance(value, bool):
        return ('str', str(value).lower())
    if isinstance(value, int):
        return ('int', value)
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return ('ipv%d' % value.version, int(value))
    text = str(value).strip()
    if text.isdigit():
        return ('int', int(text))
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return ('str', text.lower())
    return ('ipv%d' % address.version, int(address))


class Values(object):
    """A set of values, ranges and prefixes, as nft sets and iptables address lists hold them."""

    def __init__(self, elements=()):
        self._ranges = {}
        self._names = set()
        self.opaque = False
        self._sorted = None
        for element in elements:
            self.add(element)

    def add_range(self, first, last):
        kind, low = value_key(first)
        last_kind, high = value_key(last)
        if kind != last_kind or kind == 'str':
            self.opaque = True
            return
        self._ranges.setdefault(kind, []).append((low, high))
        self._sorted = None

    def add_network(self, text):
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            self.opaque = True
            return
        self.add_range(network.network_address, network.broadcast_address)

    def add(self, element):
        """An element: a scalar, or nft's {"range": [a, b]}, {"prefix": {...}}, {"elem": {"val": x}}."""
        if isinstance(element, dict):
            if 'elem' in element:
                self.add(element['elem'].get('val'))
            elif 'range' in element:
                self.add_range(*element['range'])
            elif 'prefix' in element:
                self.add_network('%s/%s' % (element['prefix']['addr'], element['prefix']['len']))
            else:
                self.opaque = True
            return
        if isinstance(element, (list, tuple)):
            self.opaque = True     # concatenations: not evaluated
            return
        kind, number = value_key(element)
        if kind == 'str':
            self._names.add(number)
        else:
            self.add_range(element, element)

    def _index(self):
        if self._sorted is None:
            self._sorted = {}
            for kind, ranges in self._ranges.items():
                merged = []
                for low, high in sorted(ranges):
                    if merged and low <= merged[-1][1] + 1:
                        merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
                    else:
                        merged.append((low, high))
                self._sorted[kind] = ([low for low, dummy in merged], merged)
        return self._sorted

    def only_names(self, names):
        """True when the set holds nothing but some of these names."""
        return not self.opaque and not self._ranges and self._names <= set(names)

    def contains(self, value):
        """True, False, or None when the set holds elements this module does not evaluate."""
        kind, number = value_key(value)
        if kind == 'str':
            found = number in self._names
        else:
            starts, ranges = self._index().get(kind, ((), ()))
            position = bisect.bisect_right(starts, number) - 1
            found = position >= 0 and ranges[position][0] <= number <= ranges[position][1]
        if not found and self.opaque:
            return None
        return found


class Packet(object):
    """The first packet (TCP SYN, or a UDP datagram) of a new inbound connection to this host."""

    def __init__(self, family, proto, dport, saddr, daddr=None, iif=None):
        self.family = family                  # 'ipv4' or 'ipv6'
        self.proto = proto                    # 'tcp' or 'udp'
        self.dport = dport
        self.saddr = ipaddress.ip_address(saddr)
        self.daddr = ipaddress.ip_address(daddr) if daddr else None
        self.iif = iif                        # input interface name, None when not known (never lo)

    def __repr__(self):
        return 'Packet(%s %s/%d from %s)' % (self.family, self.proto, self.dport, self.saddr)


def reads_source(function):
    """Marks a condition (or verdict-map lookup) whose answer depends on the source address: the
    evaluator groups sources that every such condition answers alike, and evaluates one of each."""
    function.reads_source = True
    return function


def interface_matches(pattern, name):
    """iptables and nft interface names; a trailing + (iptables) or * (nft) is a prefix wildcard.

    name None: not known, but never loopback, as the evaluated sources are not this host's addresses."""
    if name is None:
        return False if pattern == LOOPBACK else None
    if pattern.endswith('+') or pattern.endswith('*'):
        return name.startswith(pattern[:-1])
    return name == pattern


class Rule(object):
    """conditions: callables packet -> True/False/None. verdict: a kind above or None (no verdict:
    counters, logging). choices: for verdict maps, a callable packet -> [(match, kind, target)]."""

    def __init__(self, conditions, verdict, target=None, text='', position=None, choices=None):
        self.conditions = conditions
        self.verdict = verdict
        self.target = target
        self.text = text
        self.position = position
        self.choices = choices

    def matches(self, packet):
        return all_of(condition(packet) for condition in self.conditions)

    def options(self, packet):
        if self.choices is not None:
            base = self.matches(packet)
            if base is False:
                return []
            return [(all_of((base, match)), kind, target) for match, kind, target in self.choices(packet)]
        if self.verdict is None:
            return []
        return [(self.matches(packet), self.verdict, self.target)]


class Chain(object):
    def __init__(self, name, hook=None, priority=0, policy=ACCEPT, kind='filter'):
        self.name = name
        self.hook = hook
        self.priority = priority
        self.policy = policy
        self.kind = kind
        self.rules = []


class Table(object):
    """family: nft's family (ip, ip6, inet, netdev); source: 'nft' or 'iptables-save'."""

    def __init__(self, family, name, source):
        self.family = family
        self.name = name
        self.source = source
        self.chains = {}
        self.sets = {}

    @property
    def label(self):
        return '%s %s' % (self.family, self.name)


class Outcome(object):
    """Where one path through the rules ends. where: (table, chain, rule or None for the policy)."""

    __slots__ = ('kind', 'where', 'doubt')

    def __init__(self, kind, where, doubt):
        self.kind = kind
        self.where = where
        self.doubt = doubt


def describe(where):
    """{'table', 'chain', 'rule', 'position'} of a deciding rule, for reports."""
    if where is None:
        return {'table': None, 'chain': None, 'position': None,
                'rule': 'no base chain on the input path drops it (netfilter accepts by default)'}
    table, chain, rule = where
    if rule is None:
        return {'table': table.label, 'chain': chain.name, 'position': None, 'rule': 'policy %s' % chain.policy}
    return {'table': table.label, 'chain': chain.name, 'position': rule.position, 'rule': rule.text}


class Decision(object):
    def __init__(self, verdict, where, doubt=None):
        self.verdict = verdict
        self.where = where
        self.doubt = doubt

    def report(self):
        details = describe(self.doubt if self.verdict == UNDECIDED and self.doubt else self.where)
        details['verdict'] = self.verdict
        return details


def base_chains(tables, family):
    """(table, chain) of every base chain an inbound packet of this family meets, in traversal order."""
    found = []
    for table in tables:
        if table.family not in FAMILY_TABLES[family]:
            continue
        for chain in table.chains.values():
            if chain.hook in HOOK_ORDER and chain.kind in ('filter', 'nat'):
                found.append((HOOK_ORDER[chain.hook], chain.priority, table.label, chain.name, table, chain))
    found.sort(key=lambda item: item[:4])
    return [(item[4], item[5]) for item in found]


class Evaluator(object):
    """Follows one packet through the base chains of a set of tables."""

    def __init__(self, tables, family):
        self.family = family
        self.chains = base_chains(tables, family)
        self._source_tests = []
        self._source_maps = False
        for table in tables:
            if table.family in FAMILY_TABLES[family]:
                for chain in table.chains.values():
                    for rule in chain.rules:
                        self._source_tests.extend(c for c in rule.conditions if getattr(c, 'reads_source', False))
                        self._source_maps |= getattr(rule.choices, 'reads_source', False)

    def source_class(self, source, interface):
        """A key equal for two sources exactly when the rules cannot tell them apart."""
        if self._source_maps:
            return (interface, source)
        probe = Packet(self.family, 'tcp', 0, source, None, interface)
        return (interface,) + tuple(test(probe) for test in self._source_tests)

    def _run(self, table, chain, packet, doubt, depth):
        outcomes = []
        for rule in chain.rules:
            options = rule.options(packet)
            resume = []
            if not any(match is True for match, dummy, dummy in options):
                uncertain = any(match is None for match, dummy, dummy in options)
                resume.append(doubt or ((table, chain, rule) if uncertain else None))
            for match, kind, target in options:
                if match is False or kind is None:
                    continue
                branch_doubt = doubt if match else (doubt or (table, chain, rule))
                ended, resumed = self._apply(table, chain, rule, kind, target, packet, branch_doubt, depth)
                outcomes.extend(ended)
                resume.extend(resumed)
            if not resume:
                return outcomes
            doubt = next((item for item in resume if item is not None), None)
        outcomes.append(Outcome(chain.policy if chain.hook else RETURN, (table, chain, None), doubt))
        return outcomes

    def _apply(self, table, chain, rule, kind, target, packet, doubt, depth):
        """(outcomes that end here, doubts under which the chain goes on after this rule)."""
        where = (table, chain, rule)
        if kind == CONTINUE:
            return [], [doubt]
        if kind in (JUMP, GOTO):
            called = table.chains.get(target)
            if called is None or depth >= MAX_DEPTH:
                return [Outcome(UNKNOWN, where, doubt or where)], []
            results = self._run(table, called, packet, doubt, depth + 1)
            if kind == GOTO:
                return results, []
            return ([item for item in results if item.kind != RETURN],
                    [item.doubt for item in results if item.kind == RETURN])
        return [Outcome(kind, where, doubt or (where if kind == UNKNOWN else None))], []

    def decide(self, packet):
        finals = []
        passing = [Outcome(ACCEPT, None, None)]
        for table, chain in self.chains:
            passing = []
            for outcome in self._run(table, chain, packet, None, 0):
                if outcome.kind == RETURN:     # a return in a base chain applies its policy
                    outcome = Outcome(chain.policy, (table, chain, None), outcome.doubt)
                if outcome.kind == ACCEPT:
                    passing.append(outcome)
                elif outcome.kind == UNKNOWN:
                    # Either dropped here or let through: both paths stay open.
                    finals.append(Outcome(CLOSED, outcome.where, outcome.where))
                    passing.append(Outcome(ACCEPT, outcome.where, outcome.where))
                elif outcome.kind in (DROP, REJECT):
                    finals.append(Outcome(CLOSED, outcome.where, outcome.doubt))
                else:
                    finals.append(Outcome(REDIRECTED, outcome.where, outcome.doubt))
            if not passing:
                break
        if passing:
            last = passing[-1]
            finals.append(Outcome(OPEN, last.where if self.chains else None, last.doubt))
        kinds = set(item.kind for item in finals)
        doubt = next((item.doubt for item in finals if item.doubt is not None), None)
        if len(kinds) == 1:
            certain = [item for item in finals if item.doubt is None] or finals
            return Decision(finals[0].kind, certain[0].where, doubt)
        return Decision(UNDECIDED, doubt or finals[0].where, doubt or finals[0].where)
