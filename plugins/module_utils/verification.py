# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a recorded policy expects of each port and source, and how the live rules compare.

A difference is "exposed" (reachable, should be closed: a security problem), "blocked" (closed,
should be reachable: an availability problem) or "unknown" (a rule the evaluator cannot predict,
or a DNAT that sends the packet elsewhere, decides it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.bluemind.firewall.plugins.module_utils import iptables_save, nft_json
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (
    ADMIN, CLUSTER, EVERYONE, NOBODY, SCHEMA_VERSION, PolicyError,
)
from ansible_collections.bluemind.firewall.plugins.module_utils.ruleset import (
    CLOSED, OPEN, REDIRECT, Evaluator, Packet, Values, describe,
)

EXPOSED = 'exposed'
BLOCKED = 'blocked'
UNKNOWN = 'unknown'
FINDING_KINDS = (EXPOSED, BLOCKED, UNKNOWN)
FAMILIES = ('ipv4', 'ipv6')

# Ports outside any BlueMind policy that a firewall left open would typically expose (file shares,
# databases, caches, name service), checked besides the policy's own ports and their neighbours.
SAMPLE_PORTS = {'tcp': (1, 21, 23, 53, 111, 135, 139, 445, 3306, 6379, 11211, 27017, 65535),
                'udp': (53, 123, 161, 5353)}
# Documentation and reserved ranges: addresses no real peer has, to stand for "anyone else".
OUTSIDER_CANDIDATES = {'ipv4': ('203.0.113.7', '198.51.100.7', '192.0.2.7', '100.64.0.7', '10.255.255.7'),
                       'ipv6': ('2001:db8::7', '2001:db8:ffff::7', 'fd00:ffff::7')}
# Ranges up to this size are checked port by port; wider ones at their edges and middle.
EXHAUSTIVE_RANGE = 64
PROBE_EXPECTATIONS = ('open', 'reachable', 'refused', 'filtered', 'closed')
PROBE_MATCHES = {'open': ('open',), 'reachable': ('open', 'refused'), 'refused': ('refused',),
                 'filtered': ('filtered',), 'closed': ('refused', 'filtered')}


def canonical(address):
    return str(ipaddress.ip_address(address))


def _family(address):
    return 'ipv%d' % ipaddress.ip_address(address).version


def _networks(items, where):
    values = Values()
    for item in items:
        try:
            network = ipaddress.ip_network(item, strict=False)
        except (TypeError, ValueError):
            raise PolicyError('policy: %s holds %r, which is not a network' % (where, item))
        values.add_range(network.network_address, network.broadcast_address)
    return values


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
        if policy.get('schema') != SCHEMA_VERSION:
            raise PolicyError('policy: schema %r is not the schema %d this version reads; re-run the '
                              'site playbook to rewrite the record' % (policy.get('schema'), SCHEMA_VERSION))
        self.policy = policy
        self.ports = []
        for index, entry in enumerate(policy.get('ports') or []):
            try:
                first, last = int(entry['first']), int(entry['last'])
                proto, allow = entry['proto'], entry['allow']
            except (KeyError, TypeError, ValueError):
                raise PolicyError('policy: ports[%d] = %r lacks first, last, proto or allow' % (index, entry))
            if allow not in (EVERYONE, CLUSTER, ADMIN, NOBODY):
                raise PolicyError('policy: ports[%d].allow = %r is not everyone, cluster, admin or nobody'
                                  % (index, allow))
            self.ports.append((proto, first, last, allow, entry.get('service', '')))
        if not self.ports:
            raise PolicyError('policy: has no ports')
        sources = policy.get('sources') or {}
        self.members = {}
        for audience in (ADMIN, CLUSTER):
            for family in FAMILIES:
                items = (sources.get(audience) or {}).get(family) or []
                self.members[audience, family] = _networks(items, 'sources.%s.%s' % (audience, family))
        self._audience_cache = {}
        self.peers = policy.get('peers') or {}
        self.cluster_sources = policy.get('cluster_sources') or []

    def member(self, audience, address):
        return bool(self.members[audience, _family(address)].contains(ipaddress.ip_address(address)))

    def _audiences(self, proto, port):
        key = (proto, port)
        if key not in self._audience_cache:
            self._audience_cache[key] = set(allow for entry_proto, first, last, allow, dummy in self.ports
                                            if entry_proto == proto and first <= port <= last)
        return self._audience_cache[key]

    def allows(self, proto, port, address):
        audiences = self._audiences(proto, port)
        if EVERYONE in audiences:
            return True
        return any(self.member(audience, address) for audience in audiences & set((CLUSTER, ADMIN)))

    def service(self, proto, port):
        names = [name for entry_proto, first, last, dummy, name in self.ports
                 if entry_proto == proto and first <= port <= last]
        return ','.join(names)

    def checked_ports(self):
        """[(proto, port)]: the policy's ports, their neighbours, the same numbers in UDP and a sample."""
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

    def _representative(self, network, avoid):
        """An address of the network, preferring one the avoid() test rejects."""
        if network.num_addresses <= 2:
            candidates = [network.network_address]
        else:
            candidates = [ipaddress.ip_address(item) for item in OUTSIDER_CANDIDATES[_family(network.network_address)]
                          if ipaddress.ip_address(item) in network]
            candidates += [network.network_address + 1, network.broadcast_address - 1]
        for candidate in candidates:
            if not avoid(str(candidate)):
                return str(candidate)
        return str(candidates[0])

    def sources(self, family, own_addresses=()):
        """[(label, address)]: an outsider, each peer, a host of each cluster source and admin source."""
        own = set(str(ipaddress.ip_address(item)) for item in own_addresses)
        found = []
        outsiders = [item for item in OUTSIDER_CANDIDATES[family] if not self.member(CLUSTER, item)]
        strangers = [item for item in outsiders if not self.member(ADMIN, item)]
        if strangers or outsiders:
            found.append(('outsider', (strangers or outsiders)[0]))
        for name in sorted(self.peers):
            for address in self.peers[name]:
                if _family(address) == family:
                    found.append(('peer %s' % name, address))
        for item in self.cluster_sources:
            network = ipaddress.ip_network(item, strict=False)
            if 'ipv%d' % network.version == family:
                found.append(('cluster source %s' % item, self._representative(network, lambda a: False)))
        admin_networks = (self.policy.get('sources') or {}).get(ADMIN, {}).get(family) or []
        for item in admin_networks:
            network = ipaddress.ip_network(item, strict=False)
            found.append(('admin source %s' % item,
                          self._representative(network, lambda a: self.member(CLUSTER, a))))
        unique = []
        seen = set(own)
        for label, address in found:
            if address not in seen:
                seen.add(address)
                unique.append((label, address))
        return unique


def live_tables(nft_listing, iptables_listing='', ip6tables_listing=''):
    """Every table of the live ruleset: iptables' own from its save output, the others from nft -j."""
    tables = []
    readable = set()
    for family, listing in (('ip', iptables_listing), ('ip6', ip6tables_listing)):
        incompatible = iptables_save.incompatible_tables(listing)
        for table in iptables_save.read_tables(listing, family):
            if table.name not in incompatible:
                tables.append(table)
                readable.add((family, table.name))
    return nft_json.read_tables(nft_listing, skip=readable) + tables


class LocalHost(object):
    """This host's addresses, and the interface a packet from a source comes in on."""

    def __init__(self, addresses, interface_for=None):
        self.addresses = [str(ipaddress.ip_address(item)) for item in addresses]
        self._interface_for = interface_for or (lambda address: None)
        self._interfaces = {}

    def address(self, family):
        return next((item for item in self.addresses if _family(item) == family), None)

    def interface(self, source):
        if source not in self._interfaces:
            self._interfaces[source] = self._interface_for(source)
        return self._interfaces[source]


def classify(should_open, verdict):
    if verdict == OPEN:
        return None if should_open else EXPOSED
    if verdict == CLOSED:
        return BLOCKED if should_open else None
    return UNKNOWN


def compare(tables, expected, host):
    """(number of checks, grouped differences) of the live tables against the expected policy."""
    checks = 0
    groups = {}
    ports = expected.checked_ports()
    for family in FAMILIES:
        evaluator = Evaluator(tables, family)
        daddr = host.address(family)
        # Sources the rules cannot tell apart (all peers in one set, say) get one evaluation:
        # a thousand-peer cluster costs little more than a two-host one.
        classes = {}
        for label, source in expected.sources(family, host.addresses):
            interface = host.interface(source)
            classes.setdefault(evaluator.source_class(source, interface), []).append((label, source, interface))
        for members in classes.values():
            dummy, first, interface = members[0]
            for proto, port in ports:
                report = evaluator.decide(Packet(family, proto, port, first, daddr, interface)).report()
                for label, source, dummy in members:
                    should_open = expected.allows(proto, port, source)
                    kind = classify(should_open, report['verdict'])
                    checks += 1
                    if kind is None:
                        continue
                    key = (kind, family, proto, label, source, report['verdict'], report['table'],
                           report['chain'], report['position'], report['rule'], should_open)
                    groups.setdefault(key, []).append(port)
    differences = []
    for key, found in sorted(groups.items(), key=lambda item: (FINDING_KINDS.index(item[0][0]),) + item[0][1:5]):
        kind, family, proto, label, source, verdict, table, chain, position, rule, should_open = key
        differences.append({
            'kind': kind, 'family': family, 'proto': proto, 'ports': sorted(found), 'port': port_list_text(found),
            'services': sorted(set(name for name in (expected.service(proto, p) for p in found) if name)),
            'source': source, 'source_class': label, 'expected': OPEN if should_open else CLOSED,
            'actual': verdict, 'table': table, 'chain': chain, 'position': position, 'rule': rule,
        })
    return checks, differences


def redirects(tables):
    """Every DNAT and redirect rule: they hand packets to the forward path or another port."""
    return [describe((table, chain, rule)) for table in tables for chain in table.chains.values()
            for rule in chain.rules if rule.verdict == REDIRECT]


def difference_text(item):
    where = item['rule'] if item['table'] is None else '%s, chain %s, %s' % (
        item['table'], item['chain'], item['rule'] if item['position'] is None
        else '%s: %s' % (item['position'], item['rule']))
    return '%s %s/%s %s from %s %s: %s (expected %s) -- decided by %s' % (
        item['kind'], item['proto'], item['port'], item['family'], item['source_class'], item['source'],
        item['actual'], item['expected'], where)


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
