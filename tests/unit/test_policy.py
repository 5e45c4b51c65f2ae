"""The policy model: who may reach which port, and the errors bad input gets."""

import ipaddress
import random

import pytest

from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (
    PolicyError, build_policy, networks_by_family, parse_port, resolve_cluster)

V4 = {'address': '192.0.2.10'}
V6 = {'address': '2001:db8::10'}


def cluster(**hosts):
    return {'group': 'bluemind', 'hosts': hosts or {'mx1': ['192.0.2.10', '2001:db8::10']}}


def allow_by_port(policy):
    return {(p['port'], p['proto']): p['allow'] for p in policy['ports']}


def test_defaults_open_required_to_everyone_internal_to_cluster_and_close_optional(port_table):
    allow = allow_by_port(build_policy(port_table, {}, cluster()))
    assert allow[('22', 'tcp')] == 'admin'
    assert allow[('25', 'tcp')] == allow[('443', 'tcp')] == 'everyone'
    assert allow[('993', 'tcp')] == allow[('80', 'tcp')] == 'nobody'
    assert allow[('5701-5715', 'tcp')] == allow[('24', 'tcp')] == allow[('9300', 'tcp')] == 'cluster'
    assert sum(1 for v in allow.values() if v == 'cluster') == 25


def test_enabled_optional_services_open_to_everyone(port_table):
    allow = allow_by_port(build_policy(port_table, {'optional_services': ['imaps', 'submission']}, cluster()))
    assert allow[('993', 'tcp')] == allow[('587', 'tcp')] == 'everyone'
    assert allow[('143', 'tcp')] == 'nobody'


def test_non_public_host_opens_public_ports_to_the_cluster_only(port_table):
    settings = {'public': False, 'optional_services': ['xmpp_client'],
                'extra_public_ports': [{'port': 10050, 'name': 'zabbix'}]}
    allow = allow_by_port(build_policy(port_table, settings, cluster()))
    assert allow[('25', 'tcp')] == allow[('443', 'tcp')] == allow[('5222', 'tcp')] == 'cluster'
    assert allow[('10050', 'tcp')] == 'cluster'
    assert 'everyone' not in allow.values()


def test_cluster_sources_join_peers_and_contained_addresses_collapse(port_table):
    peers = {'mx1': ['10.1.2.3', 'fd00::1'], 'mx2': ['192.0.2.7']}
    policy = build_policy(port_table, {'cluster_sources': ['10.0.0.0/8', '198.51.100.0/24']},
                          cluster(**peers))
    assert policy['sources']['cluster'] == {'ipv4': ['10.0.0.0/8', '192.0.2.7', '198.51.100.0/24'],
                                            'ipv6': ['fd00::1']}
    assert policy['peers'] == peers


def test_extra_ports_ranges_and_udp(port_table):
    settings = {'extra_internal_ports': [{'port': '7000-7010', 'proto': 'udp', 'name': 'backup',
                                          'description': 'backup agent'}]}
    ports = build_policy(port_table, settings, cluster())['ports']
    extra = [p for p in ports if p['service'] == 'backup'][0]
    assert (extra['first'], extra['last'], extra['proto'], extra['allow'], extra['class']) == (
        7000, 7010, 'udp', 'cluster', 'extra_internal')


@pytest.mark.parametrize('settings, expected', [
    ({}, 22),
    ({'ansible_port': 2222}, 2222),
    ({'ssh_connection': '198.51.100.9 51514 192.0.2.10 2200', 'ansible_port': 2222}, 2200),
    ({'ssh_port': 2022, 'ssh_connection': '198.51.100.9 51514 192.0.2.10 2200'}, 2022),
])
def test_ssh_port_follows_the_live_connection(port_table, settings, expected):
    assert build_policy(port_table, settings, cluster())['ssh_port'] == expected


