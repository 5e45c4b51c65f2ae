# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a recorded policy expects of every new inbound connection, and how the live rules compare.

The check is exact: every packet that opens a connection to one of the host's addresses (any
protocol, destination and source port, source address, input interface) is followed through the
live rules as part of a box of packets that the rules cannot tell apart, and every box gets the
kernel's verdict. A difference is "exposed" (reachable, should be closed: a security problem),
"blocked" (closed, should be reachable: an availability problem) or "unknown" (a rule the evaluator
cannot predict decides it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.bluemind.firewall.plugins.module_utils import bans, bm_iptables_conflict, iptables_save, nft_json
from ansible_collections.bluemind.firewall.plugins.module_utils import packet_space as space
from ansible_collections.bluemind.firewall.plugins.module_utils.packet_space import (
    CODE, CT, DADDR, DPORT, EXTHDR, FAMILY, FLAGS, IIF, PROTO, SADDR, SPORT, TTL, TYPE,
)
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (
    ADMIN, CLUSTER, EVERYONE, FAMILIES, NOBODY, READABLE_SCHEMAS, PolicyError,
)
from ansible_collections.bluemind.firewall.plugins.module_utils.messages import listing as _listed
from ansible_collections.bluemind.firewall.plugins.module_utils.ruleset import (
    CLOSED, OPEN, REDIRECT, RPF, Evaluator, Host, describe,
)

EXPOSED = 'exposed'
BLOCKED = 'blocked'
UNKNOWN = 'unknown'
# Closed, should be reachable, by another program's ban of a few sources (fail2ban): see bans.py.
BANNED = 'banned'
FINDING_KINDS = (EXPOSED, BLOCKED, UNKNOWN, BANNED)
# What fails a run unless told otherwise: a ban by other software is reported, not failed.
DEFAULT_FAIL_ON = (EXPOSED, BLOCKED, UNKNOWN)
VERSIONS = {'ipv4': 4, 'ipv6': 6}

# Ports outside any BlueMind policy that a firewall left open would typically expose: the probes
# (which cannot try all 65535) try these besides the policy's own ports and their neighbours.
SAMPLE_PORTS = {'tcp': (1, 21, 23, 53, 111, 135, 139, 445, 3306, 6379, 11211, 27017, 65535),
                'udp': (53, 123, 161, 5353)}
# Documentation and reserved ranges: preferred as the address that stands for "anyone else".
OUTSIDER_CANDIDATES = {'ipv4': ('203.0.113.7', '198.51.100.7', '192.0.2.7', '100.64.0.7', '10.255.255.7'),
                       'ipv6': ('2001:db8::7', '2001:db8:ffff::7', 'fd00:ffff::7')}
# Ranges up to this size are probed port by port; wider ones at their edges and middle.
EXHAUSTIVE_RANGE = 64
PROBE_EXPECTATIONS = ('open', 'reachable', 'refused', 'filtered', 'closed')
PROBE_MATCHES = {'open': ('open',), 'reachable': ('open', 'refused'), 'refused': ('refused',),
                 'filtered': ('filtered',), 'closed': ('refused', 'filtered')}
# Sources that never arrive from the network: the kernel drops them as martians.
MARTIANS = {4: ('0.0.0.0/8', '127.0.0.0/8', '224.0.0.0/3'),
            6: ('::/127', 'ff00::/8', '::ffff:0:0/96')}
# ICMP messages that open an exchange (conntrack "new"), and IPv6's neighbour and multicast
# listener discovery, which conntrack leaves untracked. Errors are only ever "related" or invalid.
ICMP_REQUESTS = {4: (1, tuple(space.ICMP_TYPES[name] for name in (
    'echo-request', 'timestamp-request', 'info-request', 'address-mask-request'))),
    6: (58, (space.ICMPV6_TYPES['echo-request'], space.ICMPV6_NODE_INFORMATION_QUERY))}
ICMPV6_UNTRACKED = tuple(space.ICMPV6_TYPES[name] for name in (
    'mld-listener-query', 'mld-listener-report', 'mld-listener-done', 'nd-router-solicit', 'nd-router-advert',
    'nd-neighbor-solicit', 'nd-neighbor-advert', 'mld2-listener-report'))
LINK_LOCAL_V6 = 'fe80::/10'


def _types(table, *names):
    return space.interval_set((table[name], table[name]) for name in names)


# What each backend accepts besides the record's ports, as (family, protocol, {field: values},
# who may send it, why). Both accept ping and neighbour discovery; ufw's own before.rules
# (which the collection does not own) also accept a DHCP client's replies and MLD's "done".
_ON_LINK = ((255, 255),)
_COMMON_BASELINE = (
    (4, 1, {TYPE: _types(space.ICMP_TYPES, 'echo-request')}, EVERYONE, 'ping'),
    (6, 58, {TYPE: _types(space.ICMPV6_TYPES, 'echo-request')}, EVERYONE, 'ping'),
    (6, 58, {TYPE: _types(space.ICMPV6_TYPES, 'nd-router-solicit', 'nd-router-advert', 'nd-neighbor-solicit',
                          'nd-neighbor-advert'), TTL: _ON_LINK}, EVERYONE, 'neighbour discovery'),
    (6, 58, {TYPE: _types(space.ICMPV6_TYPES, 'mld-listener-query', 'mld-listener-report', 'mld2-listener-report')},
     LINK_LOCAL_V6, 'multicast listener discovery'),
)
_DHCPV6_CLIENT = (6, 17, {DPORT: ((546, 546),), SPORT: ((547, 547),), DADDR: 'link-local'}, LINK_LOCAL_V6)
BASELINE = {
    'nftables': _COMMON_BASELINE,
    'ufw': _COMMON_BASELINE + (
        (6, 58, {TYPE: _types(space.ICMPV6_TYPES, 'mld-listener-done')}, LINK_LOCAL_V6, 'multicast listener done (ufw)'),
        (4, 17, {DPORT: ((68, 68),), SPORT: ((67, 67),)}, EVERYONE, 'DHCP client (ufw)'),
        _DHCPV6_CLIENT + ('DHCPv6 client (ufw)',),
    ),
}
# Since schema 2 the nftables table accepts a DHCPv6 server's replies too; a table applied with a
# schema 1 record did not.
BASELINE_SINCE_SCHEMA_2 = {'nftables': (_DHCPV6_CLIENT + ('DHCPv6 client',),), 'ufw': ()}


def baseline(backend, schema):
    """What a backend accepts besides the record's ports, for a record of this schema."""
    found = BASELINE.get(backend, BASELINE['nftables'])
    if schema >= 2:
        found = found + BASELINE_SINCE_SCHEMA_2.get(backend, ())
    return found


PORT_LIST_LIMIT = 1024


def canonical(address):
    return str(ipaddress.ip_address(address))


def _family(address):
    return 'ipv%d' % ipaddress.ip_address(address).version


def _network_values(items, where):
    found = {4: [], 6: []}
    for item in items:
        try:
            network = ipaddress.ip_network(item, strict=False)
        except (TypeError, ValueError):
            raise PolicyError('policy: %s holds %r, which is not a network' % (where, item))
        found[network.version].append((int(network.network_address), int(network.broadcast_address)))
    return dict((version, space.interval_set(ranges)) for version, ranges in found.items())


def port_list_text(ports):
    """'10050-10052,10060' for a list of port numbers."""
    ranges = []
    for port in sorted(set(ports)):
        if ranges and port == ranges[-1][1] + 1:
            ranges[-1][1] = port
        else:
            ranges.append([port, port])
    return ','.join(str(a) if a == b else '%d-%d' % (a, b) for a, b in ranges)


class ExpectedPolicy(object):
    """A record (policy.json) read for checking: who may reach which port."""

    def __init__(self, policy):
        if not isinstance(policy, dict):
            raise PolicyError('policy: expected the mapping of a policy record, got %r' % (policy,))
        if policy.get('schema') not in READABLE_SCHEMAS:
            raise PolicyError('policy: schema %r is not one this version reads (%s); re-run the site playbook to '
                              'rewrite the record' % (policy.get('schema'), ', '.join(str(v) for v in READABLE_SCHEMAS)))
        self.policy = policy
        self.schema = policy['schema']
        sources = policy.get('sources') or {}
        if not isinstance(sources, dict):
            raise PolicyError('policy: sources = %r is not a mapping' % (sources,))
        # Every named audience (admin, cluster, and since schema 2 an extra rule's own sources).
        self.members = {}
        for audience in set((ADMIN, CLUSTER)) | set(sources):
            for family in FAMILIES:
                items = (sources.get(audience) or {}).get(family) or []
                values = _network_values(items, 'sources.%s.%s' % (audience, family))
                self.members[audience, family] = values[VERSIONS[family]]
        self.ports = []
        for index, entry in enumerate(policy.get('ports') or []):
            try:
                first, last = int(entry['first']), int(entry['last'])
                proto, allow = entry['proto'], entry['allow']
            except (KeyError, TypeError, ValueError):
                raise PolicyError('policy: ports[%d] = %r lacks first, last, proto or allow' % (index, entry))
            self._check_audience(allow, 'ports[%d]' % index)
            self.ports.append((proto, first, last, allow, entry.get('service', '')))
        if not self.ports:
            raise PolicyError('policy: has no ports')
        self.rules = []
        for index, rule in enumerate(policy.get('rules') or []):
            try:
                self._check_audience(rule['allow'], 'rules[%d]' % index)
                self.rules.append(dict(rule, protocol=int(rule['protocol']), families=list(rule['families']),
                                       ports=[(int(a), int(b)) for a, b in rule.get('ports') or []]))
            except (KeyError, TypeError, ValueError):
                raise PolicyError('policy: rules[%d] = %r lacks protocol, families or allow' % (index, rule))
        self._audience_cache = {}
        self.peers = policy.get('peers') or {}
        self.cluster_sources = policy.get('cluster_sources') or []
        self.backend = policy.get('backend', 'nftables')

    def _check_audience(self, allow, where):
        if allow not in (EVERYONE, NOBODY) and (allow, 'ipv4') not in self.members:
            raise PolicyError('policy: %s.allow = %r is not everyone, nobody or one of the sources (%s)' % (
                where, allow, ', '.join(sorted(set(key for key, dummy in self.members)))))

    def interface_names(self):
        """The interfaces the record's extra rules are scoped to."""
        return sorted(set(rule['interface'] for rule in self.rules if rule.get('interface')))

    def destinations(self, version):
        """[(protocol, group)]: the multicast groups the record's extra rules accept, each with its
        protocol (the host's own addresses are always checked; a group, for the protocol a rule names)."""
        found = []
        for rule in self.rules:
            for item in (rule.get('destinations') or {}).get('ipv%d' % version) or []:
                network = ipaddress.ip_network(item, strict=False)
                if network.is_multicast:
                    found.append((rule['protocol'], space.interval_set(
                        [(int(network.network_address), int(network.broadcast_address))])))
        return found

    def member(self, audience, address):
        version, number = space.address_number(address)
        return space.contains(self.members[audience, 'ipv%d' % version], number)

    def _audiences(self, proto, port):
        key = (proto, port)
        if key not in self._audience_cache:
            self._audience_cache[key] = set(allow for entry_proto, first, last, allow, dummy in self.ports
                                            if entry_proto == proto and first <= port <= last)
        return self._audience_cache[key]

    def allows(self, proto, port, address):
        """Whether a new connection from address to this port, on any interface, is let in (an extra
        rule bound to one interface or to a multicast group does not count)."""
        audiences = set(self._audiences(proto, port))
        for rule in self.rules:
            if (rule['protocol_name'] == proto and not rule.get('interface') and not rule.get('destinations')
                    and (not rule['ports'] or any(first <= port <= last for first, last in rule['ports']))):
                audiences.add(rule['allow'])
        if EVERYONE in audiences:
            return True
        return any(self.member(audience, address) for audience in audiences - set((NOBODY,)))

    def service(self, proto, port):
        names = [name for entry_proto, first, last, dummy, name in self.ports
                 if entry_proto == proto and first <= port <= last]
        return ','.join(names)

    def services(self, proto, values):
        """Names of the policy's ports of this protocol inside an interval set."""
        return sorted(set(name for entry_proto, first, last, dummy, name in self.ports
                          if entry_proto == proto and name and space.intersect(values, ((first, last),))))

    def checked_ports(self):
        """[(proto, port)] the probes try: the policy's ports, their neighbours, the same numbers in
        the other protocol, and a sample of others."""
        wanted = set()
        for proto, first, last, dummy, dummy in self.ports:
            if last - first < EXHAUSTIVE_RANGE:
                inside = range(first, last + 1)
            else:
                inside = (first, first + 1, (first + last) // 2, last - 1, last)
            wanted.update((proto, port) for port in inside)
            wanted.update((proto, port) for port in (first - 1, last + 1) if 1 <= port <= 65535)
            wanted.add(('udp' if proto == 'tcp' else 'tcp', first))
        for proto, ports in SAMPLE_PORTS.items():
            wanted.update((proto, port) for port in ports)
        return sorted(wanted)

    def audience_values(self, audience, version):
        """The source addresses (interval set) an audience stands for; None for everyone."""
        if audience == EVERYONE:
            return None
        if (audience, 'ipv%d' % version) in self.members:
            return self.members[audience, 'ipv%d' % version]
        return space.interval_set([space.network_interval(audience)[1]])

    def allowed(self, version, host, interface_index=None):
        """[{dimension: values}]: boxes of the packets this policy lets in, for one family."""
        found = []
        for proto, first, last, allow, dummy in self.ports:
            if allow == NOBODY:
                continue
            partial = {FAMILY: space.single(version), PROTO: space.single(space.PROTOCOL_NUMBERS[proto]),
                       DPORT: ((first, last),)}
            sources = self.audience_values(allow, version)
            if sources is not None:
                partial[SADDR] = sources
            found.append(partial)
        found.extend(self._rule_boxes(version, host, interface_index))
        for family, proto, fields, audience, dummy in baseline(self.backend, self.schema):
            if family != version:
                continue
            partial = {FAMILY: space.single(version), PROTO: space.single(proto)}
            for dim, values in fields.items():
                partial[dim] = host.link_local(version) if values == 'link-local' else values
            sources = self.audience_values(audience, version)
            if sources is not None:
                partial[SADDR] = sources
            found.append(partial)
        return found

    def _rule_boxes(self, version, host, interface_index):
        found = []
        family = 'ipv%d' % version
        for rule in self.rules:
            if family not in rule['families']:
                continue
            partial = {FAMILY: space.single(version), PROTO: space.single(rule['protocol'])}
            if rule['ports']:
                partial[DPORT] = space.interval_set(rule['ports'])
            if rule.get('destinations'):
                partial[DADDR] = _network_values(rule['destinations'].get(family) or [], 'rules')[version]
            if rule.get('interface'):
                if interface_index is None:
                    continue
                partial[IIF] = space.single(interface_index(rule['interface']))
            sources = self.audience_values(rule['allow'], version)
            if sources is not None:
                partial[SADDR] = sources
            found.append(partial)
        return found

    def trusted(self, version):
        admin = self.members[ADMIN, 'ipv%d' % version]
        everything = space.full_range(SADDR, version)
        return space.union(self.members[CLUSTER, 'ipv%d' % version], admin if admin != everything else ())


def live_tables(nft_listing, iptables_listing='', ip6tables_listing='', legacy_listing='', legacy6_listing='',
                ipsets='', nft_chains='', nft_rules=''):
    """Every table of the live ruleset: iptables' own from its save output, the others from nft -j;
    legacy iptables tables (a separate set of tables beside nf_tables) from iptables-legacy-save;
    nft_rules: `nft -a list ruleset`, read where nft's JSON leaves set statements incomplete."""
    tables = []
    readable = set()
    sets = iptables_save.read_ipsets(ipsets)
    for family, listing in (('ip', iptables_listing), ('ip6', ip6tables_listing)):
        incompatible = iptables_save.incompatible_tables(listing)
        for table in iptables_save.read_tables(listing, family, ipsets=sets):
            if table.name not in incompatible:
                tables.append(table)
                readable.add((family, table.name))
    for family, listing in (('ip', legacy_listing), ('ip6', legacy6_listing)):
        tables.extend(iptables_save.read_tables(listing, family, 'iptables-legacy-save', sets))
    return nft_json.read_tables(nft_listing, skip=readable, devices=nft_json.chain_devices(nft_chains),
                                texts=nft_json.rule_texts(nft_rules)) + tables


class LocalHost(Host):
    """This host's addresses (all of them, secondary and virtual ones included), routes and links."""

    def link_local(self, version):
        values = [space.address_number(item)[1] for item in self.addresses
                  if ipaddress.ip_address(item).version == version and ipaddress.ip_address(item).is_link_local]
        return space.interval_set((value, value) for value in values)


def _stacked(link):
    """Whether a link with a lower device (`link`) receives through it (a VLAN, macvlan or ipvlan), as
    `ip -d` says, or without details as a VLAN's usual name says; a veth's `link` is its peer."""
    kind = (link.get('linkinfo') or {}).get('info_kind')
    if kind is not None:
        return kind in ('vlan', 'macvlan', 'macvtap', 'ipvlan')
    return str(link.get('ifname', '')).startswith(link['link'] + '.')


def host_from_listings(addresses, routes4, routes6, links, forwarding=None, route_localnet=None):
    """A LocalHost from the parsed JSON of `ip -j address show`, `ip -j -4|-6 route show table main`
    and `ip -j link show`: every address but loopback's (and each interface's, in order), the main
    table's routes (a multipath route, listed with `nexthops` and no `dev`, on each next hop's device),
    the links and which device each one's packets go on to (`master`: a bridge or bond; `link`: a
    VLAN's lower device); forwarding: {4: bool, 6: bool} from the kernel's forwarding sysctls."""
    found = []
    per_interface = {}
    for link in addresses or []:
        for info in link.get('addr_info', []):
            if info.get('scope') != 'host' and info.get('local'):
                found.append(info['local'].split('%')[0])
                per_interface.setdefault(link.get('ifname'), []).append(info['local'].split('%')[0])
    routes = []
    for listing, default in ((routes4, '0.0.0.0/0'), (routes6, '::/0')):
        for route in listing or []:
            if not route.get('dst') or route.get('type', 'unicast') != 'unicast':
                continue
            devices = [route['dev']] if route.get('dev') else [
                hop['dev'] for hop in route.get('nexthops') or [] if isinstance(hop, dict) and hop.get('dev')]
            for dev in devices:
                routes.append((default if route['dst'] == 'default' else route['dst'], dev))
    names = [link.get('ifname') for link in links or [] if link.get('ifname')]
    uppers = {}
    bridges = set()
    for link in links or []:
        if link.get('master'):
            uppers[link['ifname']] = link['master']
            kind = ((link.get('linkinfo') or {}).get('info_slave_kind'))
            # Without `ip -d`, a master may be a bridge or a bond: taken as a bridge.
            if kind in (None, 'bridge'):
                bridges.add(link['master'])
        elif link.get('link') and _stacked(link):
            uppers[link['link']] = link['ifname']
        if (link.get('linkinfo') or {}).get('info_kind') == 'bridge':
            bridges.add(link['ifname'])
    return LocalHost(found, routes, names, dict((int(version), bool(int(value)))
                                                for version, value in (forwarding or {}).items()),
                     per_interface, uppers, sorted(bridges), route_localnet)


def route_localnet_of(values):
    """Whether a DNAT to 127.0.0.0/8 is delivered, from {interface or 'all': route_localnet set}: True
    when 'all' sets it, False when no interface does, None (unknown) when some do: it then depends on
    the interface the packet came in on."""
    if values.get('all'):
        return True
    return None if any(values.values()) else False


def _initial_boxes(version, evaluator, host, groups=()):
    """The packets that open a connection to this host, and those of each (protocol, multicast
    group) an extra rule accepts, as boxes."""
    full = dict((dim, space.full_range(dim, version, len(evaluator.interfaces))) for dim in range(len(space.DIMENSIONS)))
    full[FAMILY] = space.single(version)
    full[DPORT] = full[SPORT] = ((1, 65535),)
    local = host.local(version)
    if local:
        full[DADDR] = local
    icmp, requests = ICMP_REQUESTS[version]
    boxes = []
    main = dict(full)
    main[PROTO] = space.subtract(full[PROTO], space.single(icmp))
    main[CT] = space.single(space.CT_NEW)
    # A TCP first packet is any segment with SYN set and ACK, RST and FIN clear.
    main[FLAGS] = space.FIRST_PACKET_FLAGS
    boxes.append(main)
    echo = dict(full)
    echo[PROTO] = space.single(icmp)
    echo[TYPE] = space.interval_set((t, t) for t in requests)
    echo[CT] = space.single(space.CT_NEW)
    echo[FLAGS] = space.single(0)
    boxes.append(echo)
    if version == 6:
        discovery = dict(full)
        discovery[PROTO] = space.single(icmp)
        discovery[TYPE] = space.interval_set((t, t) for t in ICMPV6_UNTRACKED)
        discovery[CT] = space.single(space.CT_UNTRACKED)
        discovery[FLAGS] = space.single(0)
        boxes.append(discovery)
    for proto, group in groups:
        multicast = dict(full)
        multicast.update({DADDR: group, PROTO: space.single(proto), CT: space.single(space.CT_NEW),
                          FLAGS: space.FIRST_PACKET_FLAGS})
        boxes.append(multicast)
    return [tuple(box[dim] for dim in range(len(space.DIMENSIONS))) for box in boxes]


def remote_sources(version):
    """Every source address of the family but the martians, which never arrive from the network."""
    universe = space.full_range(SADDR, version)
    for text in MARTIANS[version]:
        universe = space.subtract(universe, (space.network_interval(text)[1],))
    return universe


def plausible_sources(evaluator, host, version):
    """{interface index: sources judged as arriving on it}: on the interface the host routes them
    through, and on every interface a rule names; never martians or the host's own addresses."""
    universe = space.subtract(remote_sources(version), host.local(version))
    unnamed = len(evaluator.interfaces) - 1
    # A bridge port, bond slave or VLAN's lower device hands its packets to the device above it.
    found = dict((index, space.EMPTY if evaluator.interfaces[index] in host.uppers else universe)
                 for index in range(unnamed))
    painted = host.route_map(version)
    if painted is None:
        found[unnamed] = universe
        return found
    routed = {}
    for first, last, devs in painted:
        for dev in devs:
            index = evaluator.interface_index(dev)
            routed.setdefault(index, []).append((first, last))
    found[unnamed] = space.intersect(universe, space.interval_set(routed.get(unnamed, ())))
    return found


def _split_by_expectation(box, allowed):
    """([parts the policy lets in], [parts it keeps out]) of a box."""
    inside = []
    rest = [box]
    for partial in allowed:
        following = []
        for part in rest:
            hit = space.box_within(part, partial)
            if hit is None:
                following.append(part)
                continue
            inside.append(hit)
            following.extend(space.box_minus(part, partial))
        rest = following
        if not rest:
            break
    return inside, rest


_ICMP_LABELS = ('icmp', 'icmpv6')


def _protocol_groups(values, version):
    """[(label, values)]: each port-carrying protocol and the family's ICMP on its own, the others together."""
    groups = []
    rest = values
    for number in space.PORT_PROTOCOLS + (ICMP_REQUESTS[version][0],):
        part = space.intersect(values, space.single(number))
        if part:
            groups.append((space.PROTOCOL_NAMES[number], part))
            rest = space.subtract(rest, part)
    if rest:
        names = ['%s' % space.PROTOCOL_NAMES.get(first, first) if first == last else '%d-%d' % (first, last)
                 for first, last in rest]
        groups.append(('protocol ' + ','.join(names), rest))
    return groups


# Fields a protocol does not have: set to their full range before boxes are merged for the report.
_IRRELEVANT = {'ports': (TYPE, CODE, CT, TTL, FLAGS), 'tcp': (TYPE, CODE, CT, TTL),
               'icmp': (DPORT, SPORT, CODE, CT, FLAGS), 'other': (DPORT, SPORT, TYPE, CODE, CT, TTL, FLAGS)}


def _normal(box, proto_values, kind, version, interfaces):
    box = space.replace(box, PROTO, proto_values)
    for dim in _IRRELEVANT[kind]:
        box = space.replace(box, dim, ((1, 65535),) if dim in (DPORT, SPORT) else space.full_range(dim, version, interfaces))
    return box


class _Report(object):
    """Turns difference boxes of one family into report entries."""

    def __init__(self, expected, evaluator, host, version):
        self.expected = expected
        self.evaluator = evaluator
        self.version = version
        self.family = 'ipv%d' % version
        self.host = host
        self.universe = remote_sources(version)
        self.local = host.local(version)

    def source_class(self, values):
        labels = []
        if space.subtract(values, self.expected.trusted(self.version)):
            labels.append('outsider')
        peers = [name for name in sorted(self.expected.peers)
                 if any(ipaddress.ip_address(address).version == self.version
                        and space.contains(values, int(ipaddress.ip_address(address)))
                        for address in self.expected.peers[name])]
        if len(peers) > 4:
            labels.append('peers %s and %d more' % (', '.join(peers[:4]), len(peers) - 4))
        else:
            labels.extend('peer %s' % name for name in peers)
        for label, items in (('cluster source', self.expected.cluster_sources),
                             ('admin source', (self.expected.policy.get('sources') or {}).get(ADMIN, {}).get(self.family) or [])):
            for item in items:
                version, interval = space.network_interval(item)
                if version == self.version and interval != self.universe_bounds() and space.intersect(values, (interval,)):
                    labels.append('%s %s' % (label, item))
        return ', '.join(labels) or 'other'

    def universe_bounds(self):
        return space.full_range(SADDR, self.version)[0]

    def representative(self, values):
        for candidate in OUTSIDER_CANDIDATES[self.family]:
            if space.contains(values, int(ipaddress.ip_address(candidate))):
                return candidate
        for name in sorted(self.expected.peers):
            for address in self.expected.peers[name]:
                parsed = ipaddress.ip_address(address)
                if parsed.version == self.version and space.contains(values, int(parsed)):
                    return str(parsed)
        first, last = values[0]
        return space.address_text(self.version, first + 1 if last - first > 1 else first)

    def _filled(self, values):
        """values with the host's own addresses that lie inside it added back: they are never judged
        as sources, and without them a prefix such as fe80::/10 would print as a hundred pieces."""
        holes = [(first, last) for first, last in self.local
                 if space.contains(values, first - 1) and space.contains(values, last + 1)]
        return space.union(values, tuple(holes)) if holes else values

    def sources_text(self, values):
        missing = space.subtract(space.subtract(self.universe, values), self.local)
        if not missing:
            return 'any source'
        if space.size(missing) < space.size(values):
            return 'any source except %s' % _listing(space.prefixes(self.version, self._filled(missing)))
        return _listing(space.prefixes(self.version, self._filled(values)))

    def entry(self, kind, proto_label, box, final, expected_open):
        interfaces = self.evaluator.interfaces
        ports = box[TYPE] if proto_label in ('icmp', 'icmpv6') else box[DPORT]
        carries_ports = proto_label in [space.PROTOCOL_NAMES[n] for n in space.PORT_PROTOCOLS]
        where = describe(final.where)
        names = [interfaces[i] or '(any interface no rule names)' for first, last in box[IIF]
                 for i in range(first, last + 1)]
        entry = {
            'kind': kind, 'family': self.family, 'proto': proto_label,
            'port': ('type ' if proto_label in ('icmp', 'icmpv6') else '') + space.ranges_text(ports)
            if carries_ports or proto_label in ('icmp', 'icmpv6') else 'any',
            'port_ranges': [list(item) for item in ports] if carries_ports else [],
            'ports': [port for first, last in ports for port in range(first, last + 1)]
            if carries_ports and space.size(ports) <= PORT_LIST_LIMIT else [],
            'services': self.expected.services(proto_label, ports) if carries_ports else [],
            'sources': space.prefixes(self.version, self._filled(box[SADDR])),
            'sources_text': self.sources_text(box[SADDR]),
            'source': self.representative(box[SADDR]),
            'source_class': self.source_class(box[SADDR]),
            'source_ports': None if box[SPORT] == ((1, 65535),) else space.ranges_text(box[SPORT]),
            'interfaces': names,
            'destinations': None if box[DADDR] == self.local or not self.local
            else space.prefixes(self.version, box[DADDR]),
            'hop_limit': None if box[TTL] == ((0, 255),) else space.ranges_text(box[TTL]),
            'tcp_flags': None if proto_label != 'tcp' or box[FLAGS] == space.FIRST_PACKET_FLAGS
            else _flags_text(box[FLAGS]),
            'extension_headers': None if not space.subtract(space.subtract(space.full_range(EXTHDR, self.version),
                                                                           box[EXTHDR]), _ROUTING)
            else ', '.join(space.EXTHDR_NAMES[value] for first, last in box[EXTHDR] for value in range(first, last + 1)),
            'expected': OPEN if expected_open else CLOSED,
            'actual': final.verdict,
            'via': describe(final.via)['rule'] if final.via else None,
        }
        entry.update(where)
        return entry


_ROUTING = ((space.EXTHDR_ROUTING0, space.EXTHDR_ROUTING),)


def _reverse_path(where):
    rule = where[2] if isinstance(where, tuple) else None
    return rule is not None and any(atom[0] == RPF for atom in rule.atoms)


def _flags_text(values):
    """'syn|ece|cwr, syn|psh' for the TCP flag values of a box."""
    names = ('fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr')
    return ', '.join('|'.join(name for bit, name in enumerate(names) if value & (1 << bit)) or 'none'
                     for first, last in values for value in range(first, last + 1))


def _listing(items):
    # A verification message names at most eight sources or destinations.
    return _listed(items, 8)


def _identity(where):
    if where is None:
        return None
    return tuple(id(item) for item in where) if isinstance(where, tuple) else (id(where),)


def compare(tables, expected, host, outsiders=()):
    """(number of cells evaluated, grouped differences) of the live tables against the policy;
    outsiders: addresses the user probes from, which a ban may not close without being blocked."""
    cells = 0
    differences = []
    for family in FAMILIES:
        version = VERSIONS[family]
        evaluator = Evaluator(tables, family, host, expected.interface_names())
        finals = evaluator.evaluate(_initial_boxes(version, evaluator, host, expected.destinations(version)))
        cells += len(finals)
        allowed = expected.allowed(version, host, evaluator.interface_index)
        arrivals = plausible_sources(evaluator, host, version)
        groups = {}
        for final in finals:
            inside, outside = _split_by_expectation(final.box, allowed)
            parts = []
            if final.verdict == OPEN:
                parts = [(EXPOSED, part, False) for part in outside]
            elif final.verdict == CLOSED:
                parts = [(BLOCKED, part, True) for part in inside]
            else:
                parts = [(UNKNOWN, part, True) for part in inside] + [(UNKNOWN, part, False) for part in outside]
            if final.verdict == CLOSED and _reverse_path(final.where):
                # A reverse-path check drops what arrives where its source is not routed: not a real arrival.
                parts = []
            for kind, part, expected_open in parts:
                if expected_open:
                    # A first packet with a Routing header (RFC 5095 deprecates type 0) may be refused:
                    # refusing it never exposes anything, so only its being let in when closed is reported.
                    part = space.cut(part, EXTHDR, _ROUTING)[1]
                    if part is None:
                        continue
                for first, last in part[IIF]:
                    for index in range(first, last + 1):
                        sources = space.intersect(part[SADDR], arrivals.get(index, ()))
                        if not sources:
                            continue
                        judged = space.replace(space.replace(part, IIF, space.single(index)), SADDR, sources)
                        for label, proto_values in _protocol_groups(judged[PROTO], version):
                            number = proto_values[0][0]
                            shape = 'icmp' if label in _ICMP_LABELS else 'ports' if (
                                len(proto_values) == 1 and proto_values[0][0] == proto_values[0][1]
                                and number in space.PORT_PROTOCOLS) else 'other'
                            if shape == 'ports' and number == space.PROTOCOL_NUMBERS['tcp']:
                                shape = 'tcp'
                            normal = _normal(judged, proto_values, shape, version, len(evaluator.interfaces))
                            key = (kind, label, _identity(final.where), _identity(final.via), final.verdict, expected_open)
                            groups.setdefault(key, (final, []))[1].append(normal)
        report = _Report(expected, evaluator, host, version)
        for (kind, label, dummy, dummy, dummy, expected_open), (final, boxes) in groups.items():
            for box in space.coalesce(boxes):
                differences.append(report.entry(kind, label, box, final, expected_open))
    remote_size = dict((family, space.size(remote_sources(VERSIONS[family]))) for family in FAMILIES)
    banned, kept = bans.separate([item for item in differences if item['kind'] == BLOCKED], expected,
                                 outsiders, remote_size)
    differences = [item for item in differences if item['kind'] != BLOCKED] + kept + banned
    differences.sort(key=lambda item: (FINDING_KINDS.index(item['kind']), item['family'], item['proto'],
                                       item['port_ranges'][:1], item['sources'][:1]))
    return cells, differences


def redirects(tables):
    """Every DNAT and redirect rule: they hand packets to the forward path or another port."""
    return [describe((table, chain, rule)) for table in tables for chain in table.chains.values()
            for rule in chain.rules if rule.verdict == REDIRECT]


def difference_text(item):
    if item['kind'] == BANNED:
        return '%s %s/%s %s: %s (services %s)' % (item['kind'], item['proto'], item['port'], item['family'],
                                                  item['about'], ', '.join(item['services']) or 'none')
    where = item['rule'] if item['table'] is None else '%s, chain %s, %s' % (
        item['table'], item['chain'], item['rule'] if item['position'] is None
        else '%s: %s' % (item['position'], item['rule']))
    qualifiers = ''
    if item.get('source_ports'):
        qualifiers += ', source port %s' % item['source_ports']
    if item.get('hop_limit'):
        qualifiers += ', hop limit %s' % item['hop_limit']
    if item.get('tcp_flags'):
        qualifiers += ', TCP flags %s' % item['tcp_flags']
    if item.get('extension_headers'):
        qualifiers += ', IPv6 extension header %s' % item['extension_headers']
    if item.get('destinations'):
        qualifiers += ', to %s' % _listing(item['destinations'])
    named = [name for name in item.get('interfaces') or [] if not name.startswith('(')]
    if named:
        qualifiers += ', in on %s' % ', '.join(named)
    return '%s %s/%s %s from %s (%s)%s: %s (expected %s) -- decided by %s' % (
        item['kind'], item['proto'], item['port'], item['family'], item.get('sources_text', item['source']),
        item['source_class'], qualifiers, item['actual'], item['expected'], where)


# bm-iptables' chains, in BlueMind's own firewall.
BM_IPTABLES_CHAINS = bm_iptables_conflict.CHAINS
FAIL_ON_VARIABLES = "narrow fail_on (bluemind_firewall_verify_fail_on, for the role and the verify playbook)"


def hints(differences):
    """What to do about the differences, in a line or two, for the ones that have a usual cause."""
    found = []
    if any(item.get('chain') in BM_IPTABLES_CHAINS for item in differences):
        found.append("bm-iptables (BlueMind's own firewall, chains bmhosts and bmports) decides some of these: set "
                     "bluemind_firewall_bm_iptables: disabled to leave the collection's policy alone in force, or %s "
                     "to the kinds that should fail." % FAIL_ON_VARIABLES)
    elif any(item['kind'] == BLOCKED for item in differences):
        found.append('Another firewall closes what the policy opens, to many sources or to ones the installation '
                     'needs (a peer, a cluster or admin source, an outsider); a ban of a few others would be '
                     'reported as banned. If that is intended, %s '
                     'to [exposed, unknown].' % FAIL_ON_VARIABLES)
    return found


def intended_source(source, recorded):
    """The address a probe should count as coming from: its real source when the prober's records
    know it (or give none), else the prober's first recorded address of that family (what its peers
    trust), so that the probes show what the policy intends for this host."""
    if not recorded or canonical(source) in recorded:
        return source
    same_family = [item for item in recorded if _family(item) == _family(source)]
    return same_family[0] if same_family else source


def source_mismatch_text(item):
    """One line for a probe that left from an address its prober's peers do not know."""
    host = item.get('prober') or 'this host'
    return ('%s %s reaches %s (%s) from %s, which is not one of its recorded addresses (%s): %s drops what '
            '%s sends from there. List it in %s\'s bluemind_firewall_address (for example {%s: [%s]})' % (
                item['kind'], host, item['name'], item['address'], item['source'], ', '.join(item['recorded']),
                item['name'], host, host, _family(item['source']),
                ', '.join([a for a in item['recorded'] if _family(a) == _family(item['source'])] + [item['source']])))


def probe_plan(expected, source):
    """[(port, expectation, service)] for probing a host with this policy from the source address."""
    return [(port, 'reachable' if expected.allows(proto, port, source) else 'filtered', expected.service(proto, port))
            for proto, port in expected.checked_ports() if proto == 'tcp']


def probe_difference(expect, state):
    """None when the probe's state meets the expectation, else exposed or blocked."""
    if state in PROBE_MATCHES[expect]:
        return None
    if state == 'open' or (state == 'refused' and expect == 'filtered'):
        return EXPOSED
    return BLOCKED
