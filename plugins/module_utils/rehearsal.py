# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A rehearsal of a user's inventory in containers: which address each container takes, what the
probes saw (the reachability matrix) and what changed since the previous rehearsal.

The containers sit on a bridge of their own that has no address on this machine: they reach each
other and nothing else. So a container can take the inventory's own address (a public one, or one of
a network this machine is on) without any real host being reachable from it, and the firewall rules
the rehearsal renders hold the same addresses as production's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError, host_addresses, port_text

FAMILIES = ('ipv4', 'ipv6')
# Where an address is allocated when the inventory gives none: documentation and unique-local ranges,
# each address checked against the inventory's own.
HOST_POOLS = {'ipv4': ('172.31.213.0/24', '100.127.213.0/24'), 'ipv6': ('fd42:b1:e:1::/64', 'fd42:b1:e:2::/64')}
OUTSIDER_POOLS = {'ipv4': ('198.51.100.0/24', '203.0.113.0/24', '100.127.99.0/24'),
                  'ipv6': ('2001:db8:ffff::/64', 'fd42:b1:e:99::/64')}
OUTSIDER = 'outsider'
ADMIN = 'admin'
_NAME = re.compile(r'[^a-zA-Z0-9_.-]+')
# Addresses tried per network before the next one.
_TRIES = 4096


class RehearsalError(Exception):
    pass


def container_names(prefix, hosts):
    """{host: container name}: the prefix, then the host's name with what podman refuses replaced."""
    names = {}
    for host in sorted(hosts):
        base = '%s-%s' % (prefix, _NAME.sub('-', host).strip('-.') or 'host')
        name, count = base, 1
        while name in names.values():
            count += 1
            name = '%s-%d' % (base, count)
        names[host] = name
    return names


def _networks(values, variable, host):
    found = []
    for value in values or []:
        try:
            found.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            raise RehearsalError('%s of %s: %r is not a network' % (variable, host, value))
    return found


def _literal(value):
    try:
        return ipaddress.ip_address(str(value).strip().strip('[]'))
    except ValueError:
        return None


def _inventory_addresses(name, spec):
    """{family: [addresses]} that the inventory gives this host: its bluemind_firewall_address, else
    its ansible_host when that is an IP literal (a name says nothing of the address)."""
    found = {'ipv4': [], 'ipv6': []}
    if spec.get('address') not in (None, '', []):
        try:
            for text in host_addresses(spec['address'], None, None):
                found['ipv4' if ipaddress.ip_address(text).version == 4 else 'ipv6'].append(text)
        except PolicyError as exc:
            raise RehearsalError('host %s: %s' % (name, exc))
    literal = _literal(spec.get('ansible_host'))
    if literal is not None:
        family = 'ipv4' if literal.version == 4 else 'ipv6'
        if not found[family]:
            found[family].append(str(literal))
    return found


class _Allocator(object):
    """Hands out addresses from networks, never one already taken nor one inside the networks to avoid."""

    def __init__(self, taken):
        self.taken = set(taken)

    def take(self, pools, avoid=()):
        for pool in pools:
            network = ipaddress.ip_network(pool)
            if any(network.version == net.version and network.subnet_of(net) for net in avoid):
                continue
            # hosts() leaves out a /31's or /32's only addresses; a rehearsal needs a few, not 2**64.
            candidates = network.hosts() if network.num_addresses > 2 else iter(network)
            for dummy, address in zip(range(_TRIES), candidates):
                text = str(address)
                if text not in self.taken and not any(address in net for net in avoid):
                    self.taken.add(text)
                    return text
        return None


def _not_everyone(networks):
    return [net for net in networks if net.prefixlen > 0]


