"""What the engine models (issue 26): one construct per test, added to the recorded collection_only state
(fixtures/live) and checked against its record, asserting the kind, ports, sources and deciding rule.

The principle: a statement, match, hook, chain type or host fact the readers do not model exactly makes
the boxes it can touch unknown, naming the rule, never "no effect".
"""

import copy
import json

import live_fixtures
from ansible_collections.bluemind.firewall.plugins.module_utils import iptables_save, nft_json, verification
from ansible_collections.bluemind.firewall.plugins.module_utils import packet_space as space
from ansible_collections.bluemind.firewall.plugins.module_utils.ruleset import Evaluator, Host, Packet

STATE = 'collection_only'
ACCEPT = {'accept': None}
DROP = {'drop': None}


def match(left, right, op='=='):
    return {'match': {'op': op, 'left': left, 'right': right}}


def payload(protocol, field):
    return {'payload': {'protocol': protocol, 'field': field}}


def tcp(port):
    return match(payload('tcp', 'dport'), port)


def table(family, name, chains, sets=None):
    """nft -j items of a table; chains: {name: (hook or None, priority, policy, type, [rule expressions])}."""
    items = [{'table': {'family': family, 'name': name}}]
    for set_name, elements in (sets or {}).items():
        items.append({'set': {'family': family, 'table': name, 'name': set_name, 'elem': elements}})
    for chain, (hook, priority, policy, kind, rules) in chains.items():
        body = {'family': family, 'table': name, 'name': chain}
        if hook:
            body.update({'type': kind, 'hook': hook, 'prio': priority, 'policy': policy})
        items.append({'chain': body})
        for handle, expr in enumerate(rules, 100):
            items.append({'rule': {'family': family, 'table': name, 'chain': chain, 'handle': handle, 'expr': expr}})
    return items


def host_listing(**changes):
    listing = json.loads(live_fixtures.read(STATE, 'host.json'))
    listing.update(changes)
    return listing


def host_of(listing=None, route_localnet=None):
    listing = listing or host_listing()
    known = () if route_localnet is None else (route_localnet,)
    return verification.host_from_listings(listing['address'], listing['route4'], listing['route6'], listing['link'],
                                           listing.get('forwarding'), *known)


def check(items=(), first=(), iptables='', ip6tables='', ipsets='', host=None):
    """Findings of the recorded state plus the tables of items, the rules first inserted at the head of
    the collection's input chain, and the iptables-save and ipset listings given."""
    listing = json.loads(live_fixtures.read(STATE, 'nft.json'))
    rules = listing['nftables']
    at = next(index for index, item in enumerate(rules) if 'rule' in item)
    for offset, expr in enumerate(first):
        rules.insert(at + offset, {'rule': {'family': 'inet', 'table': 'bluemind_firewall', 'chain': 'input',
                                            'handle': 900 + offset, 'expr': expr}})
    rules.extend(items)
    listings = live_fixtures.listings(STATE)
    listings[0] = json.dumps(listing)
    listings[1], listings[2], listings[5] = iptables, ip6tables, ipsets
    tables = verification.live_tables(*listings)
    expected = verification.ExpectedPolicy(live_fixtures.policy(STATE))
    return verification.compare(tables, expected, host or host_of())[1]


def summary(differences):
    return set((d['kind'], d['family'], d['proto'], d['port'], d['sources_text'], d['rule']) for d in differences)


def test_the_recorded_state_is_compliant():
    assert check() == []


# 1. The principle.

def test_a_statement_the_reader_does_not_know_makes_its_rule_unknown_even_before_an_accept():
    odd = [tcp(3306), {'frobnicate': {'level': 3}}, ACCEPT]
    differences = check(first=[odd])
    assert {(d['kind'], d['family'], d['proto'], d['port'], d['sources_text'], d['actual']) for d in differences} == {
        ('unknown', family, 'tcp', '3306', 'any source', 'unknown') for family in ('ipv4', 'ipv6')}
    assert all('frobnicate' in d['rule'] and d['table'] == 'inet bluemind_firewall' for d in differences)
    # Before a drop too: the packet may never reach the drop (the old reading called it closed).
    odd = [tcp(3306), {'frobnicate': {'level': 3}}, DROP]
    assert {(d['kind'], d['port']) for d in check(first=[odd])} == {('unknown', '3306')}


