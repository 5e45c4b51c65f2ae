"""The rehearsal's logic: where each container sits, the matrix it prints, and what it says changed."""

import copy

import pytest

from ansible_collections.bluemind.firewall.plugins.module_utils.rehearsal import (
    RehearsalError, changes, container_names, plan, table)

# The README's examples, as the rehearsal reads them from the inventory.
ONE_SERVER = {'mail.example.com': {'ansible_host': '203.0.113.10',
                                   'admin_sources': ['192.0.2.0/24', '2001:db8:ad::/48']}}
CLUSTER = {
    'edge.example.com': {'ansible_host': '203.0.113.11', 'admin_sources': ['192.0.2.0/24']},
    'core.example.com': {'ansible_host': '10.20.0.12', 'admin_sources': ['192.0.2.0/24']},
    'store.example.com': {'ansible_host': '10.20.0.13', 'address': ['10.20.0.13', 'fd00:20::13'],
                          'admin_sources': ['192.0.2.0/24']},
}


def test_a_container_takes_the_inventory_address_and_the_missing_family_is_allocated_and_said():
    found = plan(ONE_SERVER, 'rh')
    host = found['hosts']['mail.example.com']
    assert host['container'] == 'rh-mail.example.com'
    assert host['ipv4'] == ['203.0.113.10'] and host['allocated'] == ['ipv6']
    assert host['ipv6'] == ['fd42:b1:e:1::1']
    assert found['mapping'][0] == ('mail.example.com: 203.0.113.10 from the inventory, fd42:b1:e:1::1 allocated '
                                   '(the inventory gives no IPv6 address)')


def test_the_outsider_is_outside_the_admin_sources_and_the_admin_host_inside_them():
    found = plan(ONE_SERVER, 'rh')
    assert found['outsider']['ipv4'] == ['198.51.100.1'] and found['outsider']['ipv6'] == ['2001:db8:ffff::1']
    assert found['admin']['ipv4'] == ['192.0.2.1'] and found['admin']['ipv6'] == ['2001:db8:ad::1']
    assert found['admin']['outside'] == []


def test_an_admin_host_without_an_admin_source_of_a_family_probes_from_outside_them_there():
    found = plan(CLUSTER, 'rh')
    assert found['admin']['ipv4'] == ['192.0.2.1'] and found['admin']['outside'] == ['ipv6']
    assert found['admin']['ipv6'] == ['2001:db8:ffff::2']  # the outsider took ::1
    assert found['hosts']['store.example.com']['ipv6'] == ['fd00:20::13']
    assert found['hosts']['core.example.com']['allocated'] == ['ipv6']
    assert found['hosts']['edge.example.com']['ipv4'] == ['203.0.113.11']


def test_without_admin_sources_there_is_no_admin_host():
    assert plan({'mx1': {'ansible_host': 'mx1.example.com'}}, 'rh')['admin'] is None
    assert plan({'mx1': {'admin_sources': ['0.0.0.0/0', '::/0']}}, 'rh')['admin'] is None


def test_the_outsider_avoids_the_cluster_and_extra_rule_sources_and_the_hosts():
    hosts = {'mx1': {'ansible_host': '203.0.113.1', 'cluster_sources': ['198.51.100.0/24'],
                     'rule_sources': ['2001:db8:ffff::/64']}}
    found = plan(hosts, 'rh')
    assert found['outsider']['ipv4'] == ['203.0.113.2'] and found['outsider']['ipv6'] == ['fd42:b1:e:99::1']


def test_a_name_is_allocated_addresses_in_both_families():
    found = plan({'mx1': {'ansible_host': 'mx1.example.com'}, 'mx2': {}}, 'rh')
    assert found['hosts']['mx1']['ipv4'] == ['172.31.213.1'] and found['hosts']['mx2']['ipv4'] == ['172.31.213.2']
    assert found['hosts']['mx1']['allocated'] == ['ipv4', 'ipv6']


def test_an_allocated_address_is_never_one_of_the_inventory():
    found = plan({'a': {'ansible_host': '172.31.213.1'}, 'b': {}}, 'rh')
    assert found['hosts']['b']['ipv4'] == ['172.31.213.2']


