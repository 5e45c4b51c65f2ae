"""A limited port is open (its limit not exceeded), and the elements of the collection's ban sets are
reported as bans, never failing by default; a ban that closes a source the installation depends on
is blocked. The state limited_bans was recorded by tests/harness/record_exposure_fixtures.sh."""

import copy
import json

import live_fixtures
from live_fixtures import host as host_of, tables
from ansible_collections.bluemind.firewall.plugins.module_utils import verification
from ansible_collections.bluemind.firewall.plugins.module_utils.ruleset import Evaluator, Packet

STATE = 'limited_bans'


def check(policy=None):
    expected = verification.ExpectedPolicy(policy or live_fixtures.policy(STATE))
    return verification.compare(tables(STATE), expected, host_of(STATE))[1]


def test_the_limited_ports_are_open_and_the_bans_are_the_only_findings():
    found = check()
    assert sorted(item['kind'] for item in found) == ['banned', 'banned', 'banned']
    assert not set(item['kind'] for item in found) & set(verification.DEFAULT_FAIL_ON)


def test_each_ban_names_its_port_and_sources_ipv6_per_64():
    found = dict(((item['family'], item['port']), item) for item in check())
    assert found['ipv4', '993']['sources'] == ['203.0.113.7']
    assert found['ipv4', '22']['sources'] == ['198.51.100.9']
    assert found['ipv6', '993']['sources'] == ['2001:db8:7:7::/64']
    assert found['ipv4', '993']['set'] == 'bans_v4'
    assert found['ipv4', '993']['about'] == 'imaps: 1 source banned now (limited port, set bans_v4)'
    assert found['ipv6', '993']['about'] == 'imaps: 1 source banned now (limited port, set bans_v6)'
    assert found['ipv4', '22']['about'] == 'ssh: 1 source banned now (limited port, set bans_v4)'


def test_the_peer_and_the_cluster_source_in_the_ban_set_are_let_in_all_the_same():
    sources = [source for item in check() for source in item['sources']]
    assert '10.89.45.12' not in sources and '192.0.2.77' not in sources


def test_a_ban_that_closes_an_admin_source_is_blocked():
    policy = copy.deepcopy(live_fixtures.policy(STATE))
    policy['sources']['admin'] = {'ipv4': ['203.0.113.0/24'], 'ipv6': ['2001:db8:ad::/48']}
    on_imaps = [item for item in check(policy) if item['port'] == '993' and item['family'] == 'ipv4']
    assert [item['kind'] for item in on_imaps] == ['blocked']
    assert on_imaps[0]['sources'] == ['203.0.113.7']


def test_without_the_ban_sets_read_the_bans_are_unknown(monkeypatch):
    # The ban sets are read as what they hold: were they read as any set rules add to, the limited
    # ports' verdict would be unknown for every source.
    from ansible_collections.bluemind.firewall.plugins.module_utils import nft_json
    monkeypatch.setattr(nft_json, 'CURRENT_ELEMENTS', frozenset())
    assert 'unknown' in set(item['kind'] for item in check())


# What ufw 0.36 writes for `ufw limit proto tcp to any port 22` (its --dry-run), as iptables-save lists it (-m tcp added).
UFW_LIMIT = '''*filter
:INPUT DROP [0:0]
:ufw-user-input - [0:0]
:ufw-user-limit - [0:0]
:ufw-user-limit-accept - [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -j ufw-user-input
-A ufw-user-input -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --set
-A ufw-user-input -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 30 --hitcount 6 -j ufw-user-limit
-A ufw-user-input -p tcp -m tcp --dport 22 -j ufw-user-limit-accept
-A ufw-user-limit -j REJECT --reject-with icmp-port-unreachable
-A ufw-user-limit-accept -j ACCEPT
COMMIT
'''


def test_a_port_under_ufw_limit_is_open_its_hit_count_not_reached():
    tables = verification.live_tables({}, UFW_LIMIT)
    packet = Packet('ipv4', 'tcp', 22, '203.0.113.50', '10.0.0.1', 'eth0')
    assert Evaluator(tables, 'ipv4').decide(packet).verdict == 'open'
    # Without the hit count, the recent list decides: unknown.
    tables = verification.live_tables({}, UFW_LIMIT.replace(' --hitcount 6', ''))
    assert Evaluator(tables, 'ipv4').decide(packet).verdict == 'unknown'


