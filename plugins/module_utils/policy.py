# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewall policy of one BlueMind host: which ports are open, to whom.

Plain Python with no Ansible import, so that the controller-side plugins, the modules that run on
the hosts and the unit tests all use this one implementation. Every input error raises
PolicyError with a message that names the variable and the bad value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

SCHEMA_VERSION = 1
BACKENDS = ('nftables', 'ufw')
PROTOCOLS = ('tcp', 'udp')
PORT_CLASSES = ('required', 'optional', 'internal')
TLS_MODES = ('implicit', 'starttls', 'plain_or_starttls', 'plain', 'unspecified')

# Who may connect to a port. "nobody" marks an optional service that is switched off: it stays in
# the policy so that verification checks it is closed.
EVERYONE = 'everyone'
CLUSTER = 'cluster'
ADMIN = 'admin'
NOBODY = 'nobody'

ANY_IPV4 = '0.0.0.0/0'
ANY_IPV6 = '::/0'

_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$')
_RANGE = re.compile(r'^\s*(\d+)\s*[-:]\s*(\d+)\s*$')
_EXTRA_PORT_KEYS = ('port', 'proto', 'name', 'description')


class PolicyError(ValueError):
    """Bad input for the policy; the message names the variable and the value."""


def _fail(variable, value, why):
    raise PolicyError('%s: %r %s' % (variable, value, why))


def parse_port(value, variable):
    """Return (first, last) for 10050, "10050" or "7000-7010"."""
    if isinstance(value, bool):
        _fail(variable, value, 'is not a port number or range')
    if isinstance(value, int):
        first = last = value
    elif isinstance(value, str) and value.strip().isdigit():
        first = last = int(value)
    elif isinstance(value, str) and _RANGE.match(value):
        first, last = (int(part) for part in _RANGE.match(value).groups())
    else:
        _fail(variable, value, 'is not a port number or a range "first-last"')
    for number in (first, last):
        if not 1 <= number <= 65535:
            _fail(variable, value, 'is outside the port range 1-65535')
    if first > last:
        _fail(variable, value, 'is a range whose first port is above its last')
    return first, last


def port_text(first, last):
    return str(first) if first == last else '%d-%d' % (first, last)


def parse_address(value, variable):
    """An IP literal (no prefix, no hostname) as its canonical string."""
    if not isinstance(value, str):
        _fail(variable, value, 'is not an IP address')
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        _fail(variable, value, 'is not an IP address (hostnames are not accepted: give the address)')


def parse_network(value, variable):
    """A CIDR (or a bare address, taken as /32 or /128); host bits set is an error, not a guess."""
    if not isinstance(value, str):
        _fail(variable, value, 'is not a CIDR')
    try:
        return ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as exc:
        _fail(variable, value, 'is not a valid CIDR (%s)' % exc)


def _as_list(value, variable):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    _fail(variable, value, 'must be a list')


def networks_by_family(networks):
    """{'ipv4': [...], 'ipv6': [...]}: sorted, duplicates and networks inside another removed."""
    result = {}
    for version, family in ((4, 'ipv4'), (6, 'ipv6')):
        # Sorted by start, wider first: a network inside an earlier kept one is inside the last kept
        # one (CIDRs nest or are disjoint), so one comparison each keeps this linear after the sort.
        # A thousand-host cluster is planned for every host of the play.
        kept = []
        for net in sorted({n for n in networks if n.version == version},
                          key=lambda n: (n.network_address, n.prefixlen)):
            if not (kept and net.subnet_of(kept[-1])):
                kept.append(net)
        result[family] = [_net_text(n) for n in kept]
    return result


def _net_text(network):
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def host_addresses(override, default_ipv4, default_ipv6):
    """The addresses peers know a host by: the override, else the default-route addresses."""
    if override not in (None, '', []):
        items = override if isinstance(override, (list, tuple)) else [override]
        return [parse_address(item, 'bluemind_firewall_address') for item in items]
    found = []
    for facts in (default_ipv4, default_ipv6):
        if isinstance(facts, dict) and facts.get('address'):
            found.append(parse_address(facts['address'], 'ansible_default_ipv4/ipv6'))
    return found


