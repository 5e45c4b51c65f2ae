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
import os
import re
import stat

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


# Addresses that are this machine whatever its interfaces: a connection to them never leaves it.
_ALWAYS_LOCAL = (ipaddress.ip_network('127.0.0.0/8'), ipaddress.ip_network('::1/128'),
                 ipaddress.ip_network('0.0.0.0/32'), ipaddress.ip_network('::/128'))
# ansible_connection values that run a host's tasks on the controller.
_LOCAL_CONNECTIONS = ('local', 'ansible.builtin.local', 'ansible.legacy.local')
# The podman connection's own variables (containers.podman.podman): the rehearsal sets those it reads.
PODMAN_VARIABLE_PREFIX = 'ansible_podman_'


def is_local_address(value, mine=()):
    """Whether an address (a string) is this machine's: loopback, unspecified, or one of `mine`."""
    address = _literal(value)
    if address is None:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in net for net in _ALWAYS_LOCAL) or str(address) in set(
        str(_literal(text)) for text in mine if _literal(text) is not None)


def machine_names(hosts_text, hostname, mine=()):
    """{name: why it is this machine's}: localhost and *.localhost (RFC 6761, and what nss-myhostname
    answers), this machine's host name, and every name that the hosts file (its text) maps to a loopback
    or local address. DNS is not asked: the rehearsal sends no query about the inventory's names."""
    names = {'localhost': 'localhost is this machine'}
    if hostname:
        for name in (_name_key(hostname), _name_key(hostname).split('.', 1)[0]):
            names[name] = "it is this machine's host name"
    for line in (hosts_text or '').splitlines():
        words = line.split('#', 1)[0].split()
        if len(words) >= 2 and is_local_address(words[0], mine):
            for word in words[1:]:
                names.setdefault(_name_key(word), 'the hosts file maps it to %s' % words[0])
    return names


def _name_key(name):
    return str(name).strip().rstrip('.').lower()


def _name_of_this_machine(name, names, mine):
    """Why a host name (or an ansible_host that is a name) is this machine's, or None."""
    key = _name_key(name)
    if not key:
        return None
    if _literal(key) is not None:
        return 'it is an address of this machine' if is_local_address(key, mine) else None
    if key in names:
        return names[key]
    if key.endswith('.localhost'):
        return 'a name under .localhost is this machine'
    return None


def this_machine(name, spec, names=None, mine=()):
    """The reasons why the inventory says this host is the machine the rehearsal runs on ([] if none).

    A host so named is rehearsed only when the inventory gives it an address of its own (its
    bluemind_firewall_address or an IP literal ansible_host, none of this machine's): its container takes
    that address and is reached through podman like any other host's."""
    names = machine_names('', None, mine) if names is None else names
    reasons = []
    connection = spec.get('ansible_connection')
    if isinstance(connection, str) and connection.strip() in _LOCAL_CONNECTIONS:
        reasons.append('ansible_connection: %s' % connection.strip())
    why = _name_of_this_machine(name, names, mine)
    if why:
        reasons.append('its name %s: %s' % (name, why))
    target = spec.get('ansible_host')
    if isinstance(target, str) and _name_key(target) != _name_key(name):
        why = _name_of_this_machine(target, names, mine)
        if why:
            reasons.append('ansible_host %s: %s' % (target, why))
    return reasons


def podman_variables(name, spec):
    """The refusal of each containers.podman.podman variable the inventory sets for a host."""
    return ['host %s sets %s (in its host or group variables): the rehearsal reaches every container through '
            "this machine's podman with connection settings of its own; remove %s from the inventory it reads"
            % (name, variable, variable) for variable in sorted(spec.get('podman_variables') or [])]


# What podman reads from the environment to reach another machine's podman service.
PODMAN_REMOTE_ENVIRONMENT = ('CONTAINER_HOST', 'CONTAINER_CONNECTION')
# What the podman connection plugin reads from the environment (the env entries of its DOCUMENTATION).
PODMAN_CONNECTION_ENVIRONMENT = ('ANSIBLE_PODMAN_EXECUTABLE', 'ANSIBLE_PODMAN_EXTRA_ARGS', 'ANSIBLE_REMOTE_USER')
# The settings of the run that the nested runs keep, as environment variables, once ANSIBLE_CONFIG
# names the rehearsal's own configuration: where the collections are, how the inventory is read and
# decrypted. None of them says how a host is reached.
KEPT_SETTINGS = (('COLLECTIONS_PATHS', 'ANSIBLE_COLLECTIONS_PATH', ':'),
                 ('INVENTORY_ENABLED', 'ANSIBLE_INVENTORY_ENABLED', ','),
                 ('DEFAULT_VAULT_IDENTITY_LIST', 'ANSIBLE_VAULT_IDENTITY_LIST', ','),
                 ('DEFAULT_VAULT_PASSWORD_FILE', 'ANSIBLE_VAULT_PASSWORD_FILE', ':'))


def podman_argv(podman):
    """The argv that starts this machine's podman with nothing of the environment pointing it elsewhere."""
    if not podman or not str(podman).startswith('/'):
        raise RehearsalError('no podman on this machine (command -v podman found %r): the rehearsal needs it'
                             % (podman,))
    argv = ['env']
    for name in PODMAN_REMOTE_ENVIRONMENT:
        argv += ['-u', name]
    return argv + [str(podman)]


