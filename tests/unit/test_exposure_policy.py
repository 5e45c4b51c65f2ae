"""bluemind_firewall_exposure in the policy: each service public, limited or private, the defaults,
what the record holds, and every bad value refused with the variable and the value named."""

import pytest

from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError, build_policy, summary

PEERS = {'mx1': ['192.0.2.10', '2001:db8::10'], 'mx2': ['192.0.2.11']}
CONTROLLER = '203.0.113.9 50000 192.0.2.10 22'


def policy(port_table, **settings):
    return build_policy(port_table, settings, {'group': 'bluemind', 'hosts': PEERS})


def port(record, service):
    return next(item for item in record['ports'] if item['service'] == service)


def test_ssh_is_limited_while_everyone_may_reach_it_and_every_other_port_stays_public(port_table):
    record = policy(port_table, optional_services=['submission'])
    assert port(record, 'ssh')['exposure'] == 'limited'
    assert port(record, 'ssh')['limit'] == {'rate': 10, 'burst': 5, 'ban_seconds': 600}
    for service in ('smtp', 'https', 'submission', 'postgresql'):
        assert port(record, service)['exposure'] == 'public' and 'limit' not in port(record, service)
    assert record['protection'] == {'meters': {'ipv4': 'meters_v4', 'ipv6': 'meters_v6'},
                                    'bans': {'ipv4': 'bans_v4', 'ipv6': 'bans_v6'}, 'fail2ban': False}


def test_ssh_from_admin_networks_only_is_public_and_nothing_is_metered(port_table):
    record = policy(port_table, admin_sources=['198.51.100.0/24'])
    assert port(record, 'ssh')['exposure'] == 'public'
    assert record['protection'] == {'meters': {}, 'bans': {}, 'fail2ban': False}


def test_limited_services_take_their_defaults_or_the_given_numbers(port_table):
    record = policy(port_table, optional_services=['submission', 'imaps'],
                    exposure={'submission': 'limited', 'https': 'limited',
                              'imaps': {'mode': 'limited', 'rate': '40', 'ban_seconds': 60}})
    assert port(record, 'submission')['limit'] == {'rate': 30, 'burst': 20, 'ban_seconds': 600}
    assert port(record, 'https')['limit'] == {'rate': 300, 'burst': 100, 'ban_seconds': 300}
    assert port(record, 'imaps')['limit'] == {'rate': 40, 'burst': 20, 'ban_seconds': 60}
    assert port(record, 'smtp')['exposure'] == 'public'


def test_the_address_ansible_connects_from_is_recorded_as_never_limited(port_table):
    record = policy(port_table, ssh_connection=CONTROLLER)
    assert record['sources']['controller'] == {'ipv4': ['203.0.113.9'], 'ipv6': []}
    # SSH not limited (another port is): nothing to exempt, and the record does not change with the
    # admin's address.
    assert 'controller' not in policy(port_table, ssh_connection=CONTROLLER,
                                      exposure={'ssh': 'public', 'submission': 'limited'})['sources']


def test_a_private_service_is_open_to_its_sources_and_the_cluster(port_table):
    record = policy(port_table, cluster_sources=['10.0.0.0/8'],
                    exposure={'https': {'mode': 'private', 'sources': ['198.51.100.0/24', '2001:db8:77::/48']}})
    assert port(record, 'https')['exposure'] == 'private'
    assert port(record, 'https')['allow'] == 'private:https'
    assert record['sources']['private:https'] == {
        'ipv4': ['10.0.0.0/8', '192.0.2.10', '192.0.2.11', '198.51.100.0/24'],
        'ipv6': ['2001:db8::10', '2001:db8:77::/48']}
    assert port(record, 'smtp')['allow'] == 'everyone'
    assert 'to the sources of https: 443' in summary(record)


def test_a_back_end_behind_an_edge_keeps_its_ports_for_the_cluster(port_table):
    exposure = {'https': {'mode': 'private', 'sources': ['198.51.100.0/24']}, 'smtp': 'limited'}
    record = policy(port_table, public=False, exposure=exposure)
    assert port(record, 'https')['allow'] == 'cluster' and port(record, 'https')['exposure'] == 'public'
    assert port(record, 'smtp')['exposure'] == 'public'


def test_ufw_takes_its_own_fixed_limit(port_table):
    record = policy(port_table, backend='ufw', exposure={'submission': 'limited'}, optional_services=['submission'])
    assert port(record, 'submission')['limit'] == {'rate': 12, 'burst': 6, 'ban_seconds': 30}
    assert port(record, 'ssh')['limit'] == {'rate': 12, 'burst': 6, 'ban_seconds': 30}
    assert record['protection'] == {'meters': {}, 'bans': {}, 'fail2ban': False}


