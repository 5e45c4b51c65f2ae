"""BlueMind 4 and 5 from one port table: each version's ports, the 5.x ports used on the host only,
services a version does not have, and one version per installation."""

import pytest

from ansible_collections.bluemind.firewall.plugins.module_utils.installations import differing_setting
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (
    CLUSTER, NOBODY, PolicyError, build_policy, parse_bluemind_version)

CLUSTER_OF_TWO = {'group': 'bluemind', 'hosts': {'mx1': ['192.0.2.10'], 'mx2': ['192.0.2.11']}}


def policy(port_table, **settings):
    return build_policy(port_table, settings, CLUSTER_OF_TWO)


def allowed(record, audience):
    return sorted(item['port'] for item in record['ports'] if item['allow'] == audience and item['class'] != 'admin')


def test_version_4_is_the_default_and_the_seeds_table(port_table):
    record = policy(port_table)
    assert record['bluemind'] == {'version': 4, 'flows': 'cluster', 'roles': []}
    ports = [item['port'] for item in record['ports']]
    assert '5222' in ports and '24' in ports and '8099' not in ports
    assert '8080' in allowed(record, CLUSTER)


def test_version_5_has_its_own_ports_and_never_opens_the_local_ones(port_table):
    record = policy(port_table, bluemind_version=5, optional_services=['imaps'])
    assert record['bluemind']['version'] == 5
    ports = [item['port'] for item in record['ports']]
    for gone in ('5222', '5223', '5269', '24', '2000', '2501', '2502', '5280', '5290', '8079', '8084', '8091'):
        assert gone not in ports
    assert allowed(record, CLUSTER) == sorted(['1110', '1143', '2400', '5432', '5701-5715', '8021', '8022', '8086',
                                               '8090', '8099', '8888', '9092', '9200', '9300'])
    local = [item for item in record['ports'] if item['class'] == 'local']
    assert sorted(item['port'] for item in local) == ['2500', '5001', '8080', '8082', '8087']
    # Kept in the record, closed to everyone, so that verification checks they are closed.
    assert {item['allow'] for item in local} == {NOBODY}
    services = dict((item['port'], item['service']) for item in record['ports'])
    assert services['1143'] == 'bm_core_imap' and services['993'] == 'imaps'


@pytest.mark.parametrize('value, expected', [(4, 4), (5, 5), ('5', 5), (' 4 ', 4)])
def test_the_version_is_read_from_integers_and_their_text(value, expected):
    assert parse_bluemind_version(value) == expected


@pytest.mark.parametrize('value', [3, 6, '5.1', 'five', True, None, [5]])
def test_other_versions_are_refused_naming_the_variable_and_the_value(value):
    with pytest.raises(PolicyError, match=r'^bluemind_firewall_bluemind_version: .* must be one of 4, 5'):
        parse_bluemind_version(value)


def test_a_service_the_version_does_not_have_is_refused_naming_it_and_the_version(port_table):
    with pytest.raises(PolicyError) as error:
        policy(port_table, bluemind_version=5, optional_services=['imaps', 'xmpp_client'])
    message = str(error.value)
    assert message.startswith("bluemind_firewall_optional_services: 'xmpp_client' is a service of BlueMind 4, "
                              "not of BlueMind 5 (bluemind_firewall_bluemind_version)")
    assert message.endswith('the optional services of BlueMind 5: http, pop3, imap, smtps, submission, imaps, pop3s')
    # A misspelling is still a misspelling, with its suggestion, in either version.
    with pytest.raises(PolicyError, match=r"'imapz' is not an optional service \(did you mean imap\?\)"):
        policy(port_table, bluemind_version=5, optional_services=['imapz'])


def test_an_installation_runs_one_version():
    values = {'a1': 5, 'a2': '5', 'a3': None}

    def value_of(host, default):
        return default if values[host] is None else values[host]

    assert differing_setting('customer_a', ['a1', 'a2'], value_of, 'bluemind_firewall_bluemind_version', 4) is None
    message = differing_setting('customer_a', ['a1', 'a2', 'a3'], value_of, 'bluemind_firewall_bluemind_version', 4)
    assert message == ('the hosts of the installation customer_a set bluemind_firewall_bluemind_version to different '
                       'values: 4 on a3; 5 on a1, a2. It is one setting for the whole installation: set it in the '
                       'variables of the group customer_a.')


def test_a_broken_port_table_is_refused(port_table):
    broken = [dict(entry) for entry in port_table]
    broken[0]['versions'] = [4, 6]
    with pytest.raises(PolicyError, match=r'bluemind_firewall_port_table\[0\]\.versions'):
        policy(broken)
    twice = [dict(entry) for entry in port_table] + [dict(port_table[0])]
    with pytest.raises(PolicyError, match=r'has a second entry for BlueMind 4'):
        policy(twice)