@pytest.mark.parametrize('hosts, machine, words', [
    ({'mx1': {'address': '192.0.2.2'}}, ['192.0.2.2'], 'host mx1: 192.0.2.2 is an address of this machine'),
    ({'mx1': {'ansible_host': '10.0.0.1'}, 'mx2': {'address': '10.0.0.1'}}, [],
     'hosts mx1 and mx2 both have the address 10.0.0.1'),
    ({'mx1': {'address': 'not-an-address'}}, [], 'host mx1: bluemind_firewall_address'),
    ({'mx1': {'admin_sources': ['10.0.0.0/33']}}, [], 'bluemind_firewall_admin_sources of mx1'),
    ({}, [], 'no BlueMind host'),
])
def test_what_cannot_be_rehearsed_is_refused_saying_why(hosts, machine, words):
    with pytest.raises(RehearsalError, match=words):
        plan(hosts, 'rh', machine)


def test_container_names_are_what_podman_accepts_and_unique():
    assert container_names('rh', ['mail.example.com', 'a b', 'a_b', 'a/b']) == {
        'a b': 'rh-a-b', 'a/b': 'rh-a-b-2', 'a_b': 'rh-a_b', 'mail.example.com': 'rh-mail.example.com'}


def _matrix(imap_open):
    def seen(open_ports):
        return dict((family, dict((str(port), 'open' if port in open_ports else 'filtered')
                                  for port in [22, 143] + list(range(5701, 5716)))) for family in ('ipv4', 'ipv6'))
    hazelcast = list(range(5701, 5716))
    public = [143] if imap_open else []
    ports = [{'port': '22', 'proto': 'tcp', 'service': 'ssh'}, {'port': '143', 'proto': 'tcp', 'service': 'imap'}] + [
        {'port': str(port), 'proto': 'tcp', 'service': 'hazelcast'} for port in hazelcast]
    return {'hosts': {'mx1': {'addresses': ['10.0.0.1', 'fd00::1'], 'ports': ports, 'seen': {
        'mx2': seen([22] + hazelcast + public), 'outsider': seen(public), 'admin': seen([22] + public)}}}}


def test_the_matrix_has_a_column_per_source_and_runs_of_ports_in_one_line():
    lines = table(_matrix(False))
    assert lines[0] == 'mx1 (10.0.0.1, fd00::1)'
    assert lines[1].split() == ['port', 'service', 'mx2', 'outsider', 'admin']
    assert lines[2].split() == ['22', 'ssh', 'open', '-', 'open']
    assert lines[4].split() == ['5701-5715', 'hazelcast', 'open', '-', '-']
    assert len(lines) == 6


def test_a_family_open_alone_is_said():
    matrix = _matrix(False)
    matrix['hosts']['mx1']['seen']['outsider']['ipv6']['22'] = 'open'
    assert table(matrix)[2].split() == ['22', 'ssh', 'open', 'v6-only', 'open']


def test_switching_a_service_on_shows_exactly_its_port_as_the_change():
    assert changes(_matrix(False), _matrix(True)) == [
        'mx1 tcp/143 (imap): opened to admin, mx2, outsider (IPv4 and IPv6)']
    assert changes(_matrix(True), _matrix(False)) == [
        'mx1 tcp/143 (imap): closed to admin, mx2, outsider (IPv4 and IPv6)']
    assert changes(_matrix(True), _matrix(True)) == []


def test_changes_name_the_family_and_merge_runs_of_ports():
    before = _matrix(False)
    after = copy.deepcopy(before)
    for port in range(5701, 5716):
        after['hosts']['mx1']['seen']['outsider']['ipv4'][str(port)] = 'open'
    assert changes(before, after) == ['mx1 tcp/5701-5715 (hazelcast): opened to outsider (IPv4)']


def test_hosts_that_come_and_go_are_said():
    empty = {'hosts': {}}
    assert changes(empty, _matrix(False)) == ['mx1: new in this rehearsal']
    assert changes(_matrix(False), empty) == ['mx1: no longer in the inventory']


# ---- the role's filters ----
from ansible_collections.bluemind.firewall.plugins.filter.rehearsal import (  # noqa: E402
    rehearsal_matrix, rehearsal_messages, rehearsal_plan, rehearsal_probes)

TABLE = [{'port': 25, 'proto': 'tcp', 'service': 'smtp', 'class': 'required', 'versions': [4, 5]},
         {'port': '5701-5702', 'proto': 'tcp', 'service': 'hazelcast', 'class': 'internal', 'versions': [4, 5]}]