REFUSED = [
    ({'smpt': 'limited'}, "bluemind_firewall_exposure: 'smpt' is not a service of this host (did you mean smtp?)"),
    ({'smtp': 'closed'}, "bluemind_firewall_exposure.smtp.mode: 'closed' must be one of public, limited, private"),
    ('limited', "bluemind_firewall_exposure: 'limited' must be a mapping"),
    ({'https': 'private'}, "bluemind_firewall_exposure.https.sources: None is empty"),
    ({'https': {'mode': 'private', 'sources': []}}, "bluemind_firewall_exposure.https.sources: [] is empty"),
    ({'https': {'mode': 'private', 'sources': ['0.0.0.0/0']}},
     "bluemind_firewall_exposure.https.sources: '0.0.0.0/0' is every IPv4 address"),
    ({'https': {'mode': 'private', 'sources': ['198.51.100.1/24']}},
     "bluemind_firewall_exposure.https.sources: '198.51.100.1/24' is not a CIDR"),
    ({'ssh': {'mode': 'private', 'sources': ['198.51.100.0/24']}},
     "bluemind_firewall_exposure.ssh.mode: 'private' is not for SSH"),
    ({'https': {'mode': 'limited', 'rate': -5}}, "bluemind_firewall_exposure.https.rate: -5 must be at least 1"),
    ({'https': {'mode': 'limited', 'burst': 0}}, "bluemind_firewall_exposure.https.burst: 0 must be at least 1"),
    ({'https': {'mode': 'limited', 'ban_seconds': 'long'}},
     "bluemind_firewall_exposure.https.ban_seconds: 'long' must be a whole number"),
    ({'https': {'mode': 'limited', 'rate': True}}, "bluemind_firewall_exposure.https.rate: True must be a whole number"),
    ({'https': {'mode': 'public', 'rate': 5}}, "bluemind_firewall_exposure.https: {'mode': 'public', 'rate': 5} gives rate"),
    ({'https': {'mode': 'limited', 'sources': ['198.51.100.0/24']}},
     "bluemind_firewall_exposure.https.sources: ['198.51.100.0/24'] is given for a limited service"),
    ({'https': {'mode': 'limited', 'speed': 5}}, "bluemind_firewall_exposure.https: {'mode': 'limited', 'speed': 5} "
                                                 "has unknown key(s) speed"),
    ({'https': 3}, "bluemind_firewall_exposure.https: 3 must be public, limited, private or a mapping"),
]


@pytest.mark.parametrize('value, message', REFUSED, ids=[message.split(':')[0] + ' ' + str(i) for i, (dummy, message)
                                                         in enumerate(REFUSED)])
def test_bad_exposure_is_refused_naming_the_variable_and_value(port_table, value, message):
    with pytest.raises(PolicyError) as caught:
        policy(port_table, exposure=value)
    assert str(caught.value).startswith(message)


def test_ufw_refuses_any_other_rate_naming_the_setting(port_table):
    with pytest.raises(PolicyError) as caught:
        policy(port_table, backend='ufw', exposure={'https': {'mode': 'limited', 'rate': 30}})
    assert str(caught.value).startswith("bluemind_firewall_exposure.https.rate: 30 cannot be rendered by ufw")
    assert 'Nothing was changed' in str(caught.value)
    # ufw's own numbers, written out, are accepted.
    policy(port_table, backend='ufw', exposure={'https': {'mode': 'limited', 'rate': 12, 'burst': 6, 'ban_seconds': 30}})


def test_limited_meters_the_tcp_ports_of_a_service_and_refuses_one_with_only_udp(port_table):
    extras = [{'port': 3478, 'proto': 'udp', 'name': 'turn', 'description': 'TURN'},
              {'port': 3478, 'proto': 'tcp', 'name': 'turn', 'description': 'TURN'},
              {'port': 4500, 'proto': 'udp', 'name': 'ike', 'description': 'IKE'}]
    record = policy(port_table, extra_public_ports=extras, exposure={'turn': 'limited'})
    turn = dict((item['proto'], item) for item in record['ports'] if item['service'] == 'turn')
    assert turn['tcp']['exposure'] == 'limited' and turn['udp']['exposure'] == 'public'
    assert 'limit' not in turn['udp']
    with pytest.raises(PolicyError, match=r"bluemind_firewall_exposure\.ike: limited is for TCP ports .* 4500/udp"):
        policy(port_table, extra_public_ports=extras, exposure={'ike': 'limited'})
