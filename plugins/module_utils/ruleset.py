# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inbound netfilter path of a host as data, and what it does to every new inbound connection.

The readers (nft_json, iptables_save) turn a live ruleset into Tables of Chains of Rules. A rule's
condition is a list of atoms, each "this header field is in this set" (packet_space), MAYBE when
the rule looks at something this module cannot know (a mark, a random number, an unknown match),
or ANY_OF alternatives (a disjunction: a concatenated set, `th dport`, `ip6 nexthdr`).

The principle: nothing the readers and this module do not model exactly is ever read as having no
effect. Each reader keeps an explicit list of the matches, statements, targets, hooks, chain types
and families it models; anything else makes the boxes it can touch unknown, naming the rule.

The Evaluator follows boxes of packets (packet_space) rather than single packets: every base chain
on the ingress, prerouting and input hooks, in priority order; after a DNAT, the forward hook. Where
a MAYBE atom leaves it open whether a rule matches, both paths are followed, and a verdict is given
only where they agree; elsewhere the verdict is "unknown", naming the rule, never a guess.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bisect
import ipaddress

from ansible_collections.bluemind.firewall.plugins.module_utils import packet_space as space
from ansible_collections.bluemind.firewall.plugins.module_utils.packet_space import (
    CODE, CT, DADDR, DPORT, EXTHDR, FAMILY, FLAGS, IIF, PROTO, SADDR, SPORT, TTL, TYPE,
)

# Verdict kinds of a rule or a chain policy.
ACCEPT = 'accept'
DROP = 'drop'
REJECT = 'reject'
RETURN = 'return'
JUMP = 'jump'
GOTO = 'goto'
CONTINUE = 'continue'
REDIRECT = 'redirect'   # DNAT or redirect: the packet's destination is rewritten
NOTRACK = 'notrack'     # goes on untracked (before conntrack; no effect after it)
SNAT = 'snat'           # a source NAT: ends the nat chain like an accept, and the hook's later nat chains
UNKNOWN = 'unknown'     # a verdict the evaluator cannot predict (queue to user space, unknown target)
_PASS_OR_DROP = 'pass-or-drop'   # two paths disagree, one passes this chain and one drops

# Verdicts of a whole path.
OPEN = 'open'
CLOSED = 'closed'
UNDECIDED = 'unknown'

HOOK_ORDER = {'ingress': 0, 'prerouting': 1, 'input': 2, 'forward': 2}
# Hooks a packet to this host meets, per family of table; the other hooks (output, postrouting, egress)
# only see packets this host sends or forwards.
INBOUND_HOOKS = ('ingress', 'prerouting', 'input', 'forward')
# Chain types on those hooks whose semantics are modelled; any other (a future type) is unknown.
MODELLED_CHAIN_TYPES = ('filter', 'nat')
# The priority of conntrack on prerouting: chains before it see every packet without a conntrack
# entry (ct state invalid, or untracked after notrack); a chain at exactly this priority may run on
# either side of it.
CONNTRACK_PRIORITY = -200
FAMILY_TABLES = {'ipv4': ('ip', 'inet', 'netdev'), 'ipv6': ('ip6', 'inet', 'netdev')}
VERSIONS = {'ipv4': 4, 'ipv6': 6}
MAX_DEPTH = 64
LOOPBACK = 'lo'
UNNAMED = ''            # the interface representative that stands for every interface no rule names

# Pseudo-dimensions of atoms that do not cut a box: answered for the whole box.
MAYBE_DIM = 'maybe'
OIF = 'oif'
DADDR_LOCAL = 'daddr-local'
PKTTYPE = 'pkttype'     # (frozenset of meta pkttype names, negated): decided from the destination address
RPF = 'rpf'             # negated: `fib saddr . iif oif missing` (True: the source is not routed back through iif)
ANY_OF = 'any-of'       # (ANY_OF, ((atoms...), (atoms...))): matches where one alternative does
MAYBE = (MAYBE_DIM, None)
NEVER = (PROTO, space.EMPTY)
# A rule with more alternatives than this once expanded is read as "may match" anything it could.
MAX_ALTERNATIVES = 4096


def any_of(alternatives):
    return (ANY_OF, tuple(tuple(atoms) for atoms in alternatives))


def expand(atoms):
    """The alternatives (a disjunction of conjunctions) of a condition that holds ANY_OF atoms."""
    found = [[]]
    for atom in atoms:
        if atom[0] == ANY_OF:
            found = [done + inner for done in found for alternative in atom[1] for inner in expand(alternative)]
            if len(found) > MAX_ALTERNATIVES:
                return [[MAYBE]]
        else:
            for done in found:
                done.append(atom)
    return found


class Names(object):
    """Interface names of a match: exact names, or prefixes (a trailing * in nft, + in iptables)."""

    def __init__(self, patterns, negated=False):
        self.patterns = tuple(patterns)
        self.negated = negated

    def negate(self):
        return Names(self.patterns, not self.negated)

    def matches(self, name):
        if name is None:
            return None
        found = name != UNNAMED and any(interface_matches(pattern, name) for pattern in self.patterns)
        return found != self.negated


def interface_matches(pattern, name):
    if pattern.endswith('\\*'):
        return name == pattern[:-2] + '*'
    if pattern.endswith('+') or pattern.endswith('*'):
        return name.startswith(pattern[:-1])
    return name == pattern


def is_wildcard(pattern):
    return (pattern.endswith('*') and not pattern.endswith('\\*')) or pattern.endswith('+')


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
        return ('str', text)
    return ('ipv%d' % address.version, int(address))


