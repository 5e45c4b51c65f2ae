"""The exact check on rulesets recorded from a real host (fixtures/live, see its README).

Expectations are derived from the recorded policy (fixtures/live/policy.json), not hard-coded port
lists, so that a change of the port table keeps these tests meaningful.
"""

import json

import pytest

import live_fixtures
from live_fixtures import host as host_of, tables
from ansible_collections.bluemind.firewall.plugins.module_utils import verification


def expected_of(state):
    return verification.ExpectedPolicy(live_fixtures.policy(state))


def check(state):
    return verification.compare(tables(state), expected_of(state), host_of(state))[1]


def ports_allowed_to(expected, audience, proto='tcp'):
    found = set()
    for entry_proto, first, last, allow, dummy in expected.ports:
        if allow == audience and entry_proto == proto:
            found.update(range(first, last + 1))
    return found


def summary(differences):
    return set((d['kind'], d['family'], d['proto'], d['port'], d['sources_text'], d['table'], d['chain'], d['rule'])
               for d in differences)


@pytest.mark.parametrize('state', ['collection_only', 'ufw_backend', 'schema1_collection_only', 'schema1_ufw_backend'])
def test_the_collections_own_rules_are_compliant_for_both_backends(state):
    # The ping meters, the DHCPv6 accept and the three extra rules are all read as the record says;
    # the schema1_ states (0.3.0's rules and records) still check, against what 0.3.0 accepted.
    assert check(state) == []


def test_schema_1_and_2_differ_in_what_nftables_itself_accepts():
    assert live_fixtures.policy('schema1_collection_only')['schema'] == 1
    assert live_fixtures.policy('collection_only')['schema'] == 2
    old = verification.compare(tables('schema1_collection_only'), expected_of('collection_only'),
                               host_of('schema1_collection_only'))[1]
    # 0.3.0's table has neither the DHCPv6 accept nor the extra rules that the schema 2 record expects.
    assert sorted((d['proto'], d['port'], d['family']) for d in old if d['kind'] == 'blocked') == [
        ('protocol esp', 'any', 'ipv4'), ('protocol vrrp', 'any', 'ipv4'), ('udp', '500,4500', 'ipv4'),
        ('udp', '500,4500', 'ipv6'), ('udp', '546', 'ipv6')]


def _without_rule(state, comment):
    listing = json.loads(live_fixtures.read(state, 'nft.json'))
    kept = [item for item in listing['nftables'] if comment not in (item.get('rule') or {}).get('comment', '')]
    assert len(kept) == len(listing['nftables']) - 1
    listings = live_fixtures.listings(state)
    listings[0] = json.dumps({'nftables': kept})
    return verification.live_tables(*listings)


def test_a_missing_extra_rule_blocks_its_group_and_protocol_only():
    differences = verification.compare(_without_rule('collection_only', 'extra rule: keepalived'),
                                       expected_of('collection_only'), host_of('collection_only'))[1]
    assert [(d['kind'], d['proto'], d['family'], d['destinations'], d['sources_text']) for d in differences] == [
        ('blocked', 'protocol vrrp', 'ipv4', ['224.0.0.18'], '10.89.45.12, 192.0.2.0/24')]


def test_an_extra_rule_bound_to_an_interface_is_expected_there_only():
    differences = verification.compare(_without_rule('collection_only', 'extra rule: IPsec from a partner'),
                                       expected_of('collection_only'), host_of('collection_only'))[1]
    assert [(d['kind'], d['proto'], d['interfaces'], d['sources_text']) for d in differences] == [
        ('blocked', 'protocol esp', ['eth0'], '198.51.100.0/24')]


def test_the_host_is_read_with_every_address_and_its_routes():
    host = host_of('second_address')
    assert {'10.89.45.11', '10.89.45.200', 'fd42:89:45::200', 'fd42:89:45::11'} <= set(host.addresses)
    assert any(address.startswith('fe80::') for address in host.addresses)
    assert '127.0.0.1' not in host.addresses
    assert host.route_device(4, int(verification.ipaddress.ip_address('203.0.113.7'))) == 'eth0'


def test_a_port_opened_outside_the_policy_is_exposed_to_everyone_naming_the_rule():
    assert summary(check('one_port')) == {
        ('exposed', family, 'tcp', '12345', 'any source', 'inet bluemind_firewall', 'input', 'tcp dport 12345 accept')
        for family in ('ipv4', 'ipv6')}


