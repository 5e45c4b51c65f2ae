"""The verify playbook's filters: who probes whom, and the report that decides whether it fails."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.bluemind.firewall.plugins.filter.verification import (
    prober_of, probe_targets, reachability_table, verification_report)

POLICY = {'peers': {'mx1': ['192.0.2.11', '2001:db8::11'], 'mx2': ['192.0.2.12']}}


def probe(name, address, port, state='filtered', expected='filtered', kind=None, source='192.0.2.99'):
    return {'name': name, 'address': address, 'port': port, 'state': state, 'expected': expected, 'kind': kind,
            'source': source}


def hostvars():
    return {
        'mx1': {'bluemind_firewall_static': {'checks': 10, 'policy': POLICY, 'exposed': [], 'blocked': [],
                                             'unknown': [], 'msg': 'compliant'},
                'bluemind_firewall_probes': {'probes': [probe('mx2', '192.0.2.12', 24, 'open', 'reachable')]}},
        'mx2': {'bluemind_firewall_static': {'checks': 10, 'policy': POLICY, 'exposed': [], 'unknown': [],
                                             'blocked': [{'kind': 'blocked', 'proto': 'tcp', 'port': '25',
                                                          'family': 'ipv4', 'source_class': 'outsider'}],
                                             'msg': 'not compliant (0 exposed, 1 blocked, 0 unknown):\n'
                                                    'blocked tcp/25 ipv4 from outsider'},
                'bluemind_firewall_probes': {'probes': [probe('mx1', '192.0.2.11', 24, 'open', 'reachable')]}},
        'out': {'bluemind_firewall_probes': {'probes': [
            probe('mx1', '192.0.2.11', 5432, 'refused', kind='exposed'),
            probe('mx1', '192.0.2.11', 5433, 'refused', kind='exposed'),
            probe('mx1', '2001:db8::11', 5432),
            probe('mx2', '192.0.2.12', 25, expected='reachable', kind='blocked')]}},
    }


def test_each_cluster_host_probes_the_others_at_every_recorded_address():
    assert [(t['name'], t['address']) for t in probe_targets(hostvars(), ['mx1', 'mx2'], 'mx1')] == [('mx2', '192.0.2.12')]
    assert [(t['name'], t['address']) for t in probe_targets(hostvars(), ['mx1', 'mx2'], 'out')] == [
        ('mx1', '192.0.2.11'), ('mx1', '2001:db8::11'), ('mx2', '192.0.2.12')]


def test_a_host_without_a_record_is_not_a_target():
    variables = hostvars()
    del variables['mx2']['bluemind_firewall_static']
    assert [t['name'] for t in probe_targets(variables, ['mx1', 'mx2'], 'out')] == ['mx1', 'mx1']


def test_report_lists_static_results_matrix_and_grouped_mismatches():
    report = verification_report(hostvars(), ['mx1', 'mx2'], ['out'])
    text = '\n'.join(report['lines'])
    assert '  mx1: compliant (every new connection, 10 boxes of packets)' in text
    assert '  mx2: blocked tcp/25 ipv4 from outsider' in text
    assert '  [1] mx1 192.0.2.11' in text and '  [2] mx1 2001:db8::11' in text and '  [3] mx2 192.0.2.12' in text
    assert [line.split()[0] for line in report['lines'] if line.startswith('  mx') or line.startswith('  out')][-3:] \
        == ['mx1', 'mx2', 'out']
    assert 'exposed out 192.0.2.99 -> mx1 192.0.2.11 tcp/5432-5433: refused (expected filtered)' in text
    assert report['failures'] == [
        'mx2: blocked tcp/25 ipv4 from outsider',
        'exposed out 192.0.2.99 -> mx1 192.0.2.11 tcp/5432-5433: refused (expected filtered)',
        'blocked out 192.0.2.99 -> mx2 192.0.2.12 tcp/25: filtered (expected reachable)']


def test_fail_on_narrows_the_failures_and_missing_results_fail():
    assert verification_report(hostvars(), ['mx1', 'mx2'], ['out'], ['exposed'])['failures'] == [
        'exposed out 192.0.2.99 -> mx1 192.0.2.11 tcp/5432-5433: refused (expected filtered)']
    variables = hostvars()
    del variables['mx1']['bluemind_firewall_static']
    failures = verification_report(variables, ['mx1', 'mx2'], ['out'], ['exposed'])['failures']
    assert failures[0].startswith('mx1: no result')


def test_the_prober_is_known_by_its_own_record_and_an_outsider_by_nothing():
    assert prober_of(hostvars(), 'mx1') == {'name': 'mx1', 'addresses': ['192.0.2.11', '2001:db8::11']}
    assert prober_of(hostvars(), 'out') == {'name': 'out', 'addresses': []}


def test_a_source_mismatch_is_reported_and_fails_as_blocked():
    variables = hostvars()
    variables['mx1']['bluemind_firewall_probes']['source_mismatches'] = [
        {'kind': 'blocked', 'prober': 'mx1', 'source': '10.0.0.11', 'recorded': ['192.0.2.11', '2001:db8::11'],
         'name': 'mx2', 'address': '10.0.0.12'}]
    report = verification_report(variables, ['mx1', 'mx2'], ['out'], ['blocked'])
    line = ('blocked mx1 reaches mx2 (10.0.0.12) from 10.0.0.11, which is not one of its recorded addresses '
            '(192.0.2.11, 2001:db8::11): mx2 drops what mx1 sends from there. List it in mx1\'s '
            'bluemind_firewall_address (for example {ipv4: [192.0.2.11, 10.0.0.11]})')
    assert '  ' + line in report['lines']
    assert 'mx1: ' + line in report['failures']
    assert not any('10.0.0.11' in failure for failure in verification_report(
        variables, ['mx1', 'mx2'], ['out'], ['exposed'])['failures'])


def test_the_table_shows_each_port_of_the_record_per_prober_and_family():
    policy = {'peers': {'mx1': ['192.0.2.11', '2001:db8::11'], 'mx2': ['192.0.2.12']},
              'ports': [{'service': 'ssh', 'first': 22, 'last': 22, 'proto': 'tcp', 'allow': 'admin', 'port': '22'},
                        {'service': 'smtp', 'first': 25, 'last': 25, 'proto': 'tcp', 'allow': 'everyone', 'port': '25'},
                        {'service': 'hz', 'first': 5701, 'last': 5703, 'proto': 'tcp', 'allow': 'cluster',
                         'port': '5701-5703'}]}
    variables = {
        'mx1': {'bluemind_firewall_static': {'checks': 5, 'policy': policy, 'exposed': [], 'blocked': [], 'unknown': []}},
        'mx2': {'bluemind_firewall_probes': {'probes': [
            probe('mx1', '192.0.2.11', port, 'open', 'reachable') for port in (22, 25, 5701, 5702, 5703)]}},
        'out': {'bluemind_firewall_probes': {'probes': [
            probe('mx1', '192.0.2.11', 22, 'open', 'reachable'), probe('mx1', '192.0.2.11', 25, 'open', 'reachable'),
            probe('mx1', '192.0.2.11', 5701), probe('mx1', '192.0.2.11', 5702),
            probe('mx1', '192.0.2.11', 5703, 'open', kind='exposed'), probe('mx1', '192.0.2.11', 3306),
            probe('mx1', '2001:db8::11', 25, 'refused', 'reachable')]}},
    }
    lines = [line.split() for line in reachability_table(variables, 'mx1', ['mx2', 'out'])]
    assert ' '.join(lines[0]) == ('mx1 (192.0.2.11, 2001:db8::11): open to everyone: 25; to the cluster: 5701-5703; '
                                  'to the admin sources: 22')
    assert lines[1:] == [
        ['port', 'service', 'mx2', 'v4', 'out', 'v4', 'out', 'v6'],
        ['22', 'ssh', 'open', 'open'],
        ['25', 'smtp', 'open', 'open', 'refused'],
        ['5701-5702', 'hz', 'open', '-'],
        ['5703', 'hz', 'open', 'open!']]


def test_without_fail_on_each_host_obeys_its_own_setting_as_the_role_does():
    variables = hostvars()
    # mx2's inventory says blocks there are intended; the outsider's probe of mx1 stays exposed.
    variables['mx2']['bluemind_firewall_verify_fail_on'] = ['exposed', 'unknown']
    assert verification_report(variables, ['mx1', 'mx2'], ['out'])['failures'] == [
        'exposed out 192.0.2.99 -> mx1 192.0.2.11 tcp/5432-5433: refused (expected filtered)']
    # The probed host's setting decides for the probes that reach it, not the prober's.
    variables['mx1']['bluemind_firewall_verify_fail_on'] = []
    variables['mx2']['bluemind_firewall_verify_fail_on'] = ['blocked']
    assert verification_report(variables, ['mx1', 'mx2'], ['out'])['failures'] == [
        'mx2: blocked tcp/25 ipv4 from outsider',
        'blocked out 192.0.2.99 -> mx2 192.0.2.12 tcp/25: filtered (expected reachable)']
    # An explicit list still applies to every host.
    assert len(verification_report(variables, ['mx1', 'mx2'], ['out'], ['exposed', 'blocked'])['failures']) == 3
    variables['mx2']['bluemind_firewall_verify_fail_on'] = 'blocked'
    with pytest.raises(AnsibleFilterError, match='bluemind_firewall_verify_fail_on of mx2'):
        verification_report(variables, ['mx1', 'mx2'], ['out'])


def test_a_host_with_only_bans_is_reported_compliant_and_fails_only_when_asked():
    variables = hostvars()
    ban = {'kind': 'banned', 'proto': 'tcp', 'port': '25', 'family': 'ipv4', 'source_class': 'banned', 'banned': 2,
           'about': 'fail2ban chain f2b-postfix (ip filter): 2 addresses banned'}
    variables['mx2']['bluemind_firewall_static'].update(
        blocked=[], banned=[ban], msg='compliant, with 1 ban(s) by other software: ...')
    variables['out']['bluemind_firewall_probes']['probes'].pop()
    report = verification_report(variables, ['mx1', 'mx2'], ['out'], None)
    assert '  mx2: compliant, with 2 ban(s) by other software (every new connection, 10 boxes of packets)' \
        in report['lines']
    assert '    banned tcp/25 ipv4: fail2ban chain f2b-postfix (ip filter): 2 addresses banned' in report['lines']
    assert not any(failure.startswith('mx2') for failure in report['failures'])
    variables['mx2']['bluemind_firewall_verify_fail_on'] = ['banned']
    assert 'mx2: banned tcp/25 ipv4 from banned' in verification_report(variables, ['mx1', 'mx2'], ['out'])['failures']
