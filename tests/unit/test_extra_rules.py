"""bluemind_firewall_extra_rules: validation, the record, both renderings, and what verification expects."""

import pytest

from test_nftables_view import render
from ansible_collections.bluemind.firewall.plugins.module_utils import ufw_view
from ansible_collections.bluemind.firewall.plugins.module_utils import verification
from ansible_collections.bluemind.firewall.plugins.module_utils.lockout import lockout
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import nftables_view
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError, build_policy, summary

PEERS = {'edge1': ['10.0.0.1', 'fd00::1'], 'edge2': ['10.0.0.2', 'fd00::2']}
VRRP = {'protocol': 'vrrp', 'destination': '224.0.0.18', 'comment': 'keepalived'}


def policy(port_table, rules, backend='nftables', **settings):
    settings.update(extra_rules=rules, backend=backend)
    return build_policy(port_table, settings, {'group': 'bluemind', 'hosts': PEERS})


def test_vrrp_to_its_group_from_the_cluster_is_ipv4_and_uses_the_cluster_set(port_table):
    record = policy(port_table, [VRRP])
    assert record['rules'] == [{'protocol': 112, 'protocol_name': 'vrrp', 'ports': [],
                                'destinations': {'ipv4': ['224.0.0.18'], 'ipv6': []}, 'allow': 'cluster',
                                'interface': None, 'families': ['ipv4'], 'comment': 'keepalived'}]
    matches = [rule['match'] for rule in nftables_view(record)['rules']]
    assert matches[-1] == 'ip saddr @cluster_hosts_v4 ip daddr { 224.0.0.18 } meta l4proto 112'


def test_sources_interface_ports_and_a_protocol_number(port_table):
    record = policy(port_table, [
        {'protocol': 'udp', 'ports': [500, '4500'], 'sources': ['cluster', '198.51.100.0/24'], 'comment': 'IKE'},
        {'protocol': 50, 'sources': '2001:db8:7::/48', 'interface': 'eth1', 'comment': 'ESP'},
        {'protocol': 'gre', 'sources': ['0.0.0.0/0', '::/0']},
    ])
    ike, esp, gre = record['rules']
    assert ike['allow'] == 'extra_rules[0]' and ike['ports'] == [[500, 500], [4500, 4500]]
    assert record['sources']['extra_rules[0]'] == {'ipv4': ['10.0.0.1', '10.0.0.2', '198.51.100.0/24'],
                                                   'ipv6': ['fd00::1', 'fd00::2']}
    assert esp['families'] == ['ipv6'] and esp['protocol_name'] == 'esp' and esp['interface'] == 'eth1'
    assert gre['allow'] == 'everyone' and gre['comment'] == 'extra rule 2'
    view = nftables_view(record)
    matches = [rule['match'] for rule in view['rules']]
    assert 'ip saddr @extra_rule_0_v4 udp dport { 500, 4500 }' in matches
    assert 'ip6 saddr @extra_rule_0_v6 udp dport { 500, 4500 }' in matches
    assert 'iifname "eth1" ip6 saddr @extra_rule_1_v6 meta l4proto 50' in matches
    assert 'meta nfproto ipv4 meta l4proto 47' in matches and 'meta nfproto ipv6 meta l4proto 47' in matches
    assert {s['name']: s['elements'] for s in view['sets']}['extra_rule_1_v6'] == ['2001:db8:7::/48']


@pytest.mark.parametrize('rule, words', [
    ({'protocol': 'carp'}, ['extra_rules[0].protocol', "'carp'", 'vrrp']),
    ({'protocol': 256}, ['0-255']),
    ({'protocol': 'vrrp', 'ports': 80}, ['.ports', 'has no ports']),
    ({'protocol': 'tcp', 'ports': '٢٥'}, ['.ports']),
    ({'protocol': 'icmp', 'family': 'ipv6'}, ['.family', 'ipv4 protocol']),
    ({'protocol': 'esp', 'destination': '224.0.0.18', 'family': 'ipv6'}, ['matches no address family']),
    ({'protocol': 'esp', 'sources': ['fe80::/10']}, ['.sources', 'link-local']),
    ({'protocol': 'esp', 'sources': ['10.0.0.1%eth0']}, ['scope id']),
    ({'protocol': 'esp', 'sources': []}, ['.sources', 'empty']),
    ({'protocol': 'esp', 'interface': 'eth0 ; drop'}, ['.interface']),
    ({'protocol': 'esp', 'comment': 'say "hi"'}, ['.comment']),
    ({'protocol': 'esp', 'to': '10.0.0.1'}, ['unknown key', 'to']),
    ({'ports': 25}, ['has no protocol']),
    ('esp', ['must be a mapping']),
])
def test_bad_rules_are_refused_naming_the_rule_and_the_field(port_table, rule, words):
    with pytest.raises(PolicyError) as error:
        policy(port_table, [rule])
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize('protocol, words', [
    ('ospf', ["'ospf'", 'ufw knows tcp, udp, ipv6, esp, ah, igmp, gre, vrrp', 'nftables backend']),
    (112, ['protocol number', 'ufw does not take']),
])
def test_ufw_refuses_what_it_cannot_express_before_any_change(port_table, protocol, words):
    with pytest.raises(PolicyError) as error:
        policy(port_table, [{'protocol': protocol}], backend='ufw')
    for word in words:
        assert word in str(error.value)


