# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the verify playbook: who probes whom, and the report of a verification run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.bluemind.firewall.plugins.module_utils.installations import (
    DEFAULT_GROUP, VARIABLE as INSTALLATION_VARIABLE)
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import port_text, summary
from ansible_collections.bluemind.firewall.plugins.module_utils.verification import (
    BANNED, DEFAULT_FAIL_ON, FINDING_KINDS, port_list_text, source_mismatch_text)

STATIC = 'bluemind_firewall_static'
PROBES = 'bluemind_firewall_probes'
CELL = 18


def _result(hostvars, host, name):
    try:
        value = hostvars[host][name]
    except (KeyError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def probe_targets(hostvars, cluster_hosts, prober):
    """Targets of bluemind.firewall.verify for the prober: every other cluster host, at every address
    its record gives it, with its record as the expectation."""
    if not isinstance(cluster_hosts, (list, tuple)):
        raise AnsibleFilterError('probe_targets: cluster_hosts must be a list of inventory hostnames')
    targets = []
    for host in cluster_hosts:
        static = _result(hostvars, host, STATIC)
        policy = static.get('policy') if static else None
        if host == prober or not policy:
            continue
        for address in (policy.get('peers') or {}).get(host, []):
            targets.append({'name': host, 'address': address, 'policy': policy})
    return targets


def prober_of(hostvars, host):
    """The prober option of bluemind.firewall.verify for this host: its name and the addresses its
    own record gives it (none for a host without a record, such as an outsider)."""
    static = _result(hostvars, host, STATIC)
    policy = (static or {}).get('policy') or {}
    return {'name': host, 'addresses': list((policy.get('peers') or {}).get(host) or [])}


def _cell(probes):
    kinds = [item['kind'] for item in probes if item.get('kind')]
    if not kinds:
        return 'ok %d' % len(probes)
    return ' '.join('%d %s' % (kinds.count(kind), kind) for kind in ('exposed', 'blocked') if kind in kinds)


_STATE_WORDS = {'open': 'open', 'refused': 'refused', 'filtered': '-'}


def _policy_ports(policy):
    """{port: service} of the record's TCP ports, every port of a range."""
    found = {}
    for item in (policy or {}).get('ports') or []:
        if item.get('proto') == 'tcp':
            for port in range(int(item['first']), int(item['last']) + 1):
                found.setdefault(port, item.get('service') or '')
    return found


def reachability_table(hostvars, target, probers):
    """Lines: the target's policy in one sentence, then what each prober saw of each of its ports,
    per family, as the demo prints it ('-' for no answer; '!' where the record expected otherwise).
    Rows: the record's ports and any other port that did not answer as expected; consecutive ports
    of one service that read alike share a row."""
    static = _result(hostvars, target, STATIC)
    policy = (static or {}).get('policy') or {}
    services = _policy_ports(policy)
    columns = []
    seen = {}
    for prober in probers:
        result = _result(hostvars, prober, PROBES) or {}
        for item in result.get('probes') or []:
            if item.get('name') != target:
                continue
            column = '%s %s' % (prober, 'v6' if ':' in item['address'] else 'v4')
            if column not in columns:
                columns.append(column)
            seen[column, item['port']] = _STATE_WORDS.get(item['state'], item['state']) + ('!' if item.get('kind') else '')
    addresses = ', '.join((policy.get('peers') or {}).get(target) or [])
    lines = ['%s (%s): %s' % (target, addresses or 'no record', summary(policy) if policy else 'no record')]
    if not columns:
        return lines
    ports = sorted(set(services) | set(port for (column, port), cell in seen.items() if cell.endswith('!')))
    rows = []
    for port in ports:
        cells = [seen.get((column, port), '') for column in columns]
        service = services.get(port, 'not in the record')
        if rows and rows[-1][1] == port - 1 and rows[-1][2] == service and rows[-1][3] == cells:
            rows[-1][1] = port
        else:
            rows.append([port, port, service, cells])
    width = max([len(column) for column in columns] + [9])
    named = max([len(row[2]) for row in rows] + [7])
    lines.append(('  %-11s %s %s' % ('port', 'service'.ljust(named), ' '.join(column.ljust(width) for column in columns)))
                 .rstrip())
    lines.extend(('  %-11s %s %s' % (port_text(first, last), service.ljust(named),
                                     ' '.join(cell.ljust(width) for cell in cells))).rstrip()
                 for first, last, service, cells in rows)
    return lines


FAIL_ON = 'bluemind_firewall_verify_fail_on'


def _fail_on(hostvars, host, given):
    """The kinds that fail for differences found on host: those given, else the host's own
    bluemind_firewall_verify_fail_on (the role's setting, read from its inventory), else all."""
    if given is not None:
        return given
    try:
        kinds = hostvars[host][FAIL_ON]
    except (KeyError, TypeError):
        return DEFAULT_FAIL_ON
    if isinstance(kinds, str) or not isinstance(kinds, (list, tuple)):
        raise AnsibleFilterError('%s of %s: %r must be a list of %s' % (FAIL_ON, host, kinds, ', '.join(FINDING_KINDS)))
    return kinds


def _installation(hostvars, host):
    """The installation a host's record names; for a host without one, its inventory variable."""
    static = _result(hostvars, host, STATIC)
    policy = (static or {}).get('policy') or {}
    if policy.get('cluster_group'):
        return policy['cluster_group']
    try:
        return str(hostvars[host].get(INSTALLATION_VARIABLE) or DEFAULT_GROUP)
    except (KeyError, TypeError, AttributeError):
        return DEFAULT_GROUP


def verification_report(hostvars, cluster_hosts, outsiders=(), fail_on=None):
    """{'lines': the readable report, 'failures': one line per host or probe that fails}, per
    installation when the hosts belong to several (each host's record says which).

    fail_on: the kinds of difference that fail; None takes each host's own setting, so that the
    value the role obeys in the inventory (group or host variables) is the one the report obeys."""
    installations = {}
    for host in cluster_hosts:
        installations.setdefault(_installation(hostvars, host), []).append(host)
    if len(installations) <= 1:
        return _installation_report(hostvars, list(cluster_hosts), outsiders, fail_on)
    lines = ['%d installations: %s' % (len(installations), ', '.join(sorted(installations)))]
    failures = []
    for name in sorted(installations):
        hosts = installations[name]
        part = _installation_report(hostvars, hosts, outsiders, fail_on)
        lines.append('installation %s (%s):' % (name, ', '.join(hosts)))
        lines.extend('  ' + line for line in part['lines'])
        # An outsider that did not probe is one failure, not one per installation.
        failures.extend(line for line in part['failures'] if line not in failures)
    return {'lines': lines, 'failures': failures}


def _installation_report(hostvars, cluster_hosts, outsiders, fail_on):
    lines = ['static check of the live rulesets against the records:']
    failures = []
    for host in cluster_hosts:
        static = _result(hostvars, host, STATIC)
        if not static or static.get('checks') is None:
            message = (static or {}).get('msg', 'no result (unreachable, or the play failed before the check)')
            lines.append('  %s: %s' % (host, message))
            failures.append('%s: %s' % (host, message))
            continue
        found = [item for kind in FINDING_KINDS for item in static.get(kind) or []]
        if not found:
            lines.append('  %s: compliant (every new connection, %d boxes of packets)' % (host, static['checks']))
            continue
        failing = _fail_on(hostvars, host, fail_on)
        bans = [item for item in found if item['kind'] == BANNED]
        if len(bans) == len(found) and BANNED not in failing:
            lines.append('  %s: compliant, with %d ban(s) by other software (every new connection, %d boxes of '
                         'packets)' % (host, sum(item.get('banned', 1) for item in bans), static['checks']))
            lines.extend('    %s %s/%s %s: %s' % (item['kind'], item['proto'], item['port'], item['family'], item['about'])
                         for item in bans)
            continue
        lines.extend('  %s: %s' % (host, text) for text in static['msg'].splitlines())
        failures.extend('%s: %s %s/%s %s from %s' % (host, item['kind'], item['proto'], item['port'], item['family'],
                                                     item['source_class'])
                        for item in found if item['kind'] in failing)

    probers = list(cluster_hosts) + [host for host in outsiders if host not in cluster_hosts]
    lines.append('what each host lets in, and what the probes saw ("-": no answer; "!": not what the record says):')
    for host in cluster_hosts:
        lines.extend('  ' + line for line in reachability_table(hostvars, host, [p for p in probers if p != host]))
    columns = []
    cells = {}
    grouped = {}
    mismatches = []
    order = dict((host, index) for index, host in enumerate(cluster_hosts))
    for prober in probers:
        result = _result(hostvars, prober, PROBES)
        if not result or 'probes' not in result:
            message = (result or {}).get('msg', 'did not probe (unreachable, or the play failed)')
            failures.append('%s: %s' % (prober, message))
            cells[prober, None] = message
            continue
        for item in result.get('source_mismatches') or []:
            mismatches.append(source_mismatch_text(item))
            # The prober's own setting: it is the one whose address its peers do not know.
            if item['kind'] in _fail_on(hostvars, prober, fail_on):
                failures.append('%s: %s' % (prober, mismatches[-1]))
        for item in result['probes']:
            if item['name'] not in order:
                # An outsider's probe of another installation's host: reported there.
                continue
            column = '%s %s' % (item['name'], item['address'])
            if column not in columns:
                columns.append(column)
            cells.setdefault((prober, column), []).append(item)
            if item.get('kind'):
                key = (item['kind'], prober, item['source'], column, item['state'], item['expected'], item['name'])
                grouped.setdefault(key, []).append(item['port'])
    for (kind, prober, source, column, state, expect, target), ports in grouped.items():
        mismatches.append('%s %s %s -> %s tcp/%s: %s (expected %s)' % (
            kind, prober, source, column, port_list_text(ports), state, expect))
        # The probed host's setting: its firewall is the one judged.
        if kind in _fail_on(hostvars, target, fail_on):
            failures.append(mismatches[-1])
    columns.sort(key=lambda column: (order.get(column.split(' ')[0], len(order)), ':' in column, column))
    width = max([len(p) for p in probers] + [8])
    lines.append('probes (row: from, column: to; "ok N": N ports answered as the target\'s record says):')
    lines.extend('  [%d] %s' % (index, column) for index, column in enumerate(columns, 1))
    lines.append('  %s  %s' % ('from'.ljust(width), ' | '.join(('[%d]' % index).center(CELL)
                                                               for index in range(1, len(columns) + 1))))
    for prober in probers:
        if (prober, None) in cells:
            lines.append('  %s  %s' % (prober.ljust(width), cells[prober, None]))
            continue
        row = [(_cell(cells[prober, column]) if (prober, column) in cells else '-').center(CELL) for column in columns]
        lines.append('  %s  %s' % (prober.ljust(width), ' | '.join(row)))
    if mismatches:
        lines.append('probe mismatches:')
        lines.extend('  ' + line for line in mismatches)
    return {'lines': lines, 'failures': failures}


class FilterModule(object):
    def filters(self):
        return {'probe_targets': probe_targets, 'prober': prober_of, 'verification_report': verification_report}