HOSTVARS = {'mx1': {'ansible_host': '10.0.0.1', 'bluemind_firewall_admin_sources': ['192.0.2.0/24'],
                    'bluemind_firewall_extra_internal_ports': [{'port': 10050, 'name': 'zabbix'},
                                                               {'port': 7000, 'proto': 'udp', 'name': 'backup'}]},
            'mx2': {'bluemind_firewall_address': ['10.0.0.2', 'fd00:1::2'], 'bluemind_firewall_ssh_port': 2222}}


def test_the_plan_listens_on_the_data_file_ssh_and_the_tcp_extra_ports_and_reaches_each_container():
    found = rehearsal_plan(HOSTVARS, ['mx1', 'mx2'], 'rh', [], TABLE)
    assert found['ports'] == [22, 25, 2222, 5701, 5702, 10050]
    assert found['reach'] == {'mx1': 'rh-mx1', 'mx2': 'rh-mx2', 'rh-outsider': 'rh-outsider', 'rh-admin': 'rh-admin'}
    assert found['probers'] == {'rh-outsider': {}, 'rh-admin': {}}
    setup = dict((machine['name'], machine['setup']) for machine in found['machines'])
    assert 'ip -4 address add 10.0.0.2/32 dev eth0' in setup['mx2']
    assert 'ip -6 route replace default dev eth0 src fd00:1::2' in setup['mx2']


def test_a_bad_inventory_stops_the_rehearsal_before_anything_starts():
    with pytest.raises(Exception, match='nothing was started: hosts mx1 and mx2 both have the address 10.0.0.1'):
        rehearsal_plan({'mx1': {'ansible_host': '10.0.0.1'}, 'mx2': {'ansible_host': '10.0.0.1'}},
                       ['mx1', 'mx2'], 'rh', [], TABLE)


def test_each_source_probes_every_other_host_and_never_itself():
    found = rehearsal_plan(HOSTVARS, ['mx1', 'mx2'], 'rh', [], TABLE)
    commands = dict((command['source'], command['argv']) for command in rehearsal_probes(found))
    assert sorted(commands) == ['admin', 'mx1', 'mx2', 'outsider']
    assert '10.0.0.1' not in commands['mx1'] and commands['mx1'][-4:-2] == ['10.0.0.2', '22,25,2222,5701,5702,10050']
    assert '10.0.0.1' in commands['outsider'] and '10.0.0.2' in commands['outsider']


def test_the_matrix_files_each_verdict_under_its_host_source_and_family():
    found = rehearsal_plan(HOSTVARS, ['mx1', 'mx2'], 'rh', [], TABLE)
    results = [{'item': {'source': 'outsider'}, 'stdout': '{"10.0.0.2 25": "open", "fd00:1::2 25": "filtered"}'}]
    matrix = rehearsal_matrix(results, found, {}, TABLE)
    assert matrix['hosts']['mx2']['seen'] == {'outsider': {'ipv4': {'25': 'open'}, 'ipv6': {'25': 'filtered'}}}
    assert matrix['sources']['admin']['ipv4'] == '192.0.2.1'
    names = dict((item['port'], item['service']) for item in matrix['hosts']['mx1']['ports'])
    assert names['5701'] == 'hazelcast' and names['22'] == 'ssh' and names['10050'] == 'not a BlueMind port'


def test_the_messages_of_a_run_are_read_out_of_its_output():
    output = '\n'.join(['TASK [x] ***', 'ok: [localhost] => {', '    "msg": [', '        "a \\"quoted\\" line",',
                        '        "last"', '    ]', '}', 'ok: [mx1] => {', '    "msg": "one string"', '}'])
    assert rehearsal_messages(output) == ['a "quoted" line', 'last', 'one string']


class _FactsNotGathered(dict):
    """hostvars of a host whose address is a template of its facts, which the controller has not."""

    def __getitem__(self, name):
        if name == 'bluemind_firewall_address':
            from ansible.errors import AnsibleUndefinedVariable
            raise AnsibleUndefinedVariable("'ansible_default_ipv4' is undefined")
        return dict.__getitem__(self, name)


def test_an_address_computed_from_facts_is_left_to_the_container_and_allocated():
    found = rehearsal_plan({'mx1': _FactsNotGathered(ansible_host='mx1.example.com')}, ['mx1'], 'rh', [], TABLE)
    assert found['hosts']['mx1']['allocated'] == ['ipv4', 'ipv6']