def test_a_match_expression_the_reader_does_not_know_is_unknown_where_it_decides():
    odd = [tcp(25), match({'osf': {'key': 'name', 'ttl': 'loose'}}, 'Linux'), DROP]
    differences = check(table('inet', 'odd', {'input': ('input', 10, 'accept', 'filter', [odd])}))
    assert summary(differences) == {
        ('unknown', family, 'tcp', '25', 'any source', 'tcp dport 25 osf name Linux drop') for family in ('ipv4', 'ipv6')}


def test_a_chain_type_that_is_not_modelled_is_unknown_naming_the_chain():
    differences = check(table('ip', 'odd', {'input': ('input', 10, 'accept', 'future', [[tcp(25), DROP]])}))
    assert differences and {(d['kind'], d['family'], d['table'], d['chain']) for d in differences} == {
        ('unknown', 'ipv4', 'ip odd', 'input')}


def test_a_harmless_mark_is_modelled_and_a_payload_rewrite_before_input_is_unknown():
    mark = {'mangle': {'key': {'meta': {'key': 'mark'}}, 'value': 1}}
    assert check(table('inet', 'mangle', {'pre': ('prerouting', -150, 'accept', 'filter', [[tcp(25), mark]])})) == []
    rewrite = {'mangle': {'key': payload('tcp', 'dport'), 'value': 22}}
    differences = check(table('inet', 'mangle', {'pre': ('prerouting', -150, 'accept', 'filter', [[tcp(2222), rewrite]])}))
    assert summary(differences) == {
        ('unknown', family, 'tcp', '2222', 'any source', 'tcp dport 2222 mangle {"key": {"payload": {"field": "dport", '
         '"protocol": "tcp"}}, "value": 22}') for family in ('ipv4', 'ipv6')}


# 2. The constructs.

def test_ct_state_before_conntrack_is_invalid_for_every_packet():
    invalid = [match({'ct': {'key': 'state'}}, 'invalid'), DROP]
    raw = table('inet', 'raw', {'pre': ('prerouting', -300, 'accept', 'filter', [invalid])})
    differences = check(raw)
    assert {d['kind'] for d in differences} == {'blocked'}
    assert ('blocked', 'ipv4', 'tcp', '22,25,443,993', 'any source', 'ct state invalid drop') in summary(differences)
    # After conntrack (-150) the same rule drops nothing that opens a connection.
    assert check(table('inet', 'mangle', {'pre': ('prerouting', -150, 'accept', 'filter', [invalid])})) == []


def test_notrack_makes_packets_untracked_and_skips_nat():
    notrack = [tcp(25), {'notrack': None}]
    untracked = [match({'ct': {'key': 'state'}}, 'untracked'), tcp(25), DROP]
    items = table('inet', 'raw', {'pre': ('prerouting', -300, 'accept', 'filter', [notrack])}) + table(
        'inet', 'late', {'input': ('input', -10, 'accept', 'filter', [untracked])})
    assert summary(check(items)) == {
        ('blocked', family, 'tcp', '25', 'any source', 'ct state untracked tcp dport 25 drop') for family in ('ipv4', 'ipv6')}
    # A redirect of 2525 to 25 exposes 2525 (test_verification_live); an untracked 2525 skips it.
    redirect = [tcp(2525), {'redirect': {'port': 25}}]
    nat = table('ip', 'nat', {'pre': ('prerouting', -100, 'accept', 'nat', [redirect])})
    assert {(d['kind'], d['port']) for d in check(nat)} == {('exposed', '2525')}
    skipped = table('ip', 'raw', {'pre': ('prerouting', -300, 'accept', 'filter', [[tcp(2525), {'notrack': None}]])})
    assert check(nat + skipped) == []