def nested_environment_argv(config, settings):
    """The argv prefix (env ...) of the nested runs of the site and verify playbooks: the podman
    connection's and podman's own environment variables unset, ANSIBLE_CONFIG naming the rehearsal's
    configuration (so that no ansible.cfg reaches the connection), and the kept settings given as they
    are in this run (settings: {config name: its value here})."""
    unset = list(PODMAN_REMOTE_ENVIRONMENT + PODMAN_CONNECTION_ENVIRONMENT)
    given = ['ANSIBLE_CONFIG=%s' % config]
    for setting, variable, separator in KEPT_SETTINGS:
        value = (settings or {}).get(setting)
        if value in (None, '', []):
            unset.append(variable)
        else:
            if isinstance(value, (list, tuple)):
                value = separator.join(str(item) for item in value)
            given.append('%s=%s' % (variable, value))
    # env takes its -u options before the assignments.
    argv = ['env']
    for name in sorted(unset):
        argv += ['-u', name]
    return argv + given


def directory_problem(path, uid, base=True):
    """Why a directory cannot hold the rehearsal's files (None when it can). The work files are passed to
    the nested runs as extra variables, which win over everything: nobody but this user (and root) may
    write them. The base directory may be a link, and shared when sticky (/tmp); a work directory is
    a directory of its own, mode 0700."""
    try:
        found = os.stat(path) if base else os.lstat(path)
    except OSError as exc:
        return '%s: %s' % (path, exc.strerror)
    if not stat.S_ISDIR(found.st_mode):
        return '%s is not a directory' % path
    if found.st_uid not in (uid, 0):
        return ('%s belongs to uid %d, not to this user (uid %d) nor root: another user could change the '
                "rehearsal's files" % (path, found.st_uid, uid))
    mode = stat.S_IMODE(found.st_mode)
    if base and mode & 0o022 and not mode & stat.S_ISVTX:
        return ('%s is writable by its group or others (mode %04o) and not sticky: another user could replace the '
                "rehearsal's files. Use a directory of your own (BLUEMIND_FIREWALL_REHEARSAL_DIR), or chmod go-w it"
                % (path, mode))
    if not base and (found.st_uid != uid or mode & 0o077):
        return '%s is not a work directory of this user (mode %04o, uid %d)' % (path, mode, found.st_uid)
    return None


WORK_PREFIX = 'work-'


def work_directories(base, key, uid):
    """This user's work directories of an inventory (key) under base, oldest first: each is made by
    tempfile.mkdtemp, its name unpredictable; another user's, or one looser than 0700, is not one."""
    try:
        names = os.listdir(base)
    except OSError:
        return []
    found = []
    for name in names:
        path = os.path.join(base, name)
        if name.startswith('%s%s-' % (WORK_PREFIX, key)) and directory_problem(path, uid, base=False) is None:
            found.append((os.lstat(path).st_mtime, path))
    return [path for dummy, path in sorted(found)]


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


def _inventory_addresses(name, spec, mine=()):
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
    # A loopback or local ansible_host (an SSH tunnel, this machine) is no address a container can take.
    if literal is not None and not is_local_address(literal, mine):
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


def plan(hosts, prefix, machine_addresses=(), names=None):
    """Where each container of the rehearsal sits.

    hosts: {inventory name: {'address': its bluemind_firewall_address, 'ansible_host': ...,
    'ansible_connection': ..., 'podman_variables': [the ansible_podman_* variables it sets],
    'admin_sources': [...] or None (the default: everyone), 'cluster_sources': [...],
    'rule_sources': [networks its extra rules name]}}.
    machine_addresses: this machine's own addresses, which no container may take.
    names: machine_names(), the names of this machine (by default localhost and *.localhost).

    Refused, before anything starts: a host that sets a podman connection variable, a host whose
    address is this machine's, and a host that the inventory reaches on this machine (by its name, its
    ansible_host or a local connection) unless it gives the host an address of its own.

    Returns {'hosts': {name: {'container', 'ipv4': [...], 'ipv6': [...], 'allocated': [families]}},
    'outsider': {...}, 'admin': {...} or None, 'mapping': [lines saying what was allocated]}.
    """
    if not hosts:
        raise RehearsalError('the inventory has no BlueMind host to rehearse')
    mine = set(str(ipaddress.ip_address(text)) for text in machine_addresses if _literal(text) is not None)
    names = machine_names('', None, mine) if names is None else names
    given = {}
    refused = []
    for name in sorted(hosts):
        refused += podman_variables(name, hosts[name])
    for name in sorted(hosts):
        given[name] = _inventory_addresses(name, hosts[name], mine)
        local = [text for family in FAMILIES for text in given[name][family] if is_local_address(text, mine)]
        if local:
            refused.append('host %s: %s is an address of this machine. Its container cannot take it without this '
                           'machine answering for it: rehearse on another machine.' % (name, ', '.join(local)))
            continue
        reasons = this_machine(name, hosts[name], names, mine)
        # Given an address of its own, the host is rehearsed in its container like any other.
        if reasons and not given[name]['ipv4'] + given[name]['ipv6']:
            refused.append(
                'host %s is this machine (%s): the rehearsal never runs the site playbook on the machine it runs on. '
                'Give the host the address it has in production with bluemind_firewall_address (its container takes '
                'it, and is reached through podman like any other host), or leave it out of the rehearsed group'
                % (name, '; '.join(reasons)))
    if refused:
        raise RehearsalError('; '.join(refused))
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
