"""The evaluator on small hand-written rulesets: one construct per test, in nft JSON and iptables-save."""

import pytest

from ansible_collections.bluemind.firewall.plugins.module_utils import iptables_save, nft_json, verification
from ansible_collections.bluemind.firewall.plugins.module_utils import packet_space as space
from ansible_collections.bluemind.firewall.plugins.module_utils.ruleset import Evaluator, Host, Packet

PEER = '10.0.0.2'
STRANGER = '203.0.113.9'


def tcp(port):
    return {'match': {'op': '==', 'left': {'payload': {'protocol': 'tcp', 'field': 'dport'}}, 'right': port}}


def saddr(right, family='ip', op='=='):
    return {'match': {'op': op, 'left': {'payload': {'protocol': family, 'field': 'saddr'}}, 'right': right}}


ACCEPT = {'accept': None}
DROP = {'drop': None}


def ruleset(*tables):
    """tables: (family, name, {chain: (hook or None, priority, policy, [rule expressions])}, {set: elements})"""
    items = []
    for family, name, chains, sets in tables:
        items.append({'table': {'family': family, 'name': name}})
        for set_name, elements in (sets or {}).items():
            items.append({'set': {'family': family, 'table': name, 'name': set_name, 'elem': elements}})
        for chain, (hook, priority, policy, rules) in chains.items():
            body = {'family': family, 'table': name, 'name': chain}
            if hook:
                body.update({'type': 'nat' if hook == 'prerouting' and policy == 'nat' else 'filter', 'hook': hook,
                             'prio': priority, 'policy': 'accept' if policy == 'nat' else policy})
            items.append({'chain': body})
            for handle, expr in enumerate(rules, 1):
                items.append({'rule': {'family': family, 'table': name, 'chain': chain, 'handle': handle,
                                       'expr': expr}})
    return {'nftables': items}


def verdict(document, port=25, source=STRANGER, family='ipv4', proto='tcp', iif='eth0', iptables=''):
    tables = verification.live_tables(document, iptables)
    packet = Packet(family, proto, port, source, '10.0.0.1' if family == 'ipv4' else 'fd00::1', iif)
    return Evaluator(tables, family).decide(packet)


def input_chain(rules, policy='drop', priority=0):
    return {'input': ('input', priority, policy, rules)}


def test_no_chain_accepts_and_says_so():
    decision = verdict(ruleset())
    assert decision.verdict == 'open'
    assert decision.report()['table'] is None


def test_a_drop_in_any_table_closes_even_after_an_accept_elsewhere():
    document = ruleset(('inet', 'a', input_chain([[tcp(25), ACCEPT]], 'drop', 0), None),
                       ('inet', 'b', input_chain([[tcp(25), DROP]], 'accept', 10), None))
    decision = verdict(document)
    assert (decision.verdict, decision.report()['table'], decision.report()['position']) == ('closed', 'inet b', 'handle 1')
    assert verdict(document, port=26).verdict == 'closed'
    assert verdict(document, port=26).report()['rule'] == 'policy drop'


def test_an_early_prerouting_drop_closes_before_input():
    document = ruleset(('inet', 'raw', {'pre': ('prerouting', -300, 'accept', [[tcp(25), DROP]])}, None),
                       ('inet', 'f', input_chain([[tcp(25), ACCEPT]]), None))
    assert verdict(document).verdict == 'closed'


def test_jump_return_and_goto():
    document = ruleset(('inet', 't', {
        'input': ('input', 0, 'drop', [[{'jump': {'target': 'check'}}], [tcp(25), ACCEPT],
                                       [tcp(26), {'goto': {'target': 'gone'}}], [tcp(26), ACCEPT]]),
        'check': (None, 0, None, [[tcp(24), DROP], [{'return': None}], [tcp(25), DROP]]),
        'gone': (None, 0, None, []),
    }, None))
    assert verdict(document, port=25).verdict == 'open'       # returned before the drop of 25
    assert verdict(document, port=24).verdict == 'closed'
    # goto: the end of "gone" returns from input itself, so its policy applies, not the later accept.
    assert verdict(document, port=26).verdict == 'closed'
    assert verdict(document, port=26).report()['rule'] == 'policy drop'