def test_a_nat_chain_on_the_input_hook_drops():
    differences = check(table('ip', 'nat', {'in': ('input', 100, 'accept', 'nat', [[tcp(25), DROP]])}))
    assert summary(differences) == {('blocked', 'ipv4', 'tcp', '25', 'any source', 'tcp dport 25 drop')}


def _bridged_host():
    listing = host_listing()
    for link in listing['address'] + listing['link']:
        if link['ifname'] == 'eth0':
            link['ifname'] = 'br0'
    listing['link'].append({'ifindex': 9, 'ifname': 'eth0', 'master': 'br0', 'flags': ['UP']})
    for route in listing['route4'] + listing['route6']:
        route['dev'] = 'br0'
    return host_of(listing)


def test_a_bridge_table_is_unknown_on_a_host_whose_address_sits_on_a_bridge_and_ignored_otherwise():
    bridge = table('bridge', 'filter', {'in': ('input', 0, 'drop', 'filter', [[tcp(25), ACCEPT]])})
    assert check(bridge) == []
    differences = check(bridge, host=_bridged_host())
    assert differences and {(d['kind'], d['table'], d['chain'], tuple(d['interfaces'])) for d in differences} == {
        ('unknown', 'bridge filter', 'in', ('br0',))}


def test_a_netdev_chain_on_a_bridge_port_is_unknown_for_the_bridge():
    edge = table('netdev', 'edge', {'in': ('ingress', 0, 'accept', 'filter', [[tcp(25), DROP]])})
    edge[1]['chain']['dev'] = 'eth0'
    differences = check(edge, host=_bridged_host())
    assert differences and {(d['kind'], d['table'], tuple(d['interfaces'])) for d in differences} == {
        ('unknown', 'netdev edge', ('br0',))}


IPTABLES = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n%s\nCOMMIT\n'


def test_ipset_nomatch_entries_are_not_members():
    ipsets = ('create blocklist hash:net family inet hashsize 1024 maxelem 65536\n'
              'add blocklist 198.51.100.0/24\nadd blocklist 198.51.100.128/25 nomatch\n')
    rule = '-A INPUT -m set --match-set blocklist src -j DROP'
    differences = check(iptables=IPTABLES % rule, ipsets=ipsets)
    # A few addresses closed by a list outside the collection's rules: a ban, reported as such.
    assert {(d['kind'], d['family'], tuple(d['sources']), d['rule']) for d in differences} == {
        ('banned', 'ipv4', ('198.51.100.0/25',), rule)}


def test_the_first_tcp_packet_is_any_syn_without_ack_rst_or_fin():
    plain = match(payload('tcp', 'flags'), 'syn', '!=')
    differences = check(table('inet', 'strict', {'input': ('input', 10, 'accept', 'filter', [[plain, tcp(25), DROP]])}))
    assert {(d['kind'], d['family'], d['port'], d['rule']) for d in differences} == {
        ('blocked', family, '25', 'tcp flags != syn tcp dport 25 drop') for family in ('ipv4', 'ipv6')}
    flags = set(item for d in differences for item in d['tcp_flags'].split(', '))
    assert {'syn|ece|cwr', 'syn|psh'} <= flags and 'syn' not in flags and len(flags) == 15
    # `tcp flags == syn` lets in the plain SYN only; iptables' ALL is six flags, so ECN SYNs match it too.
    only_syn = check(first=[[match(payload('tcp', 'flags'), 'syn'), tcp(3306), ACCEPT]])
    assert {(d['kind'], d['port'], d['tcp_flags']) for d in only_syn} == {('exposed', '3306', 'syn')}
    tables = iptables_save.read_tables(IPTABLES % '-A INPUT -p tcp -m tcp --tcp-flags ALL SYN --dport 25 -j DROP', 'ip')
    evaluator = Evaluator(tables, 'ipv4', Host(['10.0.0.1']))
    assert evaluator.decide(Packet('ipv4', 'tcp', 25, '203.0.113.9', flags=('syn', 'ece', 'cwr'))).verdict == 'closed'
    assert evaluator.decide(Packet('ipv4', 'tcp', 25, '203.0.113.9', flags=('syn', 'psh'))).verdict == 'open'


