# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The steps of the rehearsal role (bluemind.firewall.rehearsal) that read the inventory and the probes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import socket

from ansible.errors import AnsibleFilterError, AnsibleUndefinedVariable
from ansible_collections.bluemind.firewall.plugins.module_utils import rehearsal
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError, parse_port, summary

_VARIABLE = 'bluemind_firewall_%s'
SSH_PORT = 22
HOSTS_FILE = '/etc/hosts'
# A line of a debug task's msg in the default callback's output: an item of its list, or the string.
_MESSAGE = re.compile(r'^\s+(?:"msg": )?"((?:[^"\\]|\\.)*)",?$')


def _ports(value, variable):
    first, last = parse_port(value, variable)
    return range(first, last + 1)


def _rule_sources(rules):
    found = []
    for rule in rules or []:
        if isinstance(rule, dict):
            found += [source for source in (rule.get('sources') or []) if source != 'cluster']
    return found


def _value(variables, name):
    """A host's variable; None when it is computed from facts, which the containers will gather (an
    address then comes from the container, as the production host's from itself)."""
    try:
        value = variables[name]
        # Ansible 2.19 hands an undefined value over as a marker that fails when it is used.
        json.dumps(value)
        return value
    except (KeyError, AnsibleUndefinedVariable, TypeError, ValueError):
        return None


def _hosts_file(path=HOSTS_FILE):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return ''


def rehearsal_plan(hostvars, hosts, prefix, machine_addresses, port_table, hosts_text=None, hostname=None):
    """The rehearsal's containers, their addresses and the ports their listeners open, read from the
    inventory variables of the hosts to rehearse. The role runs it on the controller (a local play), so
    the hosts file and the host name read here are this machine's; tests pass their own."""
    try:
        names = rehearsal.machine_names(_hosts_file() if hosts_text is None else hosts_text,
                                        socket.gethostname() if hostname is None else hostname, machine_addresses)
        return _plan(hostvars, hosts, prefix, machine_addresses, port_table, names)
    except (rehearsal.RehearsalError, PolicyError) as exc:
        raise AnsibleFilterError('Cannot rehearse this inventory, nothing was started: %s' % exc)


def _plan(hostvars, hosts, prefix, machine_addresses, port_table, names):
    specs = {}
    ports = set([SSH_PORT])
    for entry in port_table:
        ports.update(_ports(entry['port'], 'bluemind_firewall_port_table'))
    for host in hosts:
        variables = hostvars[host]
        specs[host] = {
            'address': _value(variables, _VARIABLE % 'address'),
            'ansible_host': _value(variables, 'ansible_host'),
            'ansible_connection': _value(variables, 'ansible_connection'),
            'podman_variables': [name for name in variables.keys() if str(name).startswith(rehearsal.PODMAN_VARIABLE_PREFIX)],
            'admin_sources': variables.get(_VARIABLE % 'admin_sources'),
            'cluster_sources': variables.get(_VARIABLE % 'cluster_sources'),
            'rule_sources': _rule_sources(variables.get(_VARIABLE % 'extra_rules')),
        }
        ports.add(int(variables.get(_VARIABLE % 'ssh_port', SSH_PORT)))
        for extra in ('extra_public_ports', 'extra_internal_ports'):
            for item in variables.get(_VARIABLE % extra) or []:
                if isinstance(item, dict) and item.get('proto', 'tcp') == 'tcp':
                    ports.update(_ports(item.get('port'), _VARIABLE % extra))
    found = rehearsal.plan(specs, prefix, machine_addresses, names)
    found['ports'] = sorted(ports)
    machines = []
    for name, entry in _sources(found):
        addresses = entry['ipv4'] + entry['ipv6']
        machines.append({'name': name, 'container': entry['container'], 'hostname': name.split('.')[0][:63],
                         'addresses': addresses, 'setup': _link_setup(entry)})
    found['machines'] = machines
    found['containers'] = [machine['container'] for machine in machines]
    # How the site and verify playbooks reach each host: its inventory name, its container.
    found['reach'] = dict((host, entry['container']) for host, entry in found['hosts'].items())
    found['probers'] = {}
    for role in (rehearsal.OUTSIDER, rehearsal.ADMIN):
        if found.get(role):
            found['reach'][found[role]['container']] = found[role]['container']
            found['probers'][found[role]['container']] = {}
    return found


def _link_setup(entry):
    """The shell commands that give a container its addresses. The bridge has no router: every address
    is on the link (default routes through the interface), each container answering for its own."""
    commands = ['ip link set eth0 up']
    commands += ['ip -4 address add %s/32 dev eth0' % address for address in entry['ipv4']]
    commands += ['ip -6 address add %s/128 dev eth0 nodad' % address for address in entry['ipv6']]
    commands += ['ip -4 route replace default dev eth0 src %s' % entry['ipv4'][0],
                 'ip -6 route replace default dev eth0 src %s' % entry['ipv6'][0]]
    return ' && '.join(commands)


def _sources(plan):
    """[(source name, its plan entry)]: every host, the outsider, the admin host."""
    sources = sorted(plan['hosts'].items())
    for role in (rehearsal.OUTSIDER, rehearsal.ADMIN):
        if plan.get(role):
            sources.append((role, plan[role]))
    return sources