def plan(hosts, prefix, machine_addresses=()):
    """Where each container of the rehearsal sits.

    hosts: {inventory name: {'address': its bluemind_firewall_address, 'ansible_host': ...,
    'admin_sources': [...] or None (the default: everyone), 'cluster_sources': [...],
    'rule_sources': [networks its extra rules name]}}.
    machine_addresses: this machine's own addresses, which no container may take.

    Returns {'hosts': {name: {'container', 'ipv4': [...], 'ipv6': [...], 'allocated': [families]}},
    'outsider': {...}, 'admin': {...} or None, 'mapping': [lines saying what was allocated]}.
    """
    if not hosts:
        raise RehearsalError('the inventory has no BlueMind host to rehearse')
    mine = set(str(ipaddress.ip_address(text)) for text in machine_addresses if _literal(text) is not None)
    given = {}
    for name in sorted(hosts):
        given[name] = _inventory_addresses(name, hosts[name])
        for family in FAMILIES:
            for text in given[name][family]:
                if text in mine:
                    raise RehearsalError(
                        'host %s: %s is an address of this machine. Its container cannot take it without this '
                        'machine answering for it: rehearse on another machine.' % (name, text))
    owners = {}
    for name in sorted(given):
        for family in FAMILIES:
            for text in given[name][family]:
                if text in owners:
                    raise RehearsalError('hosts %s and %s both have the address %s in the inventory'
                                         % (owners[text], name, text))
                owners[text] = name
    allocator = _Allocator(list(owners) + list(mine))
    names = container_names(prefix, list(hosts) + [OUTSIDER, ADMIN])
    result = {'hosts': {}, 'mapping': []}
    for name in sorted(hosts):
        entry = {'container': names[name], 'allocated': []}
        for family in FAMILIES:
            entry[family] = list(given[name][family])
            if not entry[family]:
                entry[family] = [allocator.take(HOST_POOLS[family])]
                entry['allocated'].append(family)
        result['hosts'][name] = entry
        if entry['allocated']:
            result['mapping'].append('%s: %s from the inventory, %s allocated (the inventory gives no %s address)' % (
                name, ', '.join(given[name]['ipv4'] + given[name]['ipv6']) or 'no address',
                ', '.join(entry[family][0] for family in entry['allocated']),
                ' or '.join('IPv%s' % family[-1] for family in entry['allocated'])))

    admin_networks = {}
    avoid = []
    for name in sorted(hosts):
        spec = hosts[name]
        admins = _not_everyone(_networks(spec.get('admin_sources'), 'bluemind_firewall_admin_sources', name)) \
            if spec.get('admin_sources') is not None else []
        for network in admins:
            admin_networks.setdefault(network.version, [])
            if network not in admin_networks[network.version]:
                admin_networks[network.version].append(network)
        avoid += admins
        avoid += _networks(spec.get('cluster_sources'), 'bluemind_firewall_cluster_sources', name)
        avoid += _not_everyone(_networks(spec.get('rule_sources'), 'bluemind_firewall_extra_rules', name))
    outsider = {'container': names[OUTSIDER]}
    for family in FAMILIES:
        address = allocator.take(OUTSIDER_POOLS[family], avoid=avoid)
        if address is None:
            raise RehearsalError('no address for the outsider outside the admin, cluster and extra rules\' sources')
        outsider[family] = [address]
    result['outsider'] = outsider
    result['mapping'].append('outsider: %s, %s (outside every admin, cluster and extra rule source)'
                             % (outsider['ipv4'][0], outsider['ipv6'][0]))
    result['admin'] = None
    if admin_networks:
        admin = {'container': names[ADMIN], 'outside': []}
        for family, version in (('ipv4', 4), ('ipv6', 6)):
            address = None
            for network in admin_networks.get(version, []):
                address = allocator.take([str(network)])
                if address:
                    break
            if address is None:
                # No admin source of this family: the admin host probes from outside them there.
                address = allocator.take(OUTSIDER_POOLS[family], avoid=avoid)
                admin['outside'].append(family)
            admin[family] = [address]
        result['admin'] = admin
        result['mapping'].append('admin: %s, %s (%s)' % (
            admin['ipv4'][0], admin['ipv6'][0],
            'inside the admin sources' if not admin['outside'] else 'inside the admin sources over %s only' % (
                ' and '.join('IPv%s' % f[-1] for f in FAMILIES if f not in admin['outside']) or 'no family')))
    return result


def _symbol(verdict):
    return {'open': 'open', 'filtered': '-', None: '?'}.get(verdict, verdict)


def _cell(seen, port):
    """One cell of the matrix: a source's verdict over IPv4 and IPv6, written once when they agree."""
    ipv4, ipv6 = (seen.get(family, {}).get(str(port)) for family in FAMILIES)
    if ipv4 == ipv6:
        return _symbol(ipv4)
    if 'open' in (ipv4, ipv6):
        return 'v4-only' if ipv4 == 'open' else 'v6-only'
    return '%s/%s' % (_symbol(ipv4), _symbol(ipv6))