def test_a_foreign_range_exposes_every_closed_port_and_protocol_to_that_range_only():
    expected = expected_of('foreign_range')
    differences = check('foreign_range')
    assert {d['kind'] for d in differences} == {'exposed'}
    assert {tuple(d['sources']) for d in differences} == {('198.18.0.0/15',)}
    assert {d['rule'] for d in differences} == {'ip saddr 198.18.0.0/15 accept'}
    tcp = [d for d in differences if d['proto'] == 'tcp']
    exposed = set(port for d in tcp for first, last in d['port_ranges'] for port in range(first, last + 1))
    assert exposed == set(range(1, 65536)) - ports_allowed_to(expected, 'everyone') - ports_allowed_to(expected, 'admin')
    assert {'udp', 'sctp', 'icmp'} <= {d['proto'] for d in differences}
    assert all(d['family'] == 'ipv4' and d['source_class'] == 'outsider' for d in differences)


def test_a_wildcard_interface_rule_matches_the_interfaces_it_names():
    differences = check('wildcard_interface')
    assert summary(differences) == {
        ('exposed', family, 'tcp', '3306', 'any source', 'inet bluemind_firewall', 'input',
         'meta iifname eth* tcp dport 3306 accept') for family in ('ipv4', 'ipv6')}
    # eth0 is the host's interface, "eth*" the representative of every other name the wildcard takes;
    # the interface no rule names is not among them.
    assert all(d['interfaces'] == ['eth0', 'eth*'] for d in differences)


def test_a_source_port_rule_is_exposed_for_that_source_port_only():
    assert {(d['kind'], d['family'], d['proto'], d['port'], d['source_ports']) for d in check('source_port')} == {
        ('exposed', 'ipv4', 'udp', '68', '67'), ('exposed', 'ipv6', 'udp', '68', '67')}


def test_a_rule_for_a_second_local_address_is_found_on_that_address():
    differences = check('second_address')
    assert [(d['kind'], d['port'], d['destinations']) for d in differences] == [('exposed', '8443', ['10.89.45.200'])]


def test_a_device_bound_chain_applies_to_its_device_only():
    differences = check('device_chain')
    assert {(d['kind'], d['family'], d['port'], tuple(d['interfaces']), d['table']) for d in differences} == {
        ('blocked', family, '25', ('eth1',), 'netdev edge') for family in ('ipv4', 'ipv6')}


def test_a_local_redirect_is_evaluated_again_with_its_new_port():
    # 2525 is redirected to 25, which is open to everyone: 2525 is reachable, and the redirect says so.
    assert summary(check('local_redirect')) == {
        ('exposed', 'ipv4', 'tcp', '2525', 'any source', 'ip redirect_smtp', 'prerouting', 'tcp dport 2525 redirect to :25')}


def test_a_dnat_to_a_port_the_policy_closes_is_exposed_naming_the_dnat():
    differences = check('docker_like')
    assert [(d['kind'], d['port'], d['actual'], d['source_class']) for d in differences] == [
        ('exposed', '8080', 'open', 'outsider')]
    assert differences[0]['rule'].endswith('--dport 8080 -j DNAT --to-destination 172.17.0.2:80')
    assert differences[0]['via'] == differences[0]['rule']
    # Peers may reach 8080 (an internal port): what the DNAT forwards them is no finding.
    assert differences[0]['sources_text'] == 'any source except 10.89.45.12, 192.0.2.0/24'
    assert [r['rule'] for r in verification.redirects(tables('docker_like'))] == [
        '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80']


def test_a_dnat_leads_nowhere_where_the_kernel_does_not_forward():
    host = host_of('docker_like')
    assert host.forwarding == {4: True, 6: True}
    host.forwarding[4] = False
    differences = verification.compare(tables('docker_like'), expected_of('docker_like'), host)[1]
    # Nothing is exposed; the peers, for whom 8080 is an internal port, lose it to the DNAT.
    assert [(d['kind'], d['port'], d['sources'], d['rule']) for d in differences] == [
        ('blocked', '8080', ['10.89.45.12', '192.0.2.0/24'], 'the kernel does not forward it (net.ipv4.ip_forward = 0)')]
    assert differences[0]['via'].endswith('-j DNAT --to-destination 172.17.0.2:80')


def test_an_ipset_match_reads_the_set_contents():
    differences = check('ipset_match')
    assert {d['kind'] for d in differences} == {'blocked'}
    assert {d['rule'] for d in differences} == {'-A INPUT -m set --match-set blocklist src -j DROP'}
    by_port = dict((d['port'], d['sources']) for d in differences)
    assert by_port['22,25,443,993'] == ['10.89.45.12', '198.51.100.0/24']
    assert by_port['type 8'] == ['10.89.45.12', '198.51.100.0/24']
    # Internal ports were open to the peer only.
    internal = [d for d in differences if 5432 in d['ports']]
    assert [d['sources'] for d in internal] == [['10.89.45.12']]


def test_a_legacy_iptables_table_is_read_beside_nf_tables():
    differences = [d for d in check('legacy_table') if d['table'] == 'ip filter (legacy)' or d['table'] == 'ip6 filter (legacy)']
    assert {(d['kind'], d['family'], d['port']) for d in differences} == {
        ('blocked', 'ipv4', '443'), ('blocked', 'ipv6', '443')}