def _own_ban_item(family, sources):
    return {'table': 'inet bluemind_firewall', 'chain': 'input', 'family': family, 'proto': 'tcp',
            'rule': 'ip6 saddr & ffff:ffff:ffff:ffff:: . tcp dport @bans_v6 drop' if family == 'ipv6'
            else 'ip saddr . tcp dport @bans_v4 drop',
            'sources': sources, 'port_ranges': [[587, 587]], 'ports': [587], 'port': '587', 'services': ['submission']}


def test_an_ipv6_ban_with_peers_inside_its_64_counts_one_source():
    import ipaddress
    from ansible_collections.bluemind.firewall.plugins.module_utils import bans
    # The /64 less the two peers the cluster's rule lets in first: 64 networks, one source.
    whole = ipaddress.ip_network('fd42:89:61::/64')
    pieces = [whole]
    for peer in ('fd42:89:61::11', 'fd42:89:61::12'):
        pieces = [part for piece in pieces for part in (piece.address_exclude(ipaddress.ip_network(peer))
                                                        if ipaddress.ip_network(peer).subnet_of(piece) else [piece])]
    assert len(pieces) == 64
    found = bans._finding([_own_ban_item('ipv6', [str(piece) for piece in pieces])], sorted(pieces))
    assert found['about'] == 'submission: 1 source banned now (limited port, set bans_v6)'
    assert found['sources'] == ['fd42:89:61::/64']


def test_adjacent_ipv4_bans_count_each_address():
    import ipaddress
    from ansible_collections.bluemind.firewall.plugins.module_utils import bans
    networks = list(ipaddress.collapse_addresses([ipaddress.ip_network('10.89.61.30'), ipaddress.ip_network('10.89.61.31')]))
    found = bans._finding([_own_ban_item('ipv4', ['10.89.61.30', '10.89.61.31'])], networks)
    assert found['about'] == 'submission: 2 sources banned now (limited port, set bans_v4)'


def _ufw_limited(policy=None):
    expected = verification.ExpectedPolicy(policy or live_fixtures.policy('ufw_limited'))
    return verification.compare(tables('ufw_limited'), expected, host_of('ufw_limited'))[1]


def test_the_ufw_backend_renders_limited_and_private_as_its_record_says():
    # Recorded by tests/harness/record_ufw_limited_fixture.sh: SSH and submission under ufw's limit, HTTPS
    # private to 198.51.100.0/24 and 2001:db8:42::/48.
    policy = live_fixtures.policy('ufw_limited')
    exposures = dict((item['service'], item['exposure']) for item in policy['ports'] if item['allow'] != 'nobody')
    assert (exposures['ssh'], exposures['submission'], exposures['https'], exposures['smtp']) == (
        'limited', 'limited', 'private', 'public')
    assert _ufw_limited() == []
    decide = dict((family, Evaluator(tables('ufw_limited'), family)) for family in ('ipv4', 'ipv6'))
    verdicts = [decide[family].decide(Packet(family, 'tcp', port, source, target, 'eth0')).verdict
                for family, port, source, target in (
                    ('ipv4', 443, '198.51.100.7', '10.89.45.11'), ('ipv6', 443, '2001:db8:42::7', 'fd42:89:45::11'),
                    ('ipv4', 443, '203.0.113.9', '10.89.45.11'), ('ipv6', 443, '2001:db8:99::9', 'fd42:89:45::11'),
                    ('ipv4', 587, '203.0.113.9', '10.89.45.11'), ('ipv6', 22, '2001:db8:99::9', 'fd42:89:45::11'))]
    assert verdicts == ['open', 'open', 'closed', 'closed', 'open', 'open']


def test_the_private_sources_come_from_the_live_rules_not_the_record():
    policy = copy.deepcopy(live_fixtures.policy('ufw_limited'))
    for item in policy['ports']:
        if item['service'] == 'https':
            item['allow'] = 'nobody'
    assert set(item['kind'] for item in _ufw_limited(policy)) == {'exposed'}


