"""The firewalld objects of a policy: who each rule lets in, what it drops after, and the ipsets."""

import pytest

from test_exposure_rendering import LIMITED, policy
from test_server_roles import roles_policy
from ansible_collections.bluemind.firewall.plugins.module_utils import firewalld_view as view
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError


def _ipsets(found):
    return dict((item['name'], (item['family'], item['entries'])) for item in found['ipsets'])


def test_public_ports_are_the_policys_ports_and_internal_ones_are_let_in_from_the_cluster_ipsets(port_table):
    found = view.firewalld_view(policy(port_table))
    assert found['policy']['ports'] == ['22/tcp', '25/tcp', '443/tcp']
    rules = found['policy']['rich_rules']
    assert 'rule family="ipv4" source ipset="bluemind-fw-cluster-v4" port port="8080" protocol="tcp" accept' in rules
    assert 'rule family="ipv6" source ipset="bluemind-fw-cluster-v6" port port="5701-5715" protocol="tcp" accept' in rules
    assert _ipsets(found) == {'bluemind-fw-cluster-v4': ('inet', ['192.0.2.10', '192.0.2.11']),
                              'bluemind-fw-cluster-v6': ('inet6', ['2001:db8::10'])}
    # The record names what the collection owns in firewalld: no zone, its policy, its ipsets by audience.
    assert found['record'] == {'zone': None, 'policies': ['bluemind-firewall'], 'ipsets': {
        'cluster': {'ipv4': 'bluemind-fw-cluster-v4', 'ipv6': 'bluemind-fw-cluster-v6'}}}


def test_every_port_the_policy_decides_is_dropped_after_the_accepts_and_no_public_one(port_table):
    rules = view.firewalld_view(policy(port_table, log_drops=False))['policy']['rich_rules']
    drops = [rule for rule in rules if rule.endswith(' drop')]
    accepts = [rule for rule in rules if rule.endswith(' accept')]
    assert rules == accepts + drops
    assert all(rule.startswith('rule priority="1" ') for rule in drops)
    assert all('priority' not in rule for rule in accepts)
    # Closed optional services and internal ports are dropped for everyone else; 25 and 443 are not.
    assert 'rule priority="1" port port="143" protocol="tcp" drop' in drops
    assert 'rule priority="1" port port="8080" protocol="tcp" drop' in drops
    assert not [rule for rule in drops if 'port="25"' in rule or 'port="443"' in rule or 'port="22"' in rule]


def test_drop_logging_is_a_rate_limited_log_on_the_drops_only(port_table):
    rules = view.firewalld_view(policy(port_table))['policy']['rich_rules']
    logged = [rule for rule in rules if ' log ' in rule]
    assert logged and all(rule.endswith(' drop') for rule in logged)
    assert logged[0].endswith('log prefix="bluemind-firewall drop: " level="info" limit value="5/s" drop')


def test_admin_sources_get_ipsets_and_ssh_is_dropped_for_the_others(port_table):
    found = view.firewalld_view(policy(port_table, admin_sources=['198.51.100.0/24', '2001:db8:5::/48']))
    rules = found['policy']['rich_rules']
    assert 'rule family="ipv4" source ipset="bluemind-fw-admin-v4" port port="22" protocol="tcp" accept' in rules
    assert 'rule family="ipv6" source ipset="bluemind-fw-admin-v6" port port="22" protocol="tcp" accept' in rules
    assert '22/tcp' not in found['policy']['ports']
    assert any(rule.startswith('rule priority="1" port port="22" protocol="tcp"') for rule in rules)
    assert _ipsets(found)['bluemind-fw-admin-v6'] == ('inet6', ['2001:db8:5::/48'])


def test_admin_sources_of_every_ipv4_address_take_no_ipset_in_that_family(port_table):
    found = view.firewalld_view(policy(port_table, admin_sources=['0.0.0.0/0', '2001:db8:5::/48']))
    rules = found['policy']['rich_rules']
    assert 'rule family="ipv4" port port="22" protocol="tcp" accept' in rules
    assert 'bluemind-fw-admin-v4' not in _ipsets(found)


def test_a_limited_port_is_let_in_like_a_public_one_and_a_private_one_from_its_sources(port_table):
    found = view.firewalld_view(policy(port_table, **LIMITED))
    assert found['policy']['ports'] == ['22/tcp', '25/tcp', '587/tcp', '993/tcp']
    rules = found['policy']['rich_rules']
    assert 'rule family="ipv4" source ipset="bluemind-fw-private-1-v4" port port="443" protocol="tcp" accept' in rules
    assert _ipsets(found)['bluemind-fw-private-1-v6'] == ('inet6', ['2001:db8::10', '2001:db8:77::/48'])
    assert any(rule.startswith('rule priority="1" port port="443" ') for rule in rules)


def test_extra_rules_by_protocol_source_and_destination(port_table):
    rules_setting = [{'protocol': 'vrrp'},
                     {'protocol': 'tcp', 'ports': [10050, '10060-10070'], 'sources': ['10.0.0.0/8'],
                      'destination': '192.0.2.10'}]
    found = view.firewalld_view(policy(port_table, extra_rules=rules_setting))
    rules = found['policy']['rich_rules']
    assert 'rule family="ipv4" source ipset="bluemind-fw-cluster-v4" protocol value="vrrp" accept' in rules
    assert ('rule family="ipv4" source ipset="bluemind-fw-rule-1-v4" destination address="192.0.2.10" '
            'port port="10060-10070" protocol="tcp" accept') in rules
    assert not [rule for rule in rules if 'bluemind-fw-rule-1-v6' in rule]
    assert 'rule priority="1" protocol value="vrrp" log prefix="bluemind-firewall drop: " level="info" limit value="5/s" drop' in rules
    assert 'rule priority="1" port port="10060-10070" protocol="tcp" log prefix="bluemind-firewall drop: " level="info" limit value="5/s" drop' in rules


def test_an_extra_rule_on_an_interface_is_refused_naming_the_setting(port_table):
    with pytest.raises(PolicyError, match=r'extra_rules\[0\]\.interface.*firewalld'):
        policy(port_table, backend='firewalld', extra_rules=[{'protocol': 'tcp', 'ports': [9], 'interface': 'eth1'}])


def test_a_limited_service_is_refused_and_ssh_stays_public_by_default(port_table):
    with pytest.raises(PolicyError, match=r'exposure\.submission\.mode.*firewalld.*every source together'):
        policy(port_table, backend='firewalld', optional_services=['submission'], exposure={'submission': 'limited'})
    found = policy(port_table, backend='firewalld')
    assert [port['exposure'] for port in found['ports'] if port['service'] == 'ssh'] == ['public']
    assert '22/tcp' in view.firewalld_view(found)['policy']['ports']


def test_roles_mode_callers_get_ipsets_of_their_own(port_table):
    found = view.firewalld_view(roles_policy(port_table, 'core'))
    callers = [name for name in _ipsets(found) if name.startswith('bluemind-fw-callers-')]
    assert callers and all(len(name) <= 31 for name in _ipsets(found))
    assert any('source ipset="%s"' % callers[0] in rule for rule in found['policy']['rich_rules'])


@pytest.mark.parametrize('ranges, removed, kept', [
    ([(1, 10)], [], [(1, 10)]),
    ([(1, 10)], [(3, 4), (8, 8)], [(1, 2), (5, 7), (9, 10)]),
    ([(1, 10), (20, 30)], [(5, 25)], [(1, 4), (26, 30)]),
    ([(5, 5)], [(1, 9)], []),
])
def test_port_ranges_without_others(ranges, removed, kept):
    assert view._without(ranges, removed) == kept