def resolve_cluster(group, members):
    """Addresses of every host of the cluster group.

    members: {host: (override, default_ipv4 facts, default_ipv6 facts)}. All unknown hosts are
    named in one error, so that one run tells the operator everything to fix.
    """
    if not members:
        raise PolicyError('bluemind_firewall_cluster_group: %r has no hosts in the inventory' % (group,))
    hosts = {}
    unknown = []
    for name in sorted(members):
        override, ipv4, ipv6 = members[name]
        try:
            addresses = host_addresses(override, ipv4, ipv6)
        except PolicyError as exc:
            raise PolicyError('host %s: %s' % (name, exc))
        if addresses:
            hosts[name] = addresses
        else:
            unknown.append(name)
    if unknown:
        raise PolicyError(
            'bluemind_firewall_address: no address known for cluster host(s) %s of group %r; '
            'gather their facts in this play (or keep a fact cache), or set bluemind_firewall_address '
            'for them' % (', '.join(unknown), group))
    return {'group': group, 'hosts': hosts}


def _extra_ports(value, variable):
    ports = []
    for index, item in enumerate(_as_list(value, variable)):
        where = '%s[%d]' % (variable, index)
        if not isinstance(item, dict):
            _fail(where, item, 'must be a mapping with port, proto, name and description')
        unknown = sorted(set(item) - set(_EXTRA_PORT_KEYS))
        if unknown:
            _fail(where, item, 'has unknown key(s) %s' % ', '.join(unknown))
        if 'port' not in item:
            _fail(where, item, 'has no port')
        first, last = parse_port(item['port'], where + '.port')
        proto = item.get('proto', 'tcp')
        if proto not in PROTOCOLS:
            _fail(where + '.proto', proto, 'must be tcp or udp')
        name = item.get('name')
        if not isinstance(name, str) or not _NAME.match(name):
            _fail(where + '.name', name, 'must be a short name of letters, digits, "_", "-" or "."')
        description = item.get('description', '')
        if not isinstance(description, str):
            _fail(where + '.description', description, 'must be a string')
        ports.append({'service': name, 'first': first, 'last': last, 'proto': proto,
                      'description': description})
    return ports


def _ssh_port(explicit, ssh_connection, ansible_port):
    """The explicit setting, else the server port of Ansible's own SSH connection, else ansible_port, else 22."""
    if explicit not in (None, ''):
        source, value = 'bluemind_firewall_ssh_port', explicit
    else:
        fields = (ssh_connection or '').split()
        if len(fields) == 4:
            source, value = 'SSH_CONNECTION', fields[3]
        elif ansible_port not in (None, ''):
            source, value = 'ansible_port', ansible_port
        else:
            return 22
    first, last = parse_port(value, source)
    if first != last:
        _fail(source, value, 'must be a single port')
    return first


def check_port_table(table):
    """The shipped data file is data: still, a broken edit must fail loudly, not open a wrong port."""
    seen_optional = set()
    for index, entry in enumerate(_as_list(table, 'bluemind_firewall_port_table')):
        where = 'bluemind_firewall_port_table[%d]' % index
        if not isinstance(entry, dict):
            _fail(where, entry, 'must be a mapping')
        parse_port(entry.get('port'), where + '.port')
        for key, allowed in (('proto', PROTOCOLS), ('class', PORT_CLASSES), ('tls', TLS_MODES)):
            if entry.get(key) not in allowed:
                _fail(where + '.' + key, entry.get(key), 'must be one of %s' % ', '.join(allowed))
        if not isinstance(entry.get('service'), str) or not _NAME.match(entry['service']):
            _fail(where + '.service', entry.get('service'), 'is not a service name')
        if entry['class'] == 'optional':
            if entry['service'] in seen_optional:
                _fail(where + '.service', entry['service'], 'names a second optional entry')
            seen_optional.add(entry['service'])
    return table


def optional_services(table):
    return [entry['service'] for entry in table if entry['class'] == 'optional']


