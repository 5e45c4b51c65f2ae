"""The recorded live rulesets hold the states their folder names promise (see fixtures/live/README.md)."""

import json
import os

import pytest

LIVE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'live')


def tables(state):
    with open(os.path.join(LIVE, state, 'nft.json')) as handle:
        items = json.load(handle)['nftables']
    return {(i['table']['family'], i['table']['name']) for i in items if 'table' in i}


def save(state, tool):
    with open(os.path.join(LIVE, state, '%s-save.txt' % tool)) as handle:
        return handle.read()


@pytest.mark.parametrize('state', ['collection_only', 'foreign_table_drops_smtp', 'docker_like', 'bm_iptables_like',
                                   'ufw_enabled', 'unknown_construct'])
def test_the_collection_table_is_in_every_state_but_flushed(state):
    assert ('inet', 'bluemind_firewall') in tables(state)


def test_states():
    assert tables('flushed') == set()
    assert ('inet', 'foreign_mail_block') in tables('foreign_table_drops_smtp')
    assert '-j DNAT --to-destination 172.17.0.2:80' in save('docker_like', 'iptables')
    assert '-A INPUT -j bmhosts' in save('bm_iptables_like', 'iptables')
    assert '-A bmhosts -s 10.89.45.11/32 -j ACCEPT' in save('bm_iptables_like', 'iptables')
    assert '-s ' not in save('bm_iptables_like', 'ip6tables')
    assert 'ufw-user-input' in save('ufw_enabled', 'iptables')
    assert '"numgen"' in open(os.path.join(LIVE, 'unknown_construct', 'nft.json')).read()
