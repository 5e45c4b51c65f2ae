"""A converge during a ban keeps it: the live elements of the ban sets go back into the reloading
transaction with the time they have left, for the ports the new record still limits."""

import json

from ansible_collections.bluemind.firewall.plugins.module_utils import exposure

RECORD = {'ports': [
    {'service': 'submission', 'proto': 'tcp', 'first': 587, 'last': 587, 'exposure': 'limited'},
    {'service': 'imaps', 'proto': 'tcp', 'first': 993, 'last': 993, 'exposure': 'public'},
    {'service': 'range', 'proto': 'tcp', 'first': 5000, 'last': 5002, 'exposure': 'limited'},
    {'service': 'dns', 'proto': 'udp', 'first': 53, 'last': 53, 'exposure': 'limited'},
]}


def listing(*elements):
    # As `nft -j list set` prints a ban set (nftables 1.0.6).
    return json.dumps({'nftables': [
        {'metainfo': {'version': '1.0.6', 'json_schema_version': 1}},
        {'set': {'family': 'inet', 'name': 'bans_v4', 'table': 'bluemind_firewall', 'type': ['ipv4_addr', 'inet_service'],
                 'size': 65536, 'flags': ['timeout'], 'timeout': 600, 'elem': list(elements)}}]})


def element(source, port, timeout, expires=None):
    found = {'val': {'concat': [source, port]}, 'timeout': timeout}
    if expires is not None:
        found['expires'] = expires
    return {'elem': found}


def test_a_ban_goes_back_with_the_time_it_has_left():
    lines = exposure.kept_bans('bluemind_firewall', 'bans_v4', listing(element('192.0.2.7', 587, 600, 523)), RECORD)
    assert lines == ['add element inet bluemind_firewall bans_v4 { 192.0.2.7 . 587 timeout 523s }\n']


def test_an_ipv6_ban_keeps_its_prefix():
    lines = exposure.kept_bans('bluemind_firewall', 'bans_v6', listing(element('2001:db8:1:2::', 5001, 600, 9)), RECORD)
    assert lines == ['add element inet bluemind_firewall bans_v6 { 2001:db8:1:2:: . 5001 timeout 9s }\n']


def test_bans_of_ports_no_longer_limited_are_let_go():
    elements = [element('192.0.2.7', 993, 600, 500), element('192.0.2.8', 53, 600, 500), element('192.0.2.9', 5003, 600, 5)]
    assert exposure.kept_bans('bluemind_firewall', 'bans_v4', listing(*elements), RECORD) == []


def test_elements_it_cannot_read_are_left_out():
    elements = [element('192.0.2.7', 587, 600, 0), element('not an address', 587, 600, 5), {'elem': {'val': '192.0.2.7'}},
                '192.0.2.7', element('192.0.2.10', 'submission', 600, 5)]
    assert exposure.kept_bans('bluemind_firewall', 'bans_v4', listing(*elements), RECORD) == []
    assert exposure.kept_bans('bluemind_firewall', 'bans_v4', 'not json', RECORD) == []
    assert exposure.kept_bans('bluemind_firewall', 'bans_v4', '', RECORD) == []