class Values(object):
    """A set of values, ranges and prefixes, as nft sets, iptables lists and ipsets hold them."""

    def __init__(self, elements=()):
        self._ranges = {}
        self.names = []
        self.opaque = False
        for element in elements:
            self.add(element)

    def add_range(self, first, last):
        kind, low = value_key(first)
        last_kind, high = value_key(last)
        if kind != last_kind or kind == 'str':
            self.opaque = True
            return
        self._ranges.setdefault(kind, []).append((low, high))

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
            self.names.append(number)
        else:
            self.add_range(element, element)

    def intervals(self, kind):
        return space.interval_set(self._ranges.get(kind, ()))

    def kinds(self):
        return set(self._ranges) | (set(['str']) if self.names else set())

    def contains(self, value):
        """True, False, or None when the set holds elements this module does not evaluate."""
        kind, number = value_key(value)
        found = number in self.names if kind == 'str' else space.contains(self.intervals(kind), number)
        if not found and self.opaque:
            return None
        return found


class Rule(object):
    """atoms: the condition, a conjunction. branches: [(atoms, verdict, target)], tried in order
    (one for a plain rule, one per element of a verdict map); guess: the verdict map's key cannot be
    known, so every branch may be taken. nat: (address, port) a DNAT or redirect rewrites to."""

    def __init__(self, atoms, verdict=None, target=None, text='', position=None, branches=None, guess=False,
                 nat=None):
        self.atoms = list(atoms)
        self.branches = branches if branches is not None else (
            [([], verdict, target)] if verdict is not None else [])
        self.verdict = verdict
        self.target = target
        self.text = text
        self.position = position
        self.guess = guess
        self.nat = nat


class Chain(object):
    def __init__(self, name, hook=None, priority=0, policy=ACCEPT, kind='filter', devices=None):
        self.name = name
        self.hook = hook
        self.priority = priority
        self.policy = policy
        self.kind = kind
        self.devices = tuple(devices or ())   # an ingress chain sees the packets of these devices only
        self.rules = []


class Table(object):
    """family: nft's family (ip, ip6, inet, netdev); source: 'nft', 'iptables-save' or 'iptables-legacy-save'."""

    def __init__(self, family, name, source):
        self.family = family
        self.name = name
        self.source = source
        self.chains = {}
        self.sets = {}

    @property
    def label(self):
        suffix = ' (legacy)' if self.source == 'iptables-legacy-save' else ''
        return '%s %s%s' % (self.family, self.name, suffix)


class NotForwarded(object):
    """Where a DNAT-ed packet ends when the kernel does not forward that family."""

    def __init__(self, family):
        self.rule = 'the kernel does not forward it (%s = 0)' % (
            'net.ipv4.ip_forward' if family == 'ipv4' else 'net.ipv6.conf.all.forwarding')


def describe(where):
    """{'table', 'chain', 'rule', 'position'} of a deciding rule, for reports."""
    if where is None:
        return {'table': None, 'chain': None, 'position': None,
                'rule': 'no base chain on the input path drops it (netfilter accepts by default)'}
    if isinstance(where, NotForwarded):
        return {'table': None, 'chain': None, 'position': None, 'rule': where.rule}
    table, chain, rule = where
    if rule is None:
        return {'table': table.label, 'chain': chain.name, 'position': None, 'rule': 'policy %s' % chain.policy}
    return {'table': table.label, 'chain': chain.name, 'position': rule.position, 'rule': rule.text}


class Nat(object):
    """The header a DNAT gave the packet: its new destination, and where it is routed."""

    __slots__ = ('daddr', 'dport', 'local', 'oif', 'redirected', 'martian')

    def __init__(self, daddr, dport, local, oif, redirected=False, martian=False):
        self.daddr = daddr
        self.dport = dport
        self.local = local
        self.oif = oif
        # redirected: the new destination is one of the host's addresses, which one is not known.
        self.redirected = redirected
        # martian: the kernel drops it (a loopback destination without route_localnet).
        self.martian = martian

    def key(self):
        return (self.daddr, self.dport, self.redirected)


class Outcome(object):
    """Where a box of packets ends in one chain: kind, the rule (table, chain, rule or None), nat."""

    __slots__ = ('box', 'kind', 'where', 'nat')

    def __init__(self, box, kind, where, nat=None):
        self.box = box
        self.kind = kind
        self.where = where
        self.nat = nat


class Final(object):
    """verdict: open, closed or unknown; where: the deciding rule; via: the DNAT rule, if any."""

    __slots__ = ('box', 'verdict', 'where', 'via')

    def __init__(self, box, verdict, where, via=None):
        self.box = box
        self.verdict = verdict
        self.where = where
        self.via = via


class _State(object):
    """tracked: the conntrack state the box gets past conntrack; snat: a nat chain of the input hook bound it."""

    __slots__ = ('box', 'nat', 'doubt', 'where', 'via', 'tracked', 'snat')

    def __init__(self, box, nat=None, doubt=None, where=None, via=None, tracked=None, snat=False):
        self.box = box
        self.nat = nat
        self.doubt = doubt
        self.where = where
        self.via = via
        self.tracked = tracked
        self.snat = snat

    def moved(self, box):
        return _State(box, self.nat, self.doubt, self.where, self.via, self.tracked, self.snat)


def merge(taken, skipped, where):
    """Outcomes of one box under two possible paths: kept where both agree, unknown elsewhere."""
    found = []
    for one in taken:
        for other in skipped:
            box = space.boxes_intersect(one.box, other.box)
            if box is None:
                continue
            if one.kind == other.kind and (one.nat.key() if one.nat else None) == (other.nat.key() if other.nat else None):
                found.append(Outcome(box, one.kind, one.where, one.nat))
            elif set((one.kind, other.kind)) <= set((ACCEPT, DROP, REJECT)):
                found.append(Outcome(box, _PASS_OR_DROP, where))
            else:
                found.append(Outcome(box, UNKNOWN, where))
    return found