def test_ip6_nexthdr_is_the_first_extension_header_not_the_transport_protocol():
    hop_by_hop = [match(payload('ip6', 'nexthdr'), 0), tcp(3306), ACCEPT]
    differences = check(first=[hop_by_hop])
    # A Fragment header may be gone once the packet is reassembled: not known there.
    assert {(d['kind'], d['family'], d['port'], d['extension_headers']) for d in differences} == {
        ('exposed', 'ipv6', '3306', 'hop-by-hop'), ('unknown', 'ipv6', '3306', 'fragment')}
    guard = [match(payload('ip6', 'nexthdr'), 'tcp'), tcp(25), DROP]
    differences = check(table('ip6', 'guard', {'input': ('input', 10, 'accept', 'filter', [guard])}))
    by_header = dict(((d['kind'], d['extension_headers']), d['rule']) for d in differences)
    # Without extension headers it drops; with one it lets them by; after a Fragment header it is not known.
    assert set(by_header) == {('blocked', 'none'), ('unknown', 'fragment')}


def test_multicast_destinations_get_their_own_packet_and_address_type():
    for left in ({'meta': {'key': 'pkttype'}}, {'fib': {'result': 'type', 'flags': ['daddr']}}):
        rule = [match(left, 'multicast'), DROP]
        differences = check(table('ip', 'mcast', {'input': ('input', 10, 'accept', 'filter', [rule])}))
        assert {(d['kind'], d['family'], d['proto'], tuple(d['destinations'])) for d in differences} == {
            ('blocked', 'ipv4', 'protocol vrrp', ('224.0.0.18',))}


def test_a_redirect_goes_to_the_first_address_of_the_incoming_interface():
    listing = host_listing()
    eth0 = next(link for link in listing['address'] if link['ifname'] == 'eth0')
    eth0['addr_info'].append({'family': 'inet', 'local': '10.89.45.200', 'prefixlen': 24, 'scope': 'global'})
    host = host_of(listing)
    redirect = table('ip', 'nat', {'pre': ('prerouting', -100, 'accept', 'nat', [[tcp(2525), {'redirect': {'port': 25}}]])})
    guard = table('ip', 'guard', {'input': ('input', 10, 'accept', 'filter', [
        [match(payload('ip', 'daddr'), '10.89.45.200'), tcp(25), DROP]])})
    differences = check(redirect + guard, host=host)
    # 25 to the second address is dropped; 2525 to it is redirected to the first address, and let in.
    assert {(d['kind'], d['port'], tuple(d['destinations'] or ())) for d in differences} == {
        ('blocked', '25', ('10.89.45.200',)), ('exposed', '2525', ())}


def test_th_dport_matches_every_protocol_on_its_port_field():
    differences = check(table('inet', 'th', {'input': ('input', 10, 'accept', 'filter', [
        [match(payload('th', 'dport'), 25), DROP]])}))
    found = set((d['kind'], d['family'], d['proto'], d['port']) for d in differences)
    assert {('blocked', 'ipv4', 'tcp', '25'), ('blocked', 'ipv6', 'tcp', '25')} <= found
    # ICMP has its checksum there: whether an echo request is dropped is not known.
    assert ('unknown', 'ipv4', 'icmp', 'type 8') in found
    assert all(d['rule'] == 'th dport 25 drop' for d in differences)


def test_iptables_comment_bang_is_a_comment_not_a_negation():
    rule = '-A INPUT -p tcp -m comment --comment "!" -m tcp --dport 25 -j DROP'
    assert summary(check(iptables=IPTABLES % rule)) == {('blocked', 'ipv4', 'tcp', '25', 'any source', rule)}


