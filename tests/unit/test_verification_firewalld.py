"""The firewalld backend against rulesets recorded from a real firewalld (fixtures/live/firewalld_*,
recorded by tests/harness/record_firewalld_fixtures.sh): verification reads firewalld's own tables
exactly (its zone dispatch, jumps, reverse-path check, ipsets as sets) on firewalld 1.3 / nft 1.0.6
and firewalld 0.9.3 / nft 0.9.8, and firewalld prints the policy back in the very words the
collection renders it in, which is what keeps a second run from changing anything."""

import pytest

import live_fixtures
from live_fixtures import host as host_of, tables
from ansible_collections.bluemind.firewall.plugins.module_utils import firewalld_live, verification
from ansible_collections.bluemind.firewall.plugins.module_utils.firewalld_view import firewalld_view

STATES = ['firewalld_backend', 'firewalld_backend_nft098']


def check(state):
    return verification.compare(tables(state), verification.ExpectedPolicy(live_fixtures.policy(state)),
                                host_of(state))[1]


@pytest.mark.parametrize('state', STATES)
def test_the_collections_firewalld_policy_is_compliant_and_read_exactly(state):
    assert live_fixtures.policy(state)['backend'] == 'firewalld'
    assert check(state) == []


@pytest.mark.parametrize('state', STATES)
def test_a_port_opened_by_hand_in_a_zone_is_exposed_and_nothing_else(state):
    found = check(state + '_handmade')
    assert sorted((d['kind'], d['proto'], d['port'], d['family']) for d in found) == [
        ('exposed', 'tcp', '12345', 'ipv4'), ('exposed', 'tcp', '12345', 'ipv6')]
    assert all(d['table'] == 'inet firewalld' for d in found)


@pytest.mark.parametrize('state', STATES)
def test_firewalld_prints_the_policy_in_the_words_it_was_given(state):
    wanted = firewalld_view(live_fixtures.policy(state))
    printed = firewalld_live.policy_state(live_fixtures.read(state, 'firewall-cmd-info-policy.txt'))
    assert printed['rich_rules'] and sorted(printed['rich_rules']) == sorted(wanted['policy']['rich_rules'])
    assert sorted(printed['ports']) == sorted(wanted['policy']['ports'])
    assert firewalld_live.skeleton_differs(wanted['policy'], printed) == []
    ipsets = dict((item['name'], item) for item in wanted['ipsets'])
    assert firewalld_live.content_changes(wanted['policy'], printed, wanted['ipsets'], dict(
        (name, dict(item, type='hash:net')) for name, item in ipsets.items())) is None
    printed_ipset = firewalld_live.ipset_state(live_fixtures.read(state, 'firewall-cmd-info-ipset.txt'))
    assert printed_ipset == {'type': 'hash:net', 'family': 'inet6',
                             'entries': ipsets['bluemind-fw-cluster-v6']['entries']}