def _flat(atom):
    """The (dimension, values) pairs of an atom, those of each alternative of ANY_OF included."""
    if atom[0] != ANY_OF:
        return [atom]
    return [inner for alternative in atom[1] for item in alternative for inner in _flat(item)]


def _bridge_chains(tables):
    """(table, chain) of the bridge family's chains on the hooks a frame to this host meets, except
    empty ones that accept. The bridge family sees only frames that cross a bridge: a host whose
    addresses sit on no bridge receives nothing through it, so these tables touch the boxes of a
    bridge that holds an address only, and there they are not modelled (unknown)."""
    found = []
    for table in tables:
        if table.family != 'bridge':
            continue
        for chain in table.chains.values():
            if chain.hook in ('prerouting', 'input') and (chain.rules or chain.policy != ACCEPT):
                found.append((table, chain))
    return found


def base_chains(tables, family, hooks):
    """(table, chain) of every base chain of these hooks a packet of this family meets, in order
    (of every type: a type not modelled makes what it sees unknown)."""
    found = []
    for table in tables:
        if table.family not in FAMILY_TABLES[family]:
            continue
        for chain in table.chains.values():
            if chain.hook in hooks:
                found.append((HOOK_ORDER[chain.hook], chain.priority, table.label, chain.name, table, chain))
    found.sort(key=lambda item: item[:4])
    return [(item[4], item[5]) for item in found]


class Host(object):
    """What the evaluation needs of the host: its addresses, its routes and its interfaces.

    addresses: every local address (text). routes: [(CIDR, device)] of the main routing table, or None
    when not known (then every source may arrive on any interface no rule names); a CIDR listed with
    several devices (a multipath route) is carried by each. links: interface names.
    forwarding: {4: bool, 6: bool} as the kernel's sysctls say; a family left out is taken as forwarding.
    interface_addresses: {interface: [address, ...]} in the kernel's order (a redirect's new destination
    is the first); uppers: {device: the bridge, bond or VLAN device its packets go on to}; bridges: the
    devices that are (or, when the listing cannot tell, may be) bridges; route_localnet: whether
    net.ipv4.conf.*.route_localnet lets a DNAT to 127.0.0.0/8 through (None: not known).
    """

    def __init__(self, addresses=(), routes=None, links=(), forwarding=None, interface_addresses=None,
                 uppers=None, bridges=(), route_localnet=None):
        self.addresses = [str(ipaddress.ip_address(item)) for item in addresses]
        self.routes = None if routes is None else [(ipaddress.ip_network(net, strict=False), dev)
                                                   for net, dev in routes]
        self.links = list(links)
        self.forwarding = dict(forwarding or {})
        self.interface_addresses = dict(interface_addresses or {})
        self.uppers = dict(uppers or {})
        self.bridges = tuple(bridges)
        self.route_localnet = route_localnet
        self._route_maps = {}

    def top_device(self, name):
        """The device whose packets reach the IP layer for the packets that arrive on name."""
        seen = set()
        while name in self.uppers and name not in seen:
            seen.add(name)
            name = self.uppers[name]
        return name

    def bridged_addresses(self):
        """The devices among the bridges that hold one of the host's addresses."""
        return sorted(name for name in self.bridges if self.interface_addresses.get(name))

    def first_address(self, interface, version):
        for item in self.interface_addresses.get(interface) or ():
            if ipaddress.ip_address(item).version == version:
                return int(ipaddress.ip_address(item))
        return None

    def local(self, version):
        values = [space.address_number(item)[1] for item in self.addresses
                  if ipaddress.ip_address(item).version == version]
        return space.interval_set((value, value) for value in values)

    def route_map(self, version):
        """[(first, last, (device, ...))] of the longest-prefix route of each source (several devices
        for a multipath route), None when not known.
        Painted once per family: every DNAT's new destination is looked up in it."""
        if self.routes is None:
            return None
        if version not in self._route_maps:
            self._route_maps[version] = self._paint(version)
        return self._route_maps[version]

    def _paint(self, version):
        painted = []
        carriers = {}
        for network, dev in self.routes:
            if network.version == version and dev not in carriers.setdefault(network, []):
                carriers[network].append(dev)
        for network, devs in sorted(carriers.items(), key=lambda r: r[0].prefixlen):
            dev = tuple(devs)
            first, last = int(network.network_address), int(network.broadcast_address)
            kept = []
            for low, high, name in painted:
                if high < first or low > last:
                    kept.append((low, high, name))
                    continue
                if low < first:
                    kept.append((low, first - 1, name))
                if high > last:
                    kept.append((last + 1, high, name))
            kept.append((first, last, dev))
            painted = sorted(kept)
        return painted

    def route_devices(self, version, number):
        """The devices of the route to number, () when none or not known."""
        painted = self.route_map(version)
        if painted is None:
            return ()
        index = bisect.bisect_right([item[0] for item in painted], number) - 1
        if index >= 0 and painted[index][0] <= number <= painted[index][1]:
            return painted[index][2]
        return ()

    def route_device(self, version, number):
        """The device of the route to number; None when not known, or when a multipath route may take either."""
        devices = self.route_devices(version, number)
        return devices[0] if len(devices) == 1 else None