@pytest.mark.parametrize('settings, words', [
    ({'optional_services': ['imap4']}, ["bluemind_firewall_optional_services", "'imap4'"]),
    ({'extra_public_ports': [{'port': 70000, 'name': 'x'}]}, ['bluemind_firewall_extra_public_ports[0].port', '70000', '1-65535']),
    ({'extra_internal_ports': [{'port': 0, 'name': 'x'}]}, ['bluemind_firewall_extra_internal_ports[0].port', '1-65535']),
    ({'extra_internal_ports': [{'port': '9000-8000', 'name': 'x'}]}, ["'9000-8000'"]),
    ({'extra_internal_ports': [{'port': 9000, 'name': 'x', 'prot': 'udp'}]}, ['unknown key', 'prot']),
    ({'extra_internal_ports': [{'port': 9000, 'name': 'x', 'proto': 'sctp'}]}, ['.proto', "'sctp'"]),
    ({'extra_internal_ports': [{'port': 9000, 'name': 'bad name"'}]}, ['.name']),
    ({'cluster_sources': ['10.0.0.0/33']}, ['bluemind_firewall_cluster_sources', "'10.0.0.0/33'"]),
    ({'cluster_sources': ['10.1.2.3/8']}, ['bluemind_firewall_cluster_sources', 'host bits']),
    ({'admin_sources': ['mgmt.example.com']}, ['bluemind_firewall_admin_sources', 'mgmt.example.com']),
    ({'admin_sources': []}, ['bluemind_firewall_admin_sources', 'close SSH']),
    ({'ssh_port': 0}, ['bluemind_firewall_ssh_port', '1-65535']),
    ({'public': 'maybe'}, ['bluemind_firewall_public', "'maybe'", 'true or false']),
    ({'backend': 'iptables'}, ['bluemind_firewall_backend', "'iptables'", 'must be one of nftables, ufw']),
    ({'backend': 'iptables'}, ['bluemind_firewall_backend', "'iptables'"]),
    ({'cluster_group': 'other'}, ['bluemind_firewall_cluster_group', "'other'", 'inventory variables']),
])
def test_bad_input_names_the_variable_and_the_value(port_table, settings, words):
    with pytest.raises(PolicyError) as error:
        build_policy(port_table, settings, cluster())
    for word in words:
        assert word in str(error.value)


def test_broken_port_table_is_refused(port_table):
    broken = [dict(port_table[0], port=99999)]
    with pytest.raises(PolicyError, match=r'bluemind_firewall_port_table\[0\]\.port'):
        build_policy(broken, {}, cluster())


@pytest.mark.parametrize('value, expected', [(10050, (10050, 10050)), ('10050', (10050, 10050)),
                                             ('7000-7010', (7000, 7010)), ('7000:7010', (7000, 7010))])
def test_parse_port(value, expected):
    assert parse_port(value, 'v') == expected


@pytest.mark.parametrize('value', [True, None, 1.5, 'ssh', '1-2-3', '', 65536])
def test_parse_port_refuses(value):
    with pytest.raises(PolicyError):
        parse_port(value, 'v')


def test_resolve_cluster_from_overrides_and_facts():
    result = resolve_cluster('bluemind', {
        'mx1': (None, V4, V6),
        'mx2': (None, {'address': '192.0.2.11'}, None),
        'mx3': ('198.51.100.3', V4, V6),
        'mx4': (['198.51.100.4', '2001:DB8::4'], None, None),
    })
    assert result == {'group': 'bluemind', 'hosts': {
        'mx1': ['192.0.2.10', '2001:db8::10'], 'mx2': ['192.0.2.11'],
        'mx3': ['198.51.100.3'], 'mx4': ['198.51.100.4', '2001:db8::4']}, 'warnings': [], 'origins': {
        'mx1': {'ipv4': 'facts', 'ipv6': 'facts'}, 'mx2': {'ipv4': 'facts'},
        'mx3': {'ipv4': 'inventory'}, 'mx4': {'ipv4': 'inventory', 'ipv6': 'inventory'}}}