def test_iptables_icmp_type_and_code():
    tables = iptables_save.read_tables(IPTABLES % '-A INPUT -p icmp -m icmp --icmp-type 8/0 -j DROP', 'ip')
    evaluator = Evaluator(tables, 'ipv4', Host(['10.0.0.1']))
    assert evaluator.decide(Packet('ipv4', 'icmp', None, '203.0.113.9', icmp_type=8)).verdict == 'closed'
    assert evaluator.decide(Packet('ipv4', 'icmp', None, '203.0.113.9', icmp_type=8, icmp_code=1)).verdict == 'open'
    negated = iptables_save.read_tables(IPTABLES % '-A INPUT -p icmp -m icmp ! --icmp-type 8/0 -j DROP', 'ip')
    evaluator = Evaluator(negated, 'ipv4', Host(['10.0.0.1']))
    assert evaluator.decide(Packet('ipv4', 'icmp', None, '203.0.113.9', icmp_type=8)).verdict == 'open'
    assert evaluator.decide(Packet('ipv4', 'icmp', None, '203.0.113.9', icmp_type=8, icmp_code=1)).verdict == 'closed'
    assert evaluator.decide(Packet('ipv4', 'icmp', None, '203.0.113.9', icmp_type=13)).verdict == 'closed'


def test_a_dnat_to_loopback_is_a_martian_unless_route_localnet():
    dnat = table('ip', 'nat', {'pre': ('prerouting', -100, 'accept', 'nat', [
        [tcp(12345), {'dnat': {'addr': '127.0.0.1', 'port': 25}}]])})
    assert {(d['kind'], d['port'], d['rule']) for d in check(dnat)} == {('unknown', '12345', 'tcp dport 12345 dnat to 127.0.0.1:25')}
    assert check(dnat, host=host_of(route_localnet=False)) == []
    assert {(d['kind'], d['port']) for d in check(dnat, host=host_of(route_localnet=True))} == {('exposed', '12345')}


def test_route_localnet_is_known_only_when_all_sets_it_or_no_interface_does():
    # The module and the kernel oracle both judge /proc/sys/net/ipv4/conf/*/route_localnet by it.
    assert verification.route_localnet_of({'all': True, 'default': False, 'eth0': False}) is True
    assert verification.route_localnet_of({'all': False, 'default': False, 'eth0': False}) is False
    assert verification.route_localnet_of({'all': False, 'default': False, 'eth0': True}) is None


def test_a_multipath_default_route_carries_every_source_on_each_next_hop():
    listing = host_listing()
    default = next(route for route in listing['route4'] if route['dst'] == 'default')
    del default['dev']
    default['nexthops'] = [{'gateway': '10.89.45.1', 'dev': 'eth0'}, {'gateway': '10.99.0.1', 'dev': 'eth1'}]
    listing['link'].append({'ifindex': 3, 'ifname': 'eth1', 'flags': ['UP']})
    host = host_of(listing)
    assert host.route_devices(4, int(verification.ipaddress.ip_address('203.0.113.7'))) == ('eth0', 'eth1')
    differences = check(first=[[tcp(3306), ACCEPT]], host=host)
    assert ('exposed', 'ipv4', 'tcp', '3306', 'any source', 'tcp dport 3306 accept') in summary(differences)


# 3. Decided exactly.

def test_a_dnat_ip_in_an_inet_table_leaves_ipv6_alone():
    dnat = [tcp(2525), {'dnat': {'family': 'ip', 'addr': '10.89.45.11', 'port': 25}}]
    differences = check(table('inet', 'nat', {'pre': ('prerouting', -100, 'accept', 'nat', [dnat])}))
    assert {(d['kind'], d['family'], d['port']) for d in differences} == {('exposed', 'ipv4', '2525')}


def test_reverse_path_filtering_is_decided_from_the_routes():
    rpf = [match({'fib': {'result': 'oif', 'flags': ['saddr', 'mark', 'iif']}}, False), DROP]
    firewalld = table('inet', 'firewalld', {'pre': ('prerouting', -290, 'accept', 'filter', [rpf])})
    assert check(firewalld) == []
    # Nothing is routed through eth1: what a rule lets in there is dropped before.
    eth1 = [match({'meta': {'key': 'iifname'}}, 'eth1'), tcp(3306), ACCEPT]
    assert {(d['kind'], d['port'], tuple(d['interfaces'])) for d in check(first=[eth1])} == {
        ('exposed', '3306', ('eth1',))}
    assert check(firewalld, first=[eth1]) == []


