"""A peer's address taken from facts that moved since the last run is said on every host that admits it
(issue 25): renumbering, or a peer whose facts lie, must not silently move the internal ports."""

import json

from ansible_collections.bluemind.firewall.plugins.module_utils.record import moved_addresses


def record(peers, origins=None):
    content = {'schema': 3, 'peers': peers}
    if origins is not None:
        content['address_origins'] = origins
    return content


LAST = json.dumps(record({'mx1': ['192.0.2.10', '2001:db8::10'], 'mx2': ['192.0.2.11', '2001:db8::11']}))


def test_a_peer_renumbered_by_its_facts_is_named_with_both_addresses():
    new = record({'mx1': ['192.0.2.10', '2001:db8::10'], 'mx2': ['192.0.2.99', '2001:db8::11']},
                 {'mx1': {'ipv4': 'facts', 'ipv6': 'facts'}, 'mx2': {'ipv4': 'facts', 'ipv6': 'facts'}})
    warnings = moved_addresses(LAST, new)
    assert len(warnings) == 1
    assert warnings[0].startswith('peer mx2: its IPv4 address, taken from its facts, was 192.0.2.11 in the last run '
                                  'and is 192.0.2.99 now')
    assert 'bluemind_firewall_address' in warnings[0]


def test_an_address_from_the_inventory_or_unchanged_says_nothing():
    pinned = record({'mx1': ['192.0.2.10', '2001:db8::10'], 'mx2': ['192.0.2.99', '2001:db8::11']},
                    {'mx1': {'ipv4': 'facts', 'ipv6': 'facts'}, 'mx2': {'ipv4': 'inventory', 'ipv6': 'facts'}})
    assert moved_addresses(LAST, pinned) == []
    same = record({'mx1': ['192.0.2.10', '2001:db8::10'], 'mx2': ['192.0.2.11', '2001:db8::11']},
                  {'mx1': {'ipv4': 'facts', 'ipv6': 'facts'}, 'mx2': {'ipv4': 'facts', 'ipv6': 'facts'}})
    assert moved_addresses(LAST, same) == []


def test_a_family_lost_from_facts_is_said_and_a_first_run_or_a_new_peer_is_not():
    lost = record({'mx1': ['192.0.2.10', '2001:db8::10'], 'mx2': ['192.0.2.11']},
                  {'mx2': {'ipv4': 'facts', 'ipv6': 'facts'}, 'mx3': {'ipv4': 'facts'}})
    lost['peers']['mx3'] = ['192.0.2.12']
    assert [w.split(':')[0] for w in moved_addresses(LAST, lost)] == ['peer mx2']
    assert 'is none now' in moved_addresses(LAST, lost)[0]
    assert moved_addresses(None, lost) == [] and moved_addresses('not json', lost) == []
