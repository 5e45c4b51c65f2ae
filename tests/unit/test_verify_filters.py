"""The verify playbook's filters: who probes whom, and the report that decides whether it fails."""

from ansible_collections.bluemind.firewall.plugins.filter.verification import probe_targets, verification_report

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