def _runs(rows):
    """[(first, last, key)] of consecutive ports whose key is the same (5701-5715 in one line)."""
    runs = []
    for port, key in rows:
        if runs and runs[-1][2] == key and runs[-1][1] == port - 1:
            runs[-1] = (runs[-1][0], port, key)
        else:
            runs.append((port, port, key))
    return runs


def sources_of(matrix, target):
    """The matrix's sources for a target, in the order it prints them: peers, outsider, admin."""
    seen = matrix['hosts'][target]['seen']
    return sorted(source for source in seen if source not in (OUTSIDER, ADMIN)) + [
        source for source in (OUTSIDER, ADMIN) if source in seen]


def table(matrix):
    """The matrix as text, one block per host: a row per port (SSH, the data file's ports, the extra
    ports), a column per source."""
    lines = []
    for target in sorted(matrix['hosts']):
        host = matrix['hosts'][target]
        sources = sources_of(matrix, target)
        lines.append('%s (%s)%s' % (target, ', '.join(host['addresses']), ' - %s' % host['summary']
                                    if host.get('summary') else ''))
        column = '%%-%ds' % (max([len(source) for source in sources] + [8]) + 2)
        lines.append(('  %-11s %-22s %s' % ('port', 'service', ''.join(column % source for source in sources))).rstrip())
        names = dict((int(item['port']), item) for item in host['ports'])
        rows = [(port, (names[port]['proto'], names[port]['service'],
                        tuple(_cell(host['seen'][source], port) for source in sources))) for port in sorted(names)]
        for first, last, (proto, service, cells) in _runs(rows):
            port = port_text(first, last) + ('' if proto == 'tcp' else '/' + proto)
            lines.append(('  %-11s %-22s %s' % (port, service[:22], ''.join(column % cell for cell in cells))).rstrip())
    lines.append('("-": no answer, dropped; "refused": the host answered with a reset; "v4-only"/"v6-only": '
                 'open over one family)')
    return lines


def _families(found):
    both = set(FAMILIES)
    sources = sorted(set(source for source, dummy in found))
    if all(set(family for source2, family in found if source2 == source) == both for source in sources):
        return '%s (IPv4 and IPv6)' % ', '.join(sources)
    return ', '.join('%s (%s)' % (source, ' and '.join('IPv%s' % family[-1] for family in FAMILIES
                                                       if (source, family) in found)) for source in sources)


def changes(previous, current):
    """What the current rehearsal's probes saw differently from the previous one's: one line per host
    and port (or run of ports), saying to whom it opened or closed."""
    lines = []
    before_hosts, after_hosts = previous.get('hosts', {}), current.get('hosts', {})
    for target in sorted(set(before_hosts) | set(after_hosts)):
        if target not in before_hosts:
            lines.append('%s: new in this rehearsal' % target)
            continue
        if target not in after_hosts:
            lines.append('%s: no longer in the inventory' % target)
            continue
        before, after = before_hosts[target], after_hosts[target]
        names = dict((int(item['port']), item) for item in before['ports'] + after['ports'])
        sources = sorted(set(before['seen']) | set(after['seen']))
        rows = []
        for port in sorted(names):
            opened, closed = set(), set()
            for source in sources:
                for family in FAMILIES:
                    was = before['seen'].get(source, {}).get(family, {}).get(str(port))
                    now = after['seen'].get(source, {}).get(family, {}).get(str(port))
                    if was != 'open' and now == 'open':
                        opened.add((source, family))
                    elif was == 'open' and now != 'open':
                        closed.add((source, family))
            if opened or closed:
                rows.append((port, (names[port]['proto'], names[port]['service'], tuple(sorted(opened)),
                                    tuple(sorted(closed)))))
        for first, last, (proto, service, opened, closed) in _runs(rows):
            said = []
            if opened:
                said.append('opened to %s' % _families(opened))
            if closed:
                said.append('closed to %s' % _families(closed))
            lines.append('%s %s/%s (%s): %s' % (target, proto, port_text(first, last), service, '; '.join(said)))
    return lines