class _FieldIndex(object):
    """The values each rule of a chain requires of one box field; positions: the rules that constrain it."""

    def __init__(self, dim, compiled):
        self.dim = dim
        self.values = {}
        entries = []
        for position, found in enumerate(compiled):
            if found is None or dim not in _constrained(found):
                continue
            values = space.EMPTY
            for alternative in found[0]:
                wanted = None
                for field, items in alternative:
                    if field == dim:
                        wanted = items if wanted is None else space.intersect(wanted, items)
                values = space.union(values, wanted)
            self.values[position] = values
            entries.extend((first, last, position) for first, last in values)
        # Short intervals are found by where they start; the few long ones are tried one by one.
        lengths = sorted(last - first for first, last, dummy in entries)
        self.reach = lengths[(len(lengths) * 9) // 10] if lengths else 0
        self.short = sorted(item for item in entries if item[1] - item[0] <= self.reach)
        self.starts = [item[0] for item in self.short]
        self.long = [item for item in entries if item[1] - item[0] > self.reach]

    def narrow(self, values):
        return space.size(values) <= 64 * (self.reach + 1)

    def lookup(self, values, always):
        found = set(always)
        for first, last in values:
            for at in range(bisect.bisect_left(self.starts, first - self.reach), bisect.bisect_right(self.starts, last)):
                low, high, position = self.short[at]
                if high >= first:
                    found.add(position)
            found.update(position for low, high, position in self.long if low <= last and high >= first)
        return sorted(found)


class _RuleIndex(object):
    """Which rules of a chain may match a box, by the values the rules require of the fields most of
    them constrain: a box narrow in one of those fields meets only the few rules whose values there
    meet its own (and the rules that do not constrain that field)."""

    def __init__(self, compiled):
        counts = {}
        for found in compiled:
            for dim in _constrained(found):
                counts[dim] = counts.get(dim, 0) + 1
        ranked = sorted(counts, key=lambda dim: (-counts[dim], dim))
        self.fields = [_FieldIndex(dim, compiled) for dim in ranked[:3] if counts[dim] * 2 >= len(compiled)]
        self.live = [position for position, found in enumerate(compiled) if found is not None]
        self.always = dict((field.dim, [position for position in self.live if position not in field.values])
                           for field in self.fields)

    def usable(self, nat, ct_unknown):
        """The field indexes that hold for a box: after a DNAT, the destination is no longer the box's;
        at conntrack's own priority, the box's conntrack state is not what `ct state` reads."""
        return [field for field in self.fields if (nat is None or field.dim not in (DPORT, DADDR))
                and not (ct_unknown and field.dim == CT)]

    def candidates(self, box, fields, inherited):
        """(sorted positions of the rules that may match box, the field and values they were found by)."""
        for field in fields:
            values = box[field.dim]
            if field.narrow(values):
                if inherited is not None and inherited[1] == (field.dim, values):
                    return inherited
                return field.lookup(values, self.always[field.dim]), (field.dim, values)
        if inherited is not None:
            return inherited
        return self.live, None

    @staticmethod
    def meets(position, box, fields):
        for field in fields:
            wanted = field.values.get(position)
            if wanted is not None and not space.intersect(box[field.dim], wanted):
                return False
        return True


_TERMINAL = (ACCEPT, DROP, REJECT)


def _difference(first, other):
    """The one position where two plain rules' atoms differ, both on the same box field; else None."""
    if len(first.atoms) != len(other.atoms):
        return None
    found = [at for at, (one, two) in enumerate(zip(first.atoms, other.atoms)) if one != two]
    if len(found) != 1:
        return None
    one, two = first.atoms[found[0]], other.atoms[found[0]]
    if one[0] != two[0] or not isinstance(one[0], int) or not isinstance(one[1], tuple) or not isinstance(two[1], tuple):
        return None
    return found[0]


def _plain(rule):
    return (rule.verdict in _TERMINAL and not rule.guess and rule.nat is None and rule.target is None
            and rule.branches == [([], rule.verdict, None)])


def merged_rules(rules):
    """The rules with each run of consecutive ones that end a packet the same way and differ in one
    field's values only (a list of bans, one address a rule) merged into one rule over the union of
    those values: the same packets meet the same end, and a run is reported once."""
    found = []
    run = []
    where = None
    for rule in list(rules) + [None]:
        if rule is not None and run and _plain(rule) and rule.verdict == run[0].verdict:
            at = _difference(run[0], rule)
            if at is not None and (where is None or at == where):
                run.append(rule)
                where = at
                continue
        if len(run) > 1:
            atoms = list(run[0].atoms)
            atoms[where] = (atoms[where][0], space.interval_set(item for member in run for item in member.atoms[where][1]))
            found.append(Rule(atoms, run[0].verdict, text='%d rules like %s' % (len(run), run[0].text),
                              position='%s to %s' % (run[0].position, run[-1].position)))
        else:
            found.extend(run)
        run, where = ([rule] if rule is not None and _plain(rule) else []), None
        if rule is not None and not _plain(rule):
            found.append(rule)
    return found


def _constrained(found):
    """The box fields every alternative of a compiled rule constrains (None: a rule that never matches)."""
    if found is None:
        return set()
    dims = None
    for alternative in found[0]:
        here = set(dim for dim, dummy in alternative if isinstance(dim, int) and dim not in (FAMILY, PROTO))
        dims = here if dims is None else dims & here
    return dims or set()


class Evaluator(object):
    """Follows boxes of packets of one family through the base chains of a set of tables."""

    def __init__(self, tables, family, host=None, interfaces=()):
        self.family = family
        self.wanted_interfaces = tuple(interfaces)
        self.version = VERSIONS[family]
        self.host = host or Host()
        self.tables = tables
        self.bridge = _bridge_chains(tables)
        self.early = base_chains(tables, family, ('ingress', 'prerouting'))
        self.input = base_chains(tables, family, ('input',))
        self.forward = base_chains(tables, family, ('forward',))
        self.interfaces = self._interfaces()
        self._compiled = {}
        self._indexes = {}
        self._local = self.host.local(self.version)
        self._ct_unknown = False

    # Interfaces: each name and wildcard the rules use, and one name that no rule uses.
    def _interfaces(self):
        # Besides the names the rules use, those the expected policy names, so that a rule scoped to an
        # interface that is missing from the live rules is still judged on that interface alone.
        names = set(self.wanted_interfaces)
        for table in self.tables:
            if table.family not in FAMILY_TABLES[self.family]:
                continue
            for chain in table.chains.values():
                names.update(chain.devices)
                for rule in chain.rules:
                    for atoms in [rule.atoms] + [branch[0] for branch in rule.branches]:
                        for atom in atoms:
                            for dim, values in _flat(atom):
                                if dim in (IIF, OIF) and isinstance(values, Names):
                                    names.update(values.patterns)
        patterns = [name for name in names if is_wildcard(name)]
        concrete = set(name for name in names if not is_wildcard(name))
        concrete.update(link for link in self.host.links if any(interface_matches(p, link) for p in patterns))
        routed = set(dev for dummy, dev in (self.host.routes or ()))
        concrete.update(dev for dev in routed if any(interface_matches(p, dev) for p in patterns))
        # Bridges that hold an address: the bridge family's hooks see their packets (see _bridge_chains).
        if self.bridge:
            concrete.update(self.host.bridged_addresses())
        # A netdev chain bound to a bridge port, bond slave or VLAN's lower device sees the packets
        # of the device above it: that device is judged on its own.
        for table in self.tables:
            for chain in table.chains.values():
                concrete.update(self.host.top_device(name) for name in chain.devices if name in self.host.uppers)
        if self._uses_rpf():
            concrete.update(dev for dev in routed if dev != LOOPBACK)
        concrete.discard(LOOPBACK)
        return sorted(concrete) + sorted(patterns) + [UNNAMED]

    def _uses_rpf(self):
        return any(dim == RPF for table in self.tables for chain in table.chains.values() for rule in chain.rules
                   for atom in rule.atoms for dim, dummy in _flat(atom))

    def interface_index(self, name):
        if name in self.interfaces and name != UNNAMED:
            return self.interfaces.index(name)
        return len(self.interfaces) - 1

    def named(self, name):
        return name in self.interfaces and name != UNNAMED

    def _rpf_alternatives(self, negated):
        """`fib saddr . iif oif missing` (negated) or `exists`, as one alternative per interface: the
        sources whose route goes back out through the interface the packet came in on exist."""
        painted = self.host.route_map(self.version)
        if painted is None:
            return [MAYBE]
        alternatives = []
        for index, name in enumerate(self.interfaces):
            if name == UNNAMED or is_wildcard(name):
                # Interfaces no rule names stand for several: which one carries a source is not known.
                alternatives.append(((IIF, space.single(index)), MAYBE))
                continue
            routed = space.interval_set((first, last) for first, last, devs in painted if name in devs)
            wanted = space.subtract(space.full_range(SADDR, self.version), routed) if negated else routed
            alternatives.append(((IIF, space.single(index)), (SADDR, wanted)))
        return [any_of(alternatives)]

    def _compile_atoms(self, atoms):
        compiled = []
        for dim, values in atoms:
            if dim == IIF and isinstance(values, Names):
                indexes = [index for index, name in enumerate(self.interfaces) if values.matches(name)]
                compiled.append((IIF, space.interval_set((i, i) for i in indexes)))
            else:
                compiled.append((dim, values))
        # Family and protocol first: a box of another protocol is then left whole.
        compiled.sort(key=lambda atom: 0 if atom[0] in (FAMILY, PROTO) else 1)
        return compiled

    def _alternatives(self, atoms):
        resolved = []
        for atom in atoms:
            if atom[0] == RPF:
                resolved.extend(self._rpf_alternatives(atom[1]))
            else:
                resolved.append(atom)
        return [self._compile_atoms(alternative) for alternative in expand(resolved)]

    def compiled(self, rule):
        found = self._compiled.get(id(rule))
        if found is None:
            found = (self._alternatives(rule.atoms),
                     [(self._alternatives(atoms), kind, target) for atoms, kind, target in rule.branches])
            self._compiled[id(rule)] = found
        return found

    def _address_types(self, dim, values, nat):
        """Whether `fib daddr type` (DADDR_LOCAL) or `meta pkttype` (PKTTYPE) is among values, as
        (DADDR, interval set) to cut the box by, or a True/False answer for the whole box. The packet
        type is the link layer's and does not change with a DNAT; the address type does."""
        names, negated = values
        if nat is not None and dim == DADDR_LOCAL:
            return (('local' if nat.local else 'unicast') in names) != negated
        multicast = space.interval_set([space.network_interval('224.0.0.0/4' if self.version == 4 else 'ff00::/8')[1]])
        broadcast = space.single(0xffffffff) if self.version == 4 else space.EMPTY
        # The boxes' destinations are the host's own addresses and the groups the record names.
        classes = [('multicast', multicast), ('broadcast', broadcast)]
        rest = 'host' if dim == PKTTYPE else 'local'
        wanted = space.EMPTY
        others = space.full_range(DADDR, self.version)
        for name, addresses in classes:
            others = space.subtract(others, addresses)
            if name in names:
                wanted = space.union(wanted, addresses)
        if rest in names:
            wanted = space.union(wanted, others)
        if negated:
            wanted = space.subtract(space.full_range(DADDR, self.version), wanted)
        return (DADDR, wanted)

    def partition(self, box, atoms, nat):
        """(matched box or None, whether the match is only possible, [boxes that do not match])."""
        unmatched = []
        maybe = False
        rest = box
        for dim, values in atoms:
            if dim == MAYBE_DIM:
                maybe = True
                continue
            answer = None
            if dim == OIF:
                answer = values.matches(nat.oif if nat and not nat.local else '') if (
                    nat is None or nat.local or nat.oif is not None) else None
            elif dim in (DADDR_LOCAL, PKTTYPE):
                answer = self._address_types(dim, values, nat)
                if isinstance(answer, tuple):
                    inside, outside = space.cut(rest, answer[0], answer[1])
                    if outside is not None:
                        unmatched.append(outside)
                    if inside is None:
                        return None, False, unmatched
                    rest = inside
                    continue
            elif dim == CT and self._ct_unknown:
                answer = None
            elif nat is not None and dim == DPORT and nat.dport is not None:
                answer = space.contains(values, nat.dport)
            elif nat is not None and dim == DADDR and nat.daddr is not None:
                answer = space.contains(values, nat.daddr)
            elif nat is not None and dim == DADDR and nat.redirected:
                answer = None
            else:
                inside, outside = space.cut(rest, dim, values)
                if outside is not None:
                    unmatched.append(outside)
                if inside is None:
                    return None, False, unmatched
                rest = inside
                continue
            if answer is None:
                maybe = True
            elif not answer:
                unmatched.append(rest)
                return None, False, unmatched
        return rest, maybe, unmatched

    def split(self, box, alternatives, nat):
        """([(matched box, whether only possibly)], [boxes no alternative matches]): the first
        alternative that matches a packet claims it."""
        matched = []
        rest = [box]
        for atoms in alternatives:
            following = []
            for part in rest:
                hit, maybe, missed = self.partition(part, atoms, nat)
                following.extend(missed)
                if hit is not None:
                    matched.append((hit, maybe))
            rest = following
            if not rest:
                break
        return matched, rest

    def _index(self, chain):
        """(the chain's rules with runs of alike rules merged, their _RuleIndex)."""
        found = self._indexes.get(id(chain))
        if found is None:
            rules = merged_rules(chain.rules)
            found = self._indexes[id(chain)] = (rules, _RuleIndex([self.compiled(rule) if rule.branches else None
                                                                   for rule in rules]))
        return found

    def run(self, table, chain, start, box, depth, nat):
        """Outcomes that together hold every packet of box, from rule number start of the chain on.

        Each box walks the rules on its own, skipping those that cannot match it: the rule index finds
        the few rules whose values on one field meet a narrow box, so that the cost grows with the rules
        each box meets rather than with every rule times every box."""
        outcomes = []
        rules, index = self._index(chain)
        fields = index.usable(nat, self._ct_unknown)
        work = [(start, box, None)]
        while work:
            begin, current, inherited = work.pop()
            inherited = index.candidates(current, fields, inherited)
            candidates = inherited[0]
            position = None
            for at in range(bisect.bisect_left(candidates, begin), len(candidates)):
                if index.meets(candidates[at], current, fields):
                    position = candidates[at]
                    break
            if position is None:
                outcomes.append(Outcome(current, chain.policy if chain.hook else RETURN, (table, chain, None)))
                continue
            rule = rules[position]
            alternatives, branches = self.compiled(rule)
            where = (table, chain, rule)
            hits, resumed = self.split(current, alternatives, nat)
            for matched, maybe in hits:
                if rule.guess:
                    paths = [self.take(where, kind, target, position, matched, depth, nat, True)
                             for dummy, kind, target in branches]
                    paths.append(self.run(table, chain, position + 1, matched, depth, nat))
                    merged = paths[0]
                    for path in paths[1:]:
                        merged = merge(merged, path, where)
                    outcomes.extend(merged)
                    continue
                pending = [matched]
                for branch_alternatives, kind, target in branches:
                    following = []
                    for part in pending:
                        branch_hits, missed = self.split(part, branch_alternatives, nat)
                        following.extend(missed)
                        for hit, branch_maybe in branch_hits:
                            if maybe or branch_maybe:
                                taken = self.take(where, kind, target, position, hit, depth, nat, True)
                                skipped = self.run(table, chain, position + 1, hit, depth, nat)
                                outcomes.extend(merge(taken, skipped, where))
                            else:
                                ended, back = self.take(where, kind, target, position, hit, depth, nat, False)
                                outcomes.extend(ended)
                                resumed.extend(back)
                    pending = following
                resumed.extend(pending)
            work.extend((position + 1, item, inherited) for item in resumed)
        return outcomes

    def take(self, where, kind, target, index, box, depth, nat, complete):
        """What a rule's verdict does to box: (outcomes that end, boxes that go on after the rule);
        complete: follow the boxes that go on to the end of the chain, and return outcomes only."""
        table, chain, rule = where
        ended, back = [], []
        if kind == CONTINUE or kind is None:
            back = [box]
        elif kind == NOTRACK:
            # Only a packet without a conntrack entry yet is marked untracked (the box then reads
            # `ct state untracked`); after conntrack, notrack does nothing.
            back = [space.replace(box, CT, space.single(space.CT_UNTRACKED))
                    if box[CT] == space.single(space.CT_INVALID) else box]
        elif kind in (JUMP, GOTO):
            called = table.chains.get(target)
            if called is None or depth >= MAX_DEPTH:
                ended = [Outcome(box, UNKNOWN, where)]
            else:
                results = self.run(table, called, 0, box, depth + 1, nat)
                if kind == GOTO:
                    ended = results
                else:
                    ended = [item for item in results if item.kind != RETURN]
                    back = [item.box for item in results if item.kind == RETURN]
        elif kind == REDIRECT:
            ended = self._rewritten(box, rule, nat, where)
        else:
            ended = [Outcome(box, kind, where)]
        if not complete:
            return ended, back
        for item in back:
            ended.extend(self.run(table, chain, index + 1, item, depth, nat))
        return ended

    def _rewritten(self, box, rule, nat, where):
        """Outcomes of a DNAT or redirect: a redirect's new destination is the first address of the
        interface the packet came in on, so the box is split by interface."""
        if rule.nat is None or rule.nat[0] != 'local':
            return [Outcome(box, REDIRECT, where, self.rewrite(rule, nat))]
        found = []
        for first, last in box[IIF]:
            for index in range(first, last + 1):
                part = space.replace(box, IIF, space.single(index))
                name = self.interfaces[index]
                if name == UNNAMED or is_wildcard(name) or name not in self.host.interface_addresses:
                    # Several interfaces, or one whose addresses are not known: the new address is not known.
                    found.append(Outcome(part, REDIRECT, where, Nat(None, rule.nat[1], True, None, True)))
                    continue
                address = self.host.first_address(name, self.version)
                if address is None:
                    # The kernel drops what it cannot redirect to an address of the incoming interface.
                    found.append(Outcome(part, DROP, where))
                else:
                    found.append(Outcome(part, REDIRECT, where, Nat(address, rule.nat[1], True, None)))
        return found

    def rewrite(self, rule, nat):
        """The Nat a DNAT or redirect rule gives; None when its target cannot be read."""
        if rule.nat is None:
            return None
        address, port = rule.nat
        if address == 'local':
            return Nat(None, port, True, None, True)
        if address is None:
            return Nat(None, port, True, None) if nat is None else nat
        version, number = space.address_number(address)
        if version != self.version:
            return None
        if ipaddress.ip_address(address).is_loopback:
            # A packet from the network sent to a loopback address is a martian: IPv4 lets it through
            # only with route_localnet, IPv6 never does; both are left unknown unless the host says.
            if version == 4 and self.host.route_localnet is not None:
                return Nat(number, port, True, None) if self.host.route_localnet else Nat(number, port, False, None,
                                                                                          martian=True)
            return None
        local = space.contains(self._local, number)
        oif = None if local else self.host.route_device(version, number)
        return Nat(number, port, local, oif)

    def _bridged(self, state, finals):
        """The part of a box that arrives on a bridge holding one of the host's addresses, where a
        bridge-family table has an inbound chain: unknown (the bridge family's hooks are not modelled)."""
        if not self.bridge:
            return state
        indexes = space.interval_set((self.interface_index(name), self.interface_index(name))
                                     for name in self.host.bridged_addresses() if self.named(name))
        inside, outside = space.cut(state.box, IIF, indexes)
        if inside is not None:
            table, chain = self.bridge[0]
            finals.append(Final(inside, UNDECIDED, (table, chain, chain.rules[0] if chain.rules else None), state.via))
        return None if outside is None else state.moved(outside)

    def _lower_device(self, chain, state, finals, table):
        """The part of a box that arrives on a device above one this ingress chain is bound to (a
        bridge port, a bond slave, a VLAN's lower device): unknown, the chain sees it in another form."""
        uppers = [self.host.top_device(name) for name in chain.devices if name in self.host.uppers]
        indexes = space.interval_set((self.interface_index(name), self.interface_index(name))
                                     for name in uppers if self.named(name))
        if not indexes:
            return state
        inside, outside = space.cut(state.box, IIF, indexes)
        if inside is not None:
            finals.append(Final(inside, UNDECIDED, (table, chain, chain.rules[0] if chain.rules else None), state.via))
        return None if outside is None else state.moved(outside)

    def _through(self, states, chains, finals, nat_allowed):
        for table, chain in chains:
            following = []
            before_conntrack = chain.hook == 'ingress' or (
                chain.hook == 'prerouting' and chain.priority < CONNTRACK_PRIORITY)
            self._ct_unknown = chain.hook == 'prerouting' and chain.priority == CONNTRACK_PRIORITY
            for state in states:
                if not before_conntrack and state.box[CT] == space.single(space.CT_INVALID):
                    # Past conntrack: a box without an entry gets conntrack's state for it; a notrack-ed
                    # one stays untracked.
                    state = state.moved(space.replace(state.box, CT, state.tracked))
                if chain.kind not in MODELLED_CHAIN_TYPES:
                    finals.append(Final(state.box, UNDECIDED, (table, chain, chain.rules[0] if chain.rules else None),
                                        state.via))
                    continue
                if chain.devices:
                    state = self._lower_device(chain, state, finals, table)
                    if state is None:
                        continue
                box = state.box
                if chain.devices:
                    device = space.interval_set((self.interface_index(name), self.interface_index(name))
                                                for name in chain.devices if self.named(name))
                    inside, outside = space.cut(box, IIF, device)
                    if outside is not None:
                        following.append(state.moved(outside))
                    if inside is None:
                        continue
                    box = inside
                if chain.kind == 'nat':
                    # nat chains see only the first packet of a tracked connection (not an untracked or invalid
                    # one), and no more of a hook's nat chains once one of them has bound that kind of NAT.
                    tracked, untracked = space.cut(box, CT, space.single(space.CT_NEW))
                    if untracked is not None:
                        following.append(state.moved(untracked))
                    bound = state.nat is not None if chain.hook == 'prerouting' else state.snat
                    if tracked is None:
                        continue
                    if bound or chain.hook not in ('prerouting', 'input') or (
                            chain.hook == 'prerouting' and not nat_allowed):
                        following.append(state.moved(tracked))
                        continue
                    box = tracked
                for outcome in self.run(table, chain, 0, box, 0, state.nat):
                    kind, where = outcome.kind, outcome.where
                    if kind == RETURN:
                        kind, where = chain.policy, (table, chain, None)
                    snat = state.snat
                    if kind == SNAT:
                        kind, snat = ACCEPT, chain.kind == 'nat' or snat
                    if kind == ACCEPT:
                        # The rule that let it in names the finding better than a later chain's policy.
                        if where[2] is None and state.where is not None and state.where[2] is not None:
                            where = state.where
                        following.append(_State(outcome.box, state.nat, state.doubt, where, state.via, state.tracked,
                                                snat))
                    elif kind in (DROP, REJECT):
                        finals.append(Final(outcome.box, CLOSED, where, state.via))
                    elif kind == _PASS_OR_DROP:
                        following.append(_State(outcome.box, state.nat, where, where, state.via, state.tracked, snat))
                    elif kind == REDIRECT and outcome.nat is not None and outcome.nat.martian:
                        finals.append(Final(outcome.box, CLOSED, where, where))
                    elif (kind == REDIRECT and outcome.nat is not None and chain.kind == 'nat'
                          and chain.hook == 'prerouting'):
                        following.append(_State(outcome.box, outcome.nat, state.doubt, where, where, state.tracked,
                                                snat))
                    else:
                        finals.append(Final(outcome.box, UNDECIDED, where, state.via))
            self._ct_unknown = False
            states = following
            if not states:
                break
        return states

    def evaluate(self, boxes):
        """Finals that together hold every packet of the boxes."""
        finals = []
        states = []
        for box in boxes:
            state = self._bridged(_State(box, tracked=box[CT]), finals)
            if state is not None:
                # Until conntrack has seen it, a packet has no entry: `ct state` reads invalid.
                states.append(state.moved(space.replace(state.box, CT, space.single(space.CT_INVALID))))
        states = self._through(states, self.early, finals, True)
        states = [state if state.box[CT] != space.single(space.CT_INVALID) else
                  state.moved(space.replace(state.box, CT, state.tracked)) for state in states]
        local = [state for state in states if state.nat is None or state.nat.local]
        routed = [state for state in states if not (state.nat is None or state.nat.local)]
        if routed and self.host.forwarding.get(self.version, True) is False:
            finals.extend(Final(state.box, CLOSED, NotForwarded(self.family), state.via) for state in routed)
            routed = []
        passed = self._through(local, self.input, finals, False) + self._through(routed, self.forward, finals, False)
        for state in passed:
            verdict = UNDECIDED if state.doubt else OPEN
            where = state.doubt or state.via or state.where
            finals.append(Final(state.box, verdict, where, state.via))
        return finals

    # One packet at a time: what the tests and the brute-force comparison use.
    def decide(self, packet):
        box = packet.box(self)
        finals = self.evaluate([box])
        verdicts = set(item.verdict for item in finals)
        if len(verdicts) != 1:
            raise AssertionError('a single packet got several verdicts: %r' % verdicts)
        return Decision(finals[0])


class Decision(object):
    def __init__(self, final):
        self.verdict = final.verdict
        self.where = final.where
        self.via = final.via

    def report(self):
        details = describe(self.where)
        details['verdict'] = self.verdict
        return details


class Packet(object):
    """One packet: the first of a new inbound connection unless told otherwise."""

    def __init__(self, family, proto, dport, saddr, daddr=None, iif=None, sport=40000, icmp_type=None,
                 ttl=64, ct='new', flags=('syn',), exthdr=space.EXTHDR_NONE, icmp_code=0):
        self.family = family
        self.proto = proto
        self.dport = dport
        self.sport = sport
        self.saddr = ipaddress.ip_address(saddr)
        self.daddr = ipaddress.ip_address(daddr) if daddr else None
        self.iif = iif
        self.icmp_type = icmp_type
        self.ttl = ttl
        self.ct = ct
        self.flags = sum(space.TCP_FLAG_BITS[name] for name in flags)
        self.exthdr = exthdr
        self.icmp_code = icmp_code

    def box(self, evaluator):
        version = VERSIONS[self.family]
        proto = self.proto if isinstance(self.proto, int) else space.PROTOCOL_NUMBERS[self.proto]
        daddr = int(self.daddr) if self.daddr is not None else (
            evaluator._local[0][0] if evaluator._local else 1)
        values = [None] * len(space.DIMENSIONS)
        values[FAMILY] = version
        values[PROTO] = proto
        values[DPORT] = self.dport if self.dport is not None else 0
        values[SPORT] = self.sport
        values[SADDR] = int(self.saddr)
        values[DADDR] = daddr
        values[IIF] = evaluator.interface_index(self.iif)
        values[TTL] = self.ttl
        values[TYPE] = self.icmp_type or 0
        values[CODE] = self.icmp_code
        values[CT] = space.CT_STATES.index(self.ct)
        values[FLAGS] = self.flags
        values[EXTHDR] = self.exthdr
        return tuple(space.single(value) for value in values)

    def __repr__(self):
        return 'Packet(%s %s/%s from %s)' % (self.family, self.proto, self.dport, self.saddr)