def test_sets_ranges_prefixes_and_negation():
    sets = {'peers': ['10.0.0.2', {'prefix': {'addr': '192.0.2.0', 'len': 24}}, {'range': ['198.51.100.1', '198.51.100.9']}],
            'ports': [{'range': [5701, 5715]}, 24]}
    rules = [[saddr('@peers'), {'match': {'op': '==', 'left': {'payload': {'protocol': 'tcp', 'field': 'dport'}},
                                          'right': '@ports'}}, ACCEPT],
             [tcp({'set': [25, {'range': [465, 466]}]}), ACCEPT],
             [saddr({'prefix': {'addr': '203.0.113.0', 'len': 24}}, op='!='), tcp(443), ACCEPT]]
    document = ruleset(('inet', 't', input_chain(rules), sets))
    assert verdict(document, 5710, PEER).verdict == 'open'
    assert verdict(document, 5716, PEER).verdict == 'closed'
    assert verdict(document, 24, '192.0.2.200').verdict == 'open'
    assert verdict(document, 24, '198.51.100.5').verdict == 'open'
    assert verdict(document, 24, '198.51.100.10').verdict == 'closed'
    assert verdict(document, 24, STRANGER).verdict == 'closed'
    assert verdict(document, 466).verdict == 'open'
    assert verdict(document, 443, STRANGER).verdict == 'closed'
    assert verdict(document, 443, PEER).verdict == 'open'
    # An ip saddr match never matches IPv6 packets; a tcp match never matches UDP.
    assert verdict(document, 5710, 'fd00::2', family='ipv6').verdict == 'closed'
    assert verdict(document, 25, proto='udp').verdict == 'closed'


def test_conntrack_state_loopback_and_reject():
    rules = [[{'match': {'op': 'in', 'left': {'ct': {'key': 'state'}}, 'right': ['established', 'related']}}, ACCEPT],
             [{'match': {'op': '==', 'left': {'meta': {'key': 'iif'}}, 'right': 'lo'}}, ACCEPT],
             [{'match': {'op': 'in', 'left': {'ct': {'key': 'state'}}, 'right': 'new'}}, tcp(25), {'reject': None}]]
    document = ruleset(('inet', 't', input_chain(rules, 'accept'), None))
    assert verdict(document, 25).verdict == 'closed'
    assert verdict(document, 25).report()['rule'].endswith('reject')
    assert verdict(document, 26).verdict == 'open'
    # Loopback traffic is never judged: lo is not among the interfaces packets are evaluated on.
    assert 'lo' not in Evaluator(verification.live_tables(document), 'ipv4').interfaces


def test_a_rate_limit_is_read_as_not_exceeded_and_its_over_form_never_matches():
    limit = {'limit': {'rate': 5, 'per': 'second'}}
    document = ruleset(('inet', 't', input_chain([[tcp(25), limit, ACCEPT]]), None))
    decision = verdict(document)
    assert decision.verdict == 'open'
    assert decision.report()['position'] == 'handle 1'
    over = {'limit': {'rate': 5, 'per': 'second', 'inv': True}}
    flood_guard = ruleset(('inet', 't', input_chain([[tcp(25), over, DROP]], 'accept'), None))
    assert verdict(flood_guard).verdict == 'open'
    meter = {'meter': {'name': 'ping', 'key': {'payload': {'protocol': 'ip', 'field': 'saddr'}},
                       'stmt': {'limit': {'rate': 1, 'per': 'second', 'inv': True}}}}
    assert verdict(ruleset(('inet', 't', input_chain([[tcp(25), meter, DROP]], 'accept'), None))).verdict == 'open'


def test_a_mark_is_unknown_unless_every_path_agrees():
    mark = {'match': {'op': '==', 'left': {'meta': {'key': 'mark'}}, 'right': 1}}
    document = ruleset(('inet', 't', input_chain([[tcp(25), mark, ACCEPT]]), None))
    decision = verdict(document)
    assert decision.verdict == 'unknown'
    assert decision.report()['position'] == 'handle 1'
    agreeing = ruleset(('inet', 't', input_chain([[tcp(25), mark, ACCEPT], [tcp(25), ACCEPT]]), None))
    assert verdict(agreeing).verdict == 'open'
    # A definite drop later in the path closes the port whatever the uncertain rule did.
    closed = ruleset(('inet', 't', input_chain([[tcp(25), mark, DROP]], 'accept'), None),
                     ('inet', 'u', input_chain([[tcp(25), DROP]], 'accept', 5), None))
    assert verdict(closed).verdict == 'closed'