def test_the_reader_keeps_an_explicit_list_of_statements():
    # Every statement the collection's own recorded rules use is modelled, so that the principle above
    # costs nothing on them.
    document = json.loads(live_fixtures.read(STATE, 'nft.json'))
    tables = nft_json.read_tables(copy.deepcopy(document))
    rules = [rule for found in tables for chain in found.chains.values() for rule in chain.rules]
    assert rules and all(rule.verdict != 'unknown' for rule in rules)
    assert space.size(space.FIRST_PACKET_FLAGS) == 16


def _concat_set(elements):
    return table('inet', 'bluemind_firewall', {}, {'allowed': elements})[1:]


def test_a_concatenated_set_accept_is_decided_element_by_element():
    concat = {'concat': [payload('ip', 'saddr'), payload('tcp', 'dport')]}
    rule = [match(concat, '@allowed'), ACCEPT]
    harmless = [{'concat': ['10.89.45.12', 8080]}, {'concat': [{'prefix': {'addr': '192.0.2.0', 'len': 24}}, 5432]}]
    assert check(_concat_set(harmless), first=[rule]) == []
    differences = check(_concat_set(harmless + [{'concat': ['198.51.100.7', {'range': [3306, 3307]}]}]), first=[rule])
    assert {(d['kind'], d['family'], d['port'], tuple(d['sources']), d['rule']) for d in differences} == {
        ('exposed', 'ipv4', '3306-3307', ('198.51.100.7',), 'ip saddr . tcp dport @allowed accept')}
    # The same as a verdict map.
    vmap = {'vmap': {'key': concat, 'data': {'set': [[{'concat': ['198.51.100.7', 3306]}, ACCEPT],
                                                     [{'concat': ['10.89.45.12', 8080]}, ACCEPT]]}}}
    assert {(d['kind'], d['port'], tuple(d['sources'])) for d in check(first=[[vmap]])} == {
        ('exposed', '3306', ('198.51.100.7',))}


# 4. Cost: a list of bans is one rule for the evaluator and one finding per family and protocol group.

def test_single_address_bans_are_one_finding_naming_the_run_of_rules():
    bans = ['-A INPUT -s 100.64.%d.%d/32 -j DROP' % (index // 200, index % 200) for index in range(600)]
    differences = check(iptables=IPTABLES % '\n'.join(bans))
    assert differences and {(d['kind'], d['family'], d['rule'], d['position']) for d in differences} == {
        ('banned', 'ipv4', '600 rules like %s' % bans[0], 'rule 1 to rule 600')}
    # One finding for the chain and family, every protocol it closes together, counting the addresses.
    assert len(differences) == 1 and differences[0]['banned'] == 600
    assert differences[0]['about'] == 'other software chain INPUT (ip filter): 600 addresses banned'
    sources = set(prefix for d in differences for prefix in d['sources'])
    assert sources == {'100.64.0.0/25', '100.64.0.128/26', '100.64.0.192/29', '100.64.1.0/25', '100.64.1.128/26',
                       '100.64.1.192/29', '100.64.2.0/25', '100.64.2.128/26', '100.64.2.192/29'}


def test_ct_state_in_ingress_is_invalid_and_at_conntracks_own_priority_unknown():
    invalid = [match({'ct': {'key': 'state'}}, 'invalid'), tcp(25), DROP]
    edge = table('netdev', 'edge', {'in': ('ingress', 0, 'accept', 'filter', [invalid])})
    edge[1]['chain']['dev'] = 'eth0'
    assert {(d['kind'], d['port'], d['table']) for d in check(edge)} == {
        ('blocked', '25', 'netdev edge')}
    tie = table('inet', 'tie', {'pre': ('prerouting', -200, 'accept', 'filter', [invalid])})
    assert {(d['kind'], d['port'], d['table']) for d in check(tie)} == {('unknown', '25', 'inet tie')}