def build_policy(port_table, settings, cluster):
    """The resolved policy of one host, as a JSON-able dict (this is also the on-host record).

    settings: the role's variables, without their bluemind_firewall_ prefix.
    cluster: what resolve_cluster() returned for the play.
    """
    check_port_table(port_table)
    backend = settings.get('backend', 'nftables')
    if backend not in BACKENDS:
        _fail('bluemind_firewall_backend', backend, 'must be one of %s' % ', '.join(BACKENDS))

    known = optional_services(port_table)
    enabled = _as_list(settings.get('optional_services'), 'bluemind_firewall_optional_services')
    for service in enabled:
        if service not in known:
            _fail('bluemind_firewall_optional_services', service,
                  'is not an optional service; known: %s' % ', '.join(known))

    public = settings.get('public', True)
    if not isinstance(public, bool):
        _fail('bluemind_firewall_public', public, 'must be true or false')

    group = settings.get('cluster_group')
    if group is not None and group != cluster['group']:
        _fail('bluemind_firewall_cluster_group', group,
              'differs from the group %r this play resolved: one play handles one cluster, so set '
              'the group play-wide (an extra variable), not per host' % (cluster['group'],))

    cluster_sources = [parse_network(item, 'bluemind_firewall_cluster_sources')
                       for item in _as_list(settings.get('cluster_sources'), 'bluemind_firewall_cluster_sources')]
    admin_items = settings.get('admin_sources')
    if admin_items is None:
        admin_items = [ANY_IPV4, ANY_IPV6]
    admin_items = _as_list(admin_items, 'bluemind_firewall_admin_sources')
    if not admin_items:
        _fail('bluemind_firewall_admin_sources', admin_items,
              'is empty, which would close SSH to everyone; list the networks you administer from')
    admin_sources = [parse_network(item, 'bluemind_firewall_admin_sources') for item in admin_items]

    ssh_port = _ssh_port(settings.get('ssh_port'), settings.get('ssh_connection'), settings.get('ansible_port'))
    extra_public = _extra_ports(settings.get('extra_public_ports'), 'bluemind_firewall_extra_public_ports')
    extra_internal = _extra_ports(settings.get('extra_internal_ports'), 'bluemind_firewall_extra_internal_ports')

    public_audience = EVERYONE if public else CLUSTER
    ports = [{'service': 'ssh', 'first': ssh_port, 'last': ssh_port, 'proto': 'tcp', 'class': 'admin',
              'allow': ADMIN, 'description': 'Management SSH'}]
    for entry in port_table:
        first, last = parse_port(entry['port'], 'bluemind_firewall_port_table')
        if entry['class'] == 'internal':
            allow = CLUSTER
        elif entry['class'] == 'optional' and entry['service'] not in enabled:
            allow = NOBODY
        else:
            allow = public_audience
        ports.append({'service': entry['service'], 'first': first, 'last': last, 'proto': entry['proto'],
                      'class': entry['class'], 'allow': allow, 'description': entry['description']})
    for extras, port_class, allow in ((extra_public, 'extra_public', public_audience),
                                      (extra_internal, 'extra_internal', CLUSTER)):
        for item in extras:
            item.update({'class': port_class, 'allow': allow})
            ports.append(item)
    for item in ports:
        item['port'] = port_text(item['first'], item['last'])

    peers = cluster['hosts']
    peer_networks = [ipaddress.ip_network(address) for addresses in peers.values() for address in addresses]
    return {
        'schema': SCHEMA_VERSION,
        'backend': backend,
        'public': public,
        'ssh_port': ssh_port,
        'cluster_group': cluster['group'],
        'peers': peers,
        'cluster_sources': [_net_text(n) for n in cluster_sources],
        'sources': {
            ADMIN: networks_by_family(admin_sources),
            CLUSTER: networks_by_family(peer_networks + cluster_sources),
        },
        'ports': ports,
    }


def merged_port_ranges(ports):
    """[(first, last)] sorted, overlapping ranges merged (nft interval sets refuse overlaps)."""
    merged = []
    for first, last in sorted((p['first'], p['last']) for p in ports):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged


def summary(record):
    """What a policy record opens, in words: 'open to everyone: tcp PORT, ...; to the cluster: ...'."""
    groups = {}
    for item in record.get('ports') or []:
        groups.setdefault(item.get('allow'), []).append('%s %s' % (item.get('proto'), item.get('port') or port_text(
            item.get('first'), item.get('last'))))
    words = {EVERYONE: 'open to everyone', CLUSTER: 'to the cluster', ADMIN: 'to the admin sources'}
    parts = ['%s: %s' % (words[audience], ', '.join(groups[audience])) for audience in (EVERYONE, CLUSTER, ADMIN)
             if groups.get(audience)]
    return '; '.join(parts) or 'nothing open'