def test_interface_names_and_wildcards():
    rules = [[{'match': {'op': '==', 'left': {'meta': {'key': 'iifname'}}, 'right': 'eth1'}}, tcp(25), ACCEPT],
             [{'match': {'op': '==', 'left': {'meta': {'key': 'iifname'}}, 'right': 'wg*'}}, tcp(26), ACCEPT]]
    document = ruleset(('inet', 't', input_chain(rules), None))
    assert verdict(document, iif='eth1').verdict == 'open'
    assert verdict(document, iif='eth0').verdict == 'closed'
    # An interface no rule names: one representative stands for all of them.
    assert verdict(document, iif=None).verdict == 'closed'
    assert verdict(document, 26, iif='wg*').verdict == 'open'
    assert verdict(document, 26, iif='eth1').verdict == 'closed'
    evaluator = Evaluator(verification.live_tables(document), 'ipv4', Host(links=['wg0', 'eth0']))
    assert evaluator.interfaces == ['eth1', 'wg0', 'wg*', '']
    assert verdict({}, iif=None, iptables='*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n').verdict == 'closed'


def test_verdict_maps():
    vmap = {'vmap': {'key': {'payload': {'protocol': 'tcp', 'field': 'dport'}},
                     'data': {'set': [[25, ACCEPT], [{'range': [80, 81]}, {'jump': {'target': 'web'}}]]}}}
    document = ruleset(('inet', 't', {'input': ('input', 0, 'drop', [[vmap]]),
                                      'web': (None, 0, None, [[saddr(PEER), ACCEPT]])}, None))
    assert verdict(document, 25).verdict == 'open'
    assert verdict(document, 81, PEER).verdict == 'open'
    assert verdict(document, 81, STRANGER).verdict == 'closed'
    assert verdict(document, 82).verdict == 'closed'


def test_unknown_expressions_and_statements_give_unknown():
    xt = [tcp(25), {'xt': {'type': 'match', 'name': 'recent'}}, DROP]
    document = ruleset(('ip', 'filter', input_chain([xt], 'accept'), None))
    assert verdict(document).verdict == 'unknown'
    assert verdict(document, 26).verdict == 'open'
    queued = ruleset(('inet', 't', input_chain([[tcp(25), {'queue': {'num': 1}}]], 'accept'), None))
    assert verdict(queued).verdict == 'unknown'


def test_a_dnat_is_followed_through_the_forward_hook():
    dnat = [tcp(8080), {'dnat': {'addr': '172.17.0.2', 'port': 80}}]
    document = ruleset(('ip', 'nat', {'pre': ('prerouting', -100, 'nat', [dnat])}, None),
                       ('inet', 't', input_chain([]), None))
    decision = verdict(document, 8080)
    assert decision.verdict == 'open'
    assert decision.report()['rule'] == 'tcp dport 8080 dnat to 172.17.0.2:80'
    assert verdict(document, 8081).verdict == 'closed'
    guarded = ruleset(('ip', 'nat', {'pre': ('prerouting', -100, 'nat', [dnat])}, None),
                      ('inet', 't', {'forward': ('forward', 0, 'drop', [[tcp(81), ACCEPT]])}, None))
    assert verdict(guarded, 8080).verdict == 'closed'
    # A redirect to the host itself is evaluated again on input, with its new port.
    redirect = [tcp(2525), {'redirect': {'port': 25}}]
    local = ruleset(('ip', 'nat', {'pre': ('prerouting', -100, 'nat', [redirect])}, None),
                    ('inet', 't', input_chain([[tcp(25), ACCEPT]]), None))
    assert verdict(local, 2525).verdict == 'open'
    assert verdict(local, 2526).verdict == 'closed'


def test_ip_tables_do_not_touch_ipv6_and_inet_tables_touch_both():
    document = ruleset(('ip', 'v4', input_chain([[tcp(25), ACCEPT]]), None))
    assert verdict(document, family='ipv4').verdict == 'open'
    assert verdict(document, source='fd00::9', family='ipv6').verdict == 'open'   # no ip6 chain at all
    both = ruleset(('inet', 't', input_chain([]), None))
    assert verdict(both, source='fd00::9', family='ipv6').verdict == 'closed'