# limited_bans_nft098: the same ruleset and bans recorded in a Debian 11 container, whose nft 0.9.8 leaves
# a set statement's own statements (the meters' `limit rate over`) out of its JSON.
OLD_NFT = 'limited_bans_nft098'


def _set_statements(state):
    document = json.loads(live_fixtures.read(state, 'nft.json'))
    return [expression['set'] for item in document['nftables'] if 'rule' in item
            for expression in item['rule']['expr'] if 'set' in expression]


def test_the_old_nft_record_shows_the_loss_it_is_kept_for():
    from ansible_collections.bluemind.firewall.plugins.module_utils import nft_json
    old, new = (json.loads(live_fixtures.read(state, 'nft.json')) for state in (OLD_NFT, STATE))
    assert nft_json.lists_set_statements_partly(old) and not nft_json.lists_set_statements_partly(new)
    updates = [statement for statement in _set_statements(OLD_NFT) if statement['op'] == 'update']
    assert updates and not any('stmt' in statement for statement in updates)
    assert all('stmt' in statement for statement in _set_statements(STATE) if statement['op'] == 'update')
    assert 'limit rate over' in live_fixtures.read(OLD_NFT, 'nft-rules.txt')


def test_with_the_text_listing_the_old_nft_reads_as_the_new_one():
    expected = verification.ExpectedPolicy(live_fixtures.policy(OLD_NFT))
    found = verification.compare(tables(OLD_NFT), expected, host_of(OLD_NFT))[1]
    # The rules' handles differ between the two recordings, and nft 0.9.8 says `meta nfproto` in JSON.
    recent = check()
    for item in found + recent:
        item.pop('position')
        item['rule'] = item['rule'].replace('meta nfproto ipv4 ', '').replace('meta nfproto ipv6 ', '')
    assert found == recent and [item['kind'] for item in found] == ['banned'] * 3


def test_without_the_text_listing_the_meters_are_unknown_never_blocked():
    listings = live_fixtures.listings(OLD_NFT)
    assert listings[-1]
    listings[-1] = ''
    expected = verification.ExpectedPolicy(live_fixtures.policy(OLD_NFT))
    kinds = set(item['kind'] for item in verification.compare(
        verification.live_tables(*listings), expected, host_of(OLD_NFT))[1])
    assert 'unknown' in kinds and 'blocked' not in kinds


def test_a_set_statement_without_a_limit_over_in_its_text_lets_the_rule_act():
    from ansible_collections.bluemind.firewall.plugins.module_utils import nft_json
    document = {'nftables': [
        {'metainfo': {'version': '0.9.8'}},
        {'table': {'family': 'inet', 'name': 't', 'handle': 1}},
        {'chain': {'family': 'inet', 'table': 't', 'name': 'input', 'handle': 1, 'type': 'filter',
                   'hook': 'input', 'prio': 0, 'policy': 'accept'}},
        {'rule': {'family': 'inet', 'table': 't', 'chain': 'input', 'handle': 4, 'expr': [
            {'match': {'op': '==', 'left': {'payload': {'protocol': 'tcp', 'field': 'dport'}}, 'right': 25}},
            {'set': {'op': 'update', 'elem': {'payload': {'protocol': 'ip', 'field': 'saddr'}}, 'set': '@seen'}},
            {'drop': None}]}}]}
    texts = {
        'plain': 'table inet t {\n\tchain input {\n\t\ttcp dport 25 update @seen { ip saddr } drop # handle 4\n\t}\n}\n',
        'over': 'table inet t {\n\tchain input {\n\t\ttcp dport 25 update @seen { ip saddr limit rate over 1/second } drop '
                '# handle 4\n\t}\n}\n',
        'other set': 'table inet t {\n\tchain input {\n\t\ttcp dport 25 update @other { ip saddr } drop # handle 4\n\t}\n}\n',
    }
    packet = Packet('ipv4', 'tcp', 25, '203.0.113.50', '10.0.0.1', 'eth0')
    verdicts = {}
    for name, text in list(texts.items()) + [('no text', '')]:
        tables = nft_json.read_tables(document, texts=nft_json.rule_texts(text))
        verdicts[name] = Evaluator(tables, 'ipv4').decide(packet).verdict
    assert verdicts == {'plain': 'closed', 'over': 'open', 'other set': 'unknown', 'no text': 'unknown'}