def test_hand_made_ufw_rules_on_the_ufw_backend_are_exposed():
    differences = check('ufw_backend_handmade')
    assert ('exposed', 'ipv4', 'tcp', '12345', 'any source except 198.18.0.0/15', 'ip filter', 'ufw-user-input',
            '-A ufw-user-input -p tcp -m tcp --dport 12345 -j ACCEPT') in summary(differences)
    assert ('exposed', 'ipv6', 'tcp', '12345', 'any source', 'ip6 filter', 'ufw6-user-input',
            '-A ufw6-user-input -p tcp -m tcp --dport 12345 -j ACCEPT') in summary(differences)
    ranged = [d for d in differences if d['rule'] == '-A ufw-user-input -s 198.18.0.0/15 -j ACCEPT']
    assert ranged and all(d['sources'] == ['198.18.0.0/15'] for d in ranged)


def test_a_foreign_table_dropping_smtp_blocks_port_25_for_everyone():
    assert summary(check('foreign_table_drops_smtp')) == {
        ('blocked', family, 'tcp', '25', 'any source', 'inet foreign_mail_block', 'input', 'tcp dport 25 drop')
        for family in ('ipv4', 'ipv6')}


def test_a_flushed_ruleset_exposes_everything_the_policy_closes():
    expected = expected_of('flushed')
    differences = check('flushed')
    assert {d['kind'] for d in differences} == {'exposed'}
    assert {d['table'] for d in differences} == {None}
    internal = ports_allowed_to(expected, 'cluster')
    for family in verification.FAMILIES:
        tcp = [d for d in differences if d['family'] == family and d['proto'] == 'tcp']
        from_outsider = set(port for d in tcp for first, last in d['port_ranges'] for port in range(first, last + 1))
        assert from_outsider == set(range(1, 65536)) - ports_allowed_to(expected, 'everyone') - ports_allowed_to(expected, 'admin')
        # The internal ports are exposed to everyone but the cluster.
        to_others = [d for d in tcp if internal <= set(d['ports'])]
        assert [d['source_class'] for d in to_others] == ['outsider']
        assert {'udp', 'sctp'} <= {d['proto'] for d in differences if d['family'] == family}


def test_bm_iptables_blocks_internal_ports_except_for_ipv4_bluemind_hosts():
    expected = expected_of('bm_iptables_like')
    differences = check('bm_iptables_like')
    internal = ports_allowed_to(expected, 'cluster')
    assert {d['kind'] for d in differences} == {'blocked'}
    assert {(d['table'], d['chain']) for d in differences} == {('ip filter', 'bmports'), ('ip6 filter', 'bmports')}
    blocked = dict(((d['family'], tuple(d['sources'])), set()) for d in differences)
    for d in differences:
        blocked[d['family'], tuple(d['sources'])].update(d['ports'])
    # bmhosts accepts each BlueMind host by IPv4 address before bmports; ip6tables has no such accept.
    assert blocked == {('ipv4', ('192.0.2.0/24',)): internal, ('ipv6', ('fd42:89:45::12',)): internal}


def test_ufw_enabled_beside_the_table_blocks_what_ufw_does_not_allow():
    expected = expected_of('ufw_enabled')
    differences = check('ufw_enabled')
    assert {d['kind'] for d in differences} == {'blocked'}
    assert {(d['table'], d['chain'], d['rule']) for d in differences} == {
        ('ip filter', 'INPUT', 'policy drop'), ('ip6 filter', 'INPUT', 'policy drop')}
    blocked = set(port for d in differences for port in d['ports'])
    public = ports_allowed_to(expected, 'everyone') | ports_allowed_to(expected, 'admin')
    # The extra rule for IKE (UDP 500 and 4500) is one more thing ufw's INPUT policy drops.
    extra = set(port for rule in expected.rules for first, last in rule['ports'] for port in range(first, last + 1))
    assert extra == {500, 4500}
    assert blocked == (public | ports_allowed_to(expected, 'cluster') | extra) - {25, 8090, 8091}


def test_a_random_verdict_is_unknown_not_guessed():
    differences = check('unknown_construct')
    assert {(d['kind'], d['proto'], d['port'], d['actual'], d['table']) for d in differences} == {
        ('unknown', 'tcp', '443', 'unknown', 'inet odd')}
    assert all('numgen' in d['rule'] for d in differences)


def test_difference_text_names_port_sources_and_culprit():
    text = verification.difference_text(check('foreign_table_drops_smtp')[0])
    assert text.startswith('blocked tcp/25 ipv4 from any source (outsider, peer rec2, cluster source 192.0.2.0/24)')
    assert 'inet foreign_mail_block, chain input, handle ' in text