IPTABLES = '''*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:DOCKER-USER - [0:0]
:checks - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m rt --rt-type 0 -j DROP
-A INPUT -m addrtype --dst-type BROADCAST -j DROP
-A INPUT -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP
-A INPUT -j DOCKER-USER
-A INPUT -g checks
-A DOCKER-USER ! -s 10.0.0.0/24 -p tcp -m multiport --dports 5432,9200:9300 -j DROP
-A DOCKER-USER -m comment --comment "log only" -j LOG --log-prefix "[x] "
-A DOCKER-USER -j RETURN
-A checks -p tcp -m tcp --dport 25 -j ACCEPT
-A checks -p tcp -m recent --update --seconds 60 -j DROP
-A checks -p tcp -m tcp --dport 465 -j MYSTERY
-A checks -p udp -m udp --dport 53 -j ACCEPT
-A checks -m iprange --src-range 10.0.0.2-10.0.0.5 -j ACCEPT
COMMIT
'''


@pytest.mark.parametrize('port,source,proto,expected', [
    (25, STRANGER, 'tcp', 'open'),
    (5432, STRANGER, 'tcp', 'closed'),        # DOCKER-USER drops non-local sources
    (9250, STRANGER, 'tcp', 'closed'),        # multiport range
    (5432, PEER, 'tcp', 'unknown'),           # the recent match decides: unknown
    (53, PEER, 'udp', 'open'),
    (54, STRANGER, 'udp', 'closed'),
    (9999, '10.0.0.3', 'udp', 'open'),         # iprange
    (9999, '10.0.0.6', 'udp', 'closed'),        # falls off the goto'd chain: INPUT's policy
])
def test_iptables_save_rules(port, source, proto, expected):
    assert verdict({}, port, source, proto=proto, iptables=IPTABLES).verdict == expected


def test_iptables_unknown_target_is_unknown():
    decision = verdict({}, 465, '10.0.0.6', iptables=IPTABLES.replace('-m recent --update --seconds 60 ', '-m tcp --dport 1 '))
    assert decision.verdict == 'unknown'
    assert decision.report()['rule'] == '-A checks -p tcp -m tcp --dport 465 -j MYSTERY'
    assert decision.report()['position'] == 'rule 3'


def test_iptables_tables_replace_their_opaque_nft_twin():
    opaque = ruleset(('ip', 'filter', input_chain([[{'xt': {'type': 'match', 'name': 'conntrack'}}, DROP]], 'accept'), None))
    assert verdict(opaque).verdict == 'unknown'
    readable = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n'
    assert verdict(opaque, iptables=readable).verdict == 'open'
    incompatible = "# Table `filter' is incompatible, use 'nft' tool.\n"
    assert iptables_save.incompatible_tables(incompatible) == ['filter']
    assert verdict(opaque, iptables=incompatible).verdict == 'unknown'


def test_nft_rule_text_reads_like_nft():
    item = {'expr': [saddr('@peers'), tcp({'set': [25, {'range': [465, 466]}]}), {'counter': {'packets': 1}}, ACCEPT],
            'comment': 'mail'}
    assert nft_json.rule_text(item) == 'ip saddr @peers tcp dport { 25, 465-466 } accept comment "mail"'


def test_sources_the_rules_cannot_tell_apart_share_one_box():
    sets = {'peers': ['10.0.0.2', '10.0.0.3']}
    document = ruleset(('inet', 't', input_chain([[saddr('@peers'), tcp(24), ACCEPT]]), sets))
    evaluator = Evaluator(verification.live_tables(document), 'ipv4')
    full = [space.full_range(dim, 4, len(evaluator.interfaces)) for dim in range(len(space.DIMENSIONS))]
    full[space.PROTO] = space.single(6)
    full[space.CT] = space.single(space.CT_NEW)
    finals = evaluator.evaluate([tuple(full)])
    opened = [item.box for item in finals if item.verdict == 'open']
    assert [(box[space.SADDR], box[space.DPORT]) for box in opened] == [
        (((0x0a000002, 0x0a000003),), ((24, 24),))]
    by_source = {'vmap': {'key': {'payload': {'protocol': 'ip', 'field': 'saddr'}},
                          'data': {'set': [['10.0.0.2', ACCEPT]]}}}
    assert verdict(ruleset(('inet', 't', input_chain([[by_source]]), None)), source='10.0.0.2').verdict == 'open'
    assert verdict(ruleset(('inet', 't', input_chain([[by_source]]), None)), source='10.0.0.3').verdict == 'closed'