def test_an_address_mapping_takes_one_family_from_the_inventory_and_the_other_from_facts():
    result = resolve_cluster('bluemind', {'mx1': ({'ipv6': '2001:db8::99'}, V4, V6)})
    assert result['hosts'] == {'mx1': ['192.0.2.10', '2001:db8::99']}
    assert result['origins'] == {'mx1': {'ipv4': 'facts', 'ipv6': 'inventory'}}


def test_resolve_cluster_names_every_host_without_an_address():
    with pytest.raises(PolicyError) as error:
        resolve_cluster('bluemind', {'mx1': (None, V4, None), 'mx2': (None, None, None), 'mx3': (None, {}, {})})
    # Each host's error is kept apart, to be reported on that host; the message holds them all.
    assert sorted(error.value.by_host) == ['mx2', 'mx3']
    assert 'cluster host mx2 of' in str(error.value) and 'cluster host mx3 of' in str(error.value)
    assert 'set bluemind_firewall_address for it' in error.value.by_host['mx2']
    # Under --limit without facts: the fact cache lines to add.
    assert 'fact_caching = jsonfile, fact_caching_connection = ~/.cache/ansible/facts' in error.value.by_host['mx3']


def test_a_bad_override_is_kept_for_the_host_that_holds_it():
    with pytest.raises(PolicyError) as error:
        resolve_cluster('bluemind', {'mx1': (None, V4, None), 'mx2': ('mail.example.com', V4, None)})
    assert list(error.value.by_host) == ['mx2'] and 'host mx2: bluemind_firewall_address' in error.value.by_host['mx2']


@pytest.mark.parametrize('settings, words', [
    ({'optional_services': ['imsps']}, ["'imsps' is not an optional service (did you mean imaps?)"]),
    ({'optional_services': 'imaps'}, ["must be a list; use a YAML list, such as [imaps]"]),
    ({'admin_sources': ['10.1.2.3/16']}, ['has host bits set: the network is 10.1.0.0/16, or write 10.1.2.3/32']),
    ({'cluster_sources': ['2001:db8::1/64']}, ['the network is 2001:db8::/64, or write 2001:db8::1/128']),
])
def test_messages_a_tired_admin_understands(port_table, settings, words):
    with pytest.raises(PolicyError) as error:
        build_policy(port_table, settings, cluster())
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize('override', ['mx1.example.com', '192.0.2.0/24', ['192.0.2.1', 'nope'], 42])
def test_resolve_cluster_refuses_a_bad_override(override):
    with pytest.raises(PolicyError, match='host mx1: bluemind_firewall_address'):
        resolve_cluster('bluemind', {'mx1': (override, V4, None)})


def test_resolve_cluster_refuses_an_empty_group():
    with pytest.raises(PolicyError, match="bluemind_firewall_cluster_group: 'bm'"):
        resolve_cluster('bm', {})


def test_networks_by_family_matches_a_brute_force_containment_check():
    rng = random.Random(7)
    for _round in range(200):
        nets = set()
        for _net in range(rng.randint(1, 30)):
            ipv4 = '10.%d.%d.%d/%d' % (rng.randint(0, 3), rng.randint(0, 255), rng.randint(0, 255),
                                       rng.choice([8, 16, 20, 24, 28, 30, 32]))
            ipv6 = 'fd00:%x::%x/%d' % (rng.randint(0, 3), rng.randint(0, 9), rng.choice([32, 48, 64, 128]))
            nets.add(ipaddress.ip_network(ipv4, strict=False))
            nets.add(ipaddress.ip_network(ipv6, strict=False))
        wanted = {4: [], 6: []}
        for net in sorted(nets, key=lambda n: (n.version, n.network_address, n.prefixlen)):
            if not any(net != other and net.version == other.version and net.subnet_of(other) for other in nets):
                wanted[net.version].append(net)
        result = networks_by_family(list(nets))
        assert result == {'ipv4': [str(n) if n.prefixlen < 32 else str(n.network_address) for n in wanted[4]],
                          'ipv6': [str(n) if n.prefixlen < 128 else str(n.network_address) for n in wanted[6]]}
