"""The recorded live states of tests/unit/fixtures/live, read as the verify module reads a host.

Shared by the unit tests and benchmarks/verify_exact.py; imports the collection, so the caller puts
it on sys.path as ansible_collections.bluemind.firewall first.
"""
import json
import os

from ansible_collections.bluemind.firewall.plugins.module_utils import verification

LIVE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'unit', 'fixtures', 'live')
# The listings in the order verification.live_tables takes them.
LISTINGS = ('nft.json', 'iptables-save.txt', 'ip6tables-save.txt', 'iptables-legacy-save.txt',
            'ip6tables-legacy-save.txt', 'ipset-save.txt', 'nft-chains.txt', 'nft-rules.txt')


def read(*parts):
    """A recorded file's text; '' for a listing the state does not have."""
    path = os.path.join(LIVE, *parts)
    if not os.path.exists(path):
        return ''
    with open(path) as handle:
        return handle.read()


def states():
    return sorted(name for name in os.listdir(LIVE) if os.path.isdir(os.path.join(LIVE, name)))


def policy(state):
    """The record the state was checked against: the ufw backend's for the states recorded on it; for
    the schema1_ states, the record and rules an earlier version (record schema 1) wrote; a state with a
    policy.json of its own (limited_bans), that one."""
    if read(state, 'policy.json'):
        return json.loads(read(state, 'policy.json'))
    ufw = 'ufw_backend' in state or state == 'legacy_table'
    name = ('policy_ufw' if ufw else 'policy') + ('_schema1' if state.startswith('schema1_') else '') + '.json'
    return json.loads(read(name))


def listings(state):
    return [read(state, name) for name in LISTINGS]


def host(state):
    listing = json.loads(read(state, 'host.json'))
    return verification.host_from_listings(listing['address'], listing['route4'], listing['route6'], listing['link'],
                                           listing.get('forwarding'))


def tables(state):
    return verification.live_tables(*listings(state))