def rehearsal_probes(plan, podman=('podman',)):
    """One probe command per source container: every port of every other host, at each address.
    podman: the argv that starts podman (rehearsal_podman_argv)."""
    commands = []
    for name, source in _sources(plan):
        argv = list(podman) + ['exec', source['container'], 'python3', '/usr/local/bin/bmfw-rehearsal-probe', '1']
        first = len(argv)
        for target, entry in sorted(plan['hosts'].items()):
            if target == name:
                continue
            for family in rehearsal.FAMILIES:
                argv += [entry[family][0], ','.join(str(port) for port in plan['ports'])]
        if len(argv) > first:
            commands.append({'source': name, 'argv': argv})
    return commands


def rehearsal_matrix(probe_results, plan, records, port_table):
    """The reachability matrix: per host, what each source saw of each port over IPv4 and IPv6.

    probe_results: the registered loop over rehearsal_probes; records: {host: its policy record}."""
    services = {SSH_PORT: ('tcp', 'ssh')}
    for entry in port_table:
        for port in _ports(entry['port'], 'bluemind_firewall_port_table'):
            services.setdefault(port, (entry['proto'], entry['service']))
    # Who probed from where: the hosts, the outsider and the admin host, at their first addresses.
    matrix = {'hosts': {}, 'sources': dict((name, {'ipv4': entry['ipv4'][0], 'ipv6': entry['ipv6'][0]})
                                           for name, entry in _sources(plan))}
    for host, entry in sorted(plan['hosts'].items()):
        record = records.get(host) or {}
        named = dict(services)
        for item in record.get('ports') or []:
            for port in _ports(item['port'], 'the record\'s ports'):
                named[port] = (item.get('proto', 'tcp'), item.get('service') or item.get('name') or '')
        matrix['hosts'][host] = {
            'addresses': entry['ipv4'] + entry['ipv6'],
            'summary': summary(record) if record else 'no record: the converge did not reach it',
            'ports': [{'port': str(port), 'proto': named.get(port, ('tcp', ''))[0],
                       'service': named.get(port, ('tcp', 'not a BlueMind port'))[1]} for port in plan['ports']],
            'seen': {},
        }
    by_address = {}
    for host, entry in plan['hosts'].items():
        for family in rehearsal.FAMILIES:
            by_address[entry[family][0]] = (host, family)
    for result in probe_results:
        source = result['item']['source']
        try:
            verdicts = json.loads(result.get('stdout') or '{}')
        except ValueError:
            raise AnsibleFilterError('the probe from %s printed no verdicts: %s' % (source, result.get('stderr')))
        for key, verdict in verdicts.items():
            address, port = key.rsplit(' ', 1)
            host, family = by_address[address]
            seen = matrix['hosts'][host]['seen'].setdefault(source, {'ipv4': {}, 'ipv6': {}})
            seen[family][port] = verdict
    return matrix


def rehearsal_report(matrix, previous=None):
    """The matrix as text, then what changed since the previous rehearsal (when there was one)."""
    lines = rehearsal.table(matrix)
    if previous:
        found = rehearsal.changes(previous, matrix)
        lines.append('since the previous rehearsal (%s):' % previous.get('when', 'no date'))
        lines += ['  ' + line for line in found] or ['  no change: every probe saw what it saw then']
    else:
        lines.append('no previous rehearsal of this inventory to compare with')
    return lines


def rehearsal_messages(stdout):
    """The messages a playbook run printed (its debug tasks' msg), out of its default output."""
    found = []
    for line in stdout.splitlines():
        match = _MESSAGE.match(line)
        if match:
            try:
                found.append(json.loads('"%s"' % match.group(1)))
            except ValueError:
                found.append(match.group(1))
    return found


def _wrap(function):
    def wrapped(*args):
        try:
            return function(*args)
        except rehearsal.RehearsalError as exc:
            raise AnsibleFilterError('Cannot rehearse: %s' % exc)
    wrapped.__doc__ = function.__doc__
    return wrapped


def rehearsal_nested_argv(config, settings=None):
    """The env argv prefix of the nested runs (see rehearsal.nested_environment_argv); settings: this
    run's own values of the kept settings by default."""
    if settings is None:
        from ansible import constants
        settings = dict((name, getattr(constants, name, None)) for name, dummy, dummy2 in rehearsal.KEPT_SETTINGS)
    return rehearsal.nested_environment_argv(config, settings)


def rehearsal_directory_problem(path, base=True):
    """Why a directory cannot hold the rehearsal's files ('' when it can), for this user (the
    controller's: the role runs in a local play)."""
    return rehearsal.directory_problem(path, os.getuid(), base) or ''


def rehearsal_work_directories(base, key):
    """This user's work directories of an inventory under base, oldest first."""
    return rehearsal.work_directories(base, key, os.getuid())


class FilterModule(object):
    def filters(self):
        return {'rehearsal_plan': rehearsal_plan, 'rehearsal_probes': rehearsal_probes,
                'rehearsal_matrix': rehearsal_matrix, 'rehearsal_report': rehearsal_report,
                'rehearsal_messages': rehearsal_messages,
                'rehearsal_podman_argv': _wrap(rehearsal.podman_argv),
                'rehearsal_nested_argv': rehearsal_nested_argv,
                'rehearsal_directory_problem': rehearsal_directory_problem,
                'rehearsal_work_directories': rehearsal_work_directories}
