"""Bans by other software (fail2ban, a hand-made list) are reported as `banned`, not `blocked`.

The fail2ban states were recorded by tests/harness/record_ban_fixtures.sh: Debian 12's fail2ban
actions nftables-multiport and iptables-multiport (jail postfix, ports 25,465,587) banning
203.0.113.7, 203.0.113.99, 2001:db8::7 and 2001:db8::99 on top of the collection's table. The
policy opens port 25 to everyone, and 465 and 587 to nobody.
"""

import copy

import pytest

import live_fixtures
from live_fixtures import host as host_of, tables
from ansible_collections.bluemind.firewall.plugins.module_utils import nft_json, verification

FAIL2BAN = ['fail2ban_nftables', 'fail2ban_iptables']


def check(state, policy=None, outsiders=()):
    expected = verification.ExpectedPolicy(policy or live_fixtures.policy(state))
    return verification.compare(tables(state), expected, host_of(state), outsiders)[1]


def kinds(differences):
    return sorted(item['kind'] for item in differences)


@pytest.mark.parametrize('state', FAIL2BAN)
def test_a_fail2ban_ban_is_one_banned_finding_per_list_and_family(state):
    found = check(state)
    assert kinds(found) == ['banned', 'banned']
    by_family = dict((item['family'], item) for item in found)
    assert by_family['ipv4']['sources'] == ['203.0.113.7', '203.0.113.99']
    assert by_family['ipv6']['sources'] == ['2001:db8::7', '2001:db8::99']
    for item in found:
        assert item['banned'] == 2
        assert item['port'] == '25'
        assert item['about'].startswith('fail2ban ') and item['about'].endswith(': 2 addresses banned')


def test_the_nftables_ban_is_named_by_its_set():
    found = dict((item['family'], item) for item in check('fail2ban_nftables'))
    assert found['ipv4']['about'] == 'fail2ban set addr-set-postfix (inet f2b-table, chain f2b-chain): 2 addresses banned'
    assert found['ipv6']['set'] == 'addr6-set-postfix'


def test_the_iptables_ban_is_named_by_its_chain():
    found = dict((item['family'], item) for item in check('fail2ban_iptables'))
    assert found['ipv4']['about'] == 'fail2ban chain f2b-postfix (ip filter): 2 addresses banned'
    assert found['ipv6']['about'] == 'fail2ban chain f2b-postfix (ip6 filter): 2 addresses banned'


def _with(policy, **changes):
    policy = copy.deepcopy(policy)
    for key, value in changes.items():
        policy[key] = value
    return policy


@pytest.mark.parametrize('state', FAIL2BAN)
def test_a_ban_of_a_peer_stays_blocked(state):
    policy = live_fixtures.policy(state)
    peers = dict(policy['peers'], rec3=['203.0.113.7'])
    cluster = copy.deepcopy(policy['sources'])
    cluster['cluster']['ipv4'].append('203.0.113.7')
    found = check(state, _with(policy, peers=peers, sources=cluster))
    assert set((item['kind'], item['family']) for item in found) == set([('banned', 'ipv6'), ('blocked', 'ipv4')])


@pytest.mark.parametrize('state', FAIL2BAN)
def test_a_ban_of_a_cluster_source_stays_blocked(state):
    policy = live_fixtures.policy(state)
    found = check(state, _with(policy, cluster_sources=policy['cluster_sources'] + ['2001:db8::/64']))
    assert sorted((item['kind'], item['family']) for item in found) == [('banned', 'ipv4'), ('blocked', 'ipv6')]


@pytest.mark.parametrize('state', FAIL2BAN)
def test_a_ban_of_an_admin_source_stays_blocked(state):
    policy = live_fixtures.policy(state)
    sources = copy.deepcopy(policy['sources'])
    sources['admin'] = {'ipv4': ['203.0.113.0/24'], 'ipv6': ['::/0']}
    found = check(state, _with(policy, sources=sources))
    assert 'blocked' in kinds(found) and ('banned', 'ipv6') in [(i['kind'], i['family']) for i in found]
    assert all(item['family'] == 'ipv4' for item in found if item['kind'] == 'blocked')


@pytest.mark.parametrize('state', FAIL2BAN)
def test_a_ban_of_a_declared_outsider_stays_blocked(state):
    found = check(state, outsiders=['203.0.113.99', '2001:db8::99'])
    assert kinds(found) == ['blocked', 'blocked']


def test_a_drop_of_most_sources_is_blocked_not_banned():
    listing = live_fixtures.read('foreign_table_drops_smtp', 'nft.json')
    found = verification.compare(nft_json.read_tables(listing), verification.ExpectedPolicy(
        live_fixtures.policy('foreign_table_drops_smtp')), host_of('foreign_table_drops_smtp'))[1]
    assert found and set(kinds(found)) == set(['blocked'])


def test_a_foreign_drop_of_most_of_the_address_space_is_blocked():
    # Everything but one /1: a "ban" that covers more than it leaves out.
    listing = live_fixtures.read('fail2ban_nftables', 'nft.json').replace(
        '"203.0.113.99"', '{"prefix": {"addr": "0.0.0.0", "len": 1}}').replace(
        '"203.0.113.7"', '{"prefix": {"addr": "128.0.0.0", "len": 2}}')
    found = verification.compare(nft_json.read_tables(listing), verification.ExpectedPolicy(
        live_fixtures.policy('fail2ban_nftables')), host_of('fail2ban_nftables'))[1]
    assert ('blocked', 'ipv4') in [(item['kind'], item['family']) for item in found]
    assert ('banned', 'ipv4') not in [(item['kind'], item['family']) for item in found]


def test_the_collections_own_table_dropping_is_never_banned():
    # The same few addresses dropped inside the collection's own table: its own rules, never a ban.
    listing = live_fixtures.read('fail2ban_nftables', 'nft.json').replace('"f2b-table"', '"bluemind_firewall"')
    found = verification.compare(nft_json.read_tables(listing), verification.ExpectedPolicy(
        live_fixtures.policy('fail2ban_nftables')), host_of('fail2ban_nftables'))[1]
    assert found and 'banned' not in kinds(found)


def test_ban_findings_read_as_a_line_of_their_own():
    item = [item for item in check('fail2ban_iptables') if item['family'] == 'ipv4'][0]
    assert verification.difference_text(item) == (
        'banned tcp/25 ipv4: fail2ban chain f2b-postfix (ip filter): 2 addresses banned (services smtp)')


def test_banned_is_not_failed_by_default():
    assert 'banned' in verification.FINDING_KINDS
    assert 'banned' not in verification.DEFAULT_FAIL_ON