def test_ufw_rules_per_source_destination_and_interface(port_table):
    record = policy(port_table, [VRRP, {'protocol': 'udp', 'ports': '500', 'sources': ['198.51.100.0/24'],
                                        'interface': 'eth1', 'comment': 'IKE'}], backend='ufw')
    extra = [rule for rule in ufw_view.ufw_rules(record) if 'extra' in rule['comment']]
    assert extra == [
        {'proto': 'vrrp', 'ports': 'any', 'source': '10.0.0.1', 'destination': '224.0.0.18', 'interface': None,
         'comment': 'bluemind-firewall extra: keepalived'},
        {'proto': 'vrrp', 'ports': 'any', 'source': '10.0.0.2', 'destination': '224.0.0.18', 'interface': None,
         'comment': 'bluemind-firewall extra: keepalived'},
        {'proto': 'udp', 'ports': '500', 'source': '198.51.100.0/24', 'destination': '0.0.0.0/0',
         'interface': 'eth1', 'comment': 'bluemind-firewall extra: IKE'}]
    assert ufw_view.command_text(ufw_view.add_command(extra[0])) == \
        "ufw allow proto vrrp from 10.0.0.1 to 224.0.0.18 comment 'bluemind-firewall extra: keepalived'"
    assert ufw_view.command_text(ufw_view.add_command(extra[2])) == \
        "ufw allow in on eth1 proto udp from 198.51.100.0/24 to 0.0.0.0/0 port 500 comment 'bluemind-firewall extra: IKE'"


def test_ufw_reads_back_its_own_rendering_and_plans_nothing():
    # Lines as ufw 0.36.2 wrote them for the rules above (tests/unit/test_ufw_view.py reads more).
    text = ('### tuple ### allow vrrp any 224.0.0.18 any 10.0.0.1 in comment=%s\n'
            '### tuple ### allow udp 500 0.0.0.0/0 any 198.51.100.0/24 in_eth1 comment=%s\n') % (
        'bluemind-firewall extra: keepalived'.encode().hex(), 'bluemind-firewall extra: IKE'.encode().hex())
    current = ufw_view.parse_user_rules(text, 'ipv4')
    wanted = [{'proto': 'vrrp', 'ports': 'any', 'source': '10.0.0.1', 'destination': '224.0.0.18', 'interface': None,
               'comment': 'bluemind-firewall extra: keepalived'},
              {'proto': 'udp', 'ports': '500', 'source': '198.51.100.0/24', 'destination': '0.0.0.0/0',
               'interface': 'eth1', 'comment': 'bluemind-firewall extra: IKE'}]
    assert ufw_view.plan(wanted, current) == ([], [])
    assert ufw_view.plan(wanted[:1], current) == ([], [current[1]])
    assert ufw_view.delete_command(current[1]) == ['delete', 'allow', 'in', 'on', 'eth1', 'proto', 'udp', 'from',
                                                   '198.51.100.0/24', 'to', '0.0.0.0/0', 'port', '500']
    assert ufw_view.readd_command(current[1], 3)[:7] == ['insert', '3', 'allow', 'in', 'on', 'eth1', 'proto']


def test_the_lockout_check_counts_an_extra_rule_that_opens_ssh(port_table):
    closed = policy(port_table, [], admin_sources=['192.0.2.0/24'])
    opened = policy(port_table, [{'protocol': 'tcp', 'ports': 22, 'sources': ['198.51.100.0/24']}],
                    admin_sources=['192.0.2.0/24'])
    connection = '198.51.100.9 50000 10.0.0.1 22'
    assert lockout(closed, connection) and lockout(opened, connection) is None


def test_expected_policy_lets_the_rule_in_and_nothing_more(port_table):
    expected = verification.ExpectedPolicy(policy(port_table, [VRRP]))
    host = verification.LocalHost(['10.0.0.1'], [('10.0.0.0/24', 'eth0')], ['eth0'])
    boxes = [box for box in expected.allowed(4, host) if verification.space.PROTO in box
             and box[verification.space.PROTO] == ((112, 112),)]
    assert len(boxes) == 1
    assert boxes[0][verification.space.DADDR] == ((0xE0000012, 0xE0000012),)
    assert expected.destinations(4) == [(112, ((0xE0000012, 0xE0000012),))] and expected.destinations(6) == []


def test_nft_renders_every_kind(port_table):
    text = render(nftables_view(policy(port_table, [VRRP, {'protocol': 'esp', 'interface': 'eth1'}])))
    assert 'meta l4proto 112 accept comment "extra rule: keepalived"' in text
    assert 'iifname "eth1" ip saddr @cluster_hosts_v4 meta l4proto 50 accept comment "extra rule: extra rule 1"' in text


def test_the_summary_in_words_names_the_extra_rules(port_table):
    record = policy(port_table, [VRRP, {'protocol': 'esp', 'interface': 'eth1'}])
    assert summary(record).endswith('; extra rules: vrrp to 224.0.0.18 from the cluster, esp on eth1 from the cluster')
    assert 'extra rules' not in summary(policy(port_table, []))
