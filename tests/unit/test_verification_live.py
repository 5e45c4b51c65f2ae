"""The verification engine on rulesets recorded from a real host (fixtures/live, see its README).

Expectations are derived from the recorded policy (fixtures/live/policy.json), not hard-coded port
lists, so that a change of the port table keeps these tests meaningful.
"""

import json
import os

import pytest

from ansible_collections.bluemind.firewall.plugins.module_utils import verification

LIVE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'live')
# rec1, the host the fixtures were recorded on (record_fixtures.sh).
HOST = verification.LocalHost(['10.89.45.11', 'fd42:89:45::11'], lambda source: 'eth0')


def read(*parts):
    with open(os.path.join(LIVE, *parts)) as handle:
        return handle.read()


@pytest.fixture(scope='module')
def expected():
    return verification.ExpectedPolicy(json.loads(read('policy.json')))


def tables(state):
    return verification.live_tables(read(state, 'nft.json'), read(state, 'iptables-save.txt'),
                                    read(state, 'ip6tables-save.txt'))


def check(state, expected):
    return verification.compare(tables(state), expected, HOST)


def ports_allowed_to(expected, audience):
    found = set()
    for proto, first, last, allow, dummy in expected.ports:
        if allow == audience and proto == 'tcp':
            found.update(range(first, last + 1))
    return found


def ports_of(differences, **where):
    found = set()
    for item in differences:
        if all(item[key] == value for key, value in where.items()):
            found.update(item['ports'])
    return found


def test_the_collections_own_rules_are_compliant(expected):
    checks, differences = check('collection_only', expected)
    assert differences == []
    sources = sum(len(expected.sources(family, HOST.addresses)) for family in verification.FAMILIES)
    assert checks == sources * len(expected.checked_ports())
    assert checks > 500


def test_sources_are_an_outsider_each_other_peer_and_each_cluster_source(expected):
    labels = [label for label, dummy in expected.sources('ipv4', HOST.addresses)]
    assert labels == ['outsider', 'peer rec2', 'cluster source 192.0.2.0/24']
    addresses = dict(expected.sources('ipv4', HOST.addresses))
    assert addresses['cluster source 192.0.2.0/24'].startswith('192.0.2.')
    assert not expected.member('cluster', addresses['outsider'])
    assert [label for label, dummy in expected.sources('ipv6', HOST.addresses)] == ['outsider', 'peer rec2']


def test_a_foreign_table_dropping_smtp_blocks_port_25_for_everyone(expected):
    dummy, differences = check('foreign_table_drops_smtp', expected)
    assert {(d['kind'], d['proto'], d['port']) for d in differences} == {('blocked', 'tcp', '25')}
    assert {(d['table'], d['chain'], d['rule']) for d in differences} == {
        ('inet foreign_mail_block', 'input', 'tcp dport 25 drop')}
    assert {(d['family'], d['source_class']) for d in differences} == {
        ('ipv4', 'outsider'), ('ipv4', 'peer rec2'), ('ipv4', 'cluster source 192.0.2.0/24'),
        ('ipv6', 'outsider'), ('ipv6', 'peer rec2')}
    assert all(d['services'] == ['smtp'] for d in differences)


def test_a_flushed_ruleset_exposes_every_closed_port_and_blocks_nothing(expected):
    dummy, differences = check('flushed', expected)
    assert {d['kind'] for d in differences} == {'exposed'}
    assert {d['table'] for d in differences} == {None}
    internal = ports_allowed_to(expected, 'cluster')
    switched_off = ports_allowed_to(expected, 'nobody')
    assert internal and switched_off
    for family in verification.FAMILIES:
        outsider = ports_of(differences, family=family, source_class='outsider', proto='tcp')
        assert internal | switched_off <= outsider
        assert not outsider & (ports_allowed_to(expected, 'everyone') | ports_allowed_to(expected, 'admin'))
        assert set(verification.SAMPLE_PORTS['tcp']) <= outsider
        assert not ports_of(differences, family=family, source_class='peer rec2', proto='tcp') & internal


def test_docker_published_port_is_unknown_and_its_dnat_is_listed(expected):
    live = tables('docker_like')
    dummy, differences = verification.compare(live, expected, HOST)
    assert {(d['kind'], d['family'], d['proto'], d['port'], d['actual']) for d in differences} == {
        ('unknown', 'ipv4', 'tcp', '8080', 'redirected')}
    assert all('DNAT --to-destination 172.17.0.2:80' in d['rule'] for d in differences)
    assert [r['rule'] for r in verification.redirects(live)] == [
        '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80']


def test_docker_traffic_from_its_own_bridge_is_not_redirected(expected):
    bridge_host = verification.LocalHost(HOST.addresses, lambda source: 'docker0')
    dummy, differences = verification.compare(tables('docker_like'), expected, bridge_host)
    assert differences == []


def test_bm_iptables_blocks_internal_ports_except_for_ipv4_bluemind_hosts(expected):
    dummy, differences = check('bm_iptables_like', expected)
    internal = ports_allowed_to(expected, 'cluster')
    assert {d['kind'] for d in differences} == {'blocked'}
    assert {(d['table'], d['chain']) for d in differences} == {('ip filter', 'bmports'), ('ip6 filter', 'bmports')}
    # bmhosts accepts each BlueMind host by IPv4 address before bmports; ip6tables has no such accept.
    assert not ports_of(differences, family='ipv4', source_class='peer rec2')
    assert ports_of(differences, family='ipv4', source_class='cluster source 192.0.2.0/24') == internal
    assert ports_of(differences, family='ipv6', source_class='peer rec2') == internal
    assert not ports_of(differences, source_class='outsider')


def test_ufw_enabled_beside_the_table_blocks_what_ufw_does_not_allow(expected):
    dummy, differences = check('ufw_enabled', expected)
    assert {d['kind'] for d in differences} == {'blocked'}
    assert {(d['table'], d['chain'], d['rule']) for d in differences} == {
        ('ip filter', 'INPUT', 'policy drop'), ('ip6 filter', 'INPUT', 'policy drop')}
    # ufw allow 25/tcp and 8090,8091/tcp were run: those pass.
    blocked = ports_of(differences)
    assert not blocked & {25, 8090, 8091}
    public = ports_allowed_to(expected, 'everyone') | ports_allowed_to(expected, 'admin')
    assert ports_of(differences, source_class='outsider') == public - {25}


def test_a_random_verdict_is_unknown_not_guessed(expected):
    dummy, differences = check('unknown_construct', expected)
    assert {(d['kind'], d['proto'], d['port'], d['actual']) for d in differences} == {('unknown', 'tcp', '443', 'unknown')}
    assert {(d['table'], d['chain']) for d in differences} == {('inet odd', 'input')}
    assert all('numgen' in d['rule'] for d in differences)


def test_difference_text_names_port_source_and_culprit(expected):
    dummy, differences = check('foreign_table_drops_smtp', expected)
    text = verification.difference_text(differences[0])
    assert text.startswith('blocked tcp/25 ipv4 from ')
    assert 'inet foreign_mail_block, chain input, handle ' in text
