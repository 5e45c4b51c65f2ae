"""The ufw rendering of a policy, ufw's user.rules read back, and the add/delete plan between them."""

import binascii

from ansible_collections.bluemind.firewall.plugins.module_utils import ufw_view
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import build_policy

PEERS = {'mx1': ['192.0.2.10', '2001:db8::10'], 'mx2': ['192.0.2.11']}


def policy(port_table, **settings):
    return build_policy(port_table, settings, {'group': 'bluemind', 'hosts': PEERS})


def slots(ports):
    return sum(2 if ':' in item else 1 for item in ports.split(','))


def test_port_groups_hold_at_most_15_slots_a_range_taking_two():
    groups = ufw_view.port_groups([(p, p) for p in range(1, 14)] + [(100, 110), (200, 200)])
    assert groups == ['1,2,3,4,5,6,7,8,9,10,11,12,13,100:110', '200']
    assert ufw_view.port_groups([(p, p) for p in range(1, 16)]) == [','.join(str(p) for p in range(1, 16))]
    assert len(ufw_view.port_groups([(p, p) for p in range(1, 17)])) == 2


def test_the_default_policy_as_ufw_rules(port_table):
    rules = ufw_view.ufw_rules(policy(port_table, backend='ufw'))
    # SSH open to everyone is limited (ufw's limit), the cluster let in before the limit.
    assert rules[:5] == [
        {'proto': 'tcp', 'ports': '22', 'source': source, 'comment': 'bluemind-firewall never limited'}
        for source in ('192.0.2.10', '192.0.2.11', '2001:db8::10')] + [
        {'action': 'limit', 'proto': 'tcp', 'ports': '22', 'source': 'any', 'comment': 'bluemind-firewall limited'},
        {'proto': 'tcp', 'ports': '25,443', 'source': 'any', 'comment': 'bluemind-firewall everyone'}]
    cluster = rules[5:]
    assert {rule['source'] for rule in cluster} == {'192.0.2.10', '192.0.2.11', '2001:db8::10'}
    assert all(rule['comment'] == 'bluemind-firewall cluster' and slots(rule['ports']) <= 15 for rule in cluster)
    internal = set()
    for rule in cluster:
        if rule['source'] == '192.0.2.10':
            internal.update(rule['ports'].split(','))
    expected = set()
    for entry in port_table:
        if entry['class'] == 'internal' and 4 in entry['versions']:
            expected.add(str(entry['port']).replace('-', ':'))
    assert internal == expected


def test_bluemind_5_opens_its_own_internal_ports_and_never_its_local_ones(port_table):
    rules = ufw_view.ufw_rules(policy(port_table, bluemind_version=5))
    internal = set()
    for rule in rules:
        if rule['source'] == '192.0.2.10' and rule['comment'] == 'bluemind-firewall cluster':
            internal.update(rule['ports'].split(','))
    expected = set(str(entry['port']).replace('-', ':') for entry in port_table
                   if entry['class'] == 'internal' and 5 in entry['versions'])
    local = set(str(entry['port']) for entry in port_table if entry['class'] == 'local')
    assert internal == expected and local and not local & internal
    # Keycloak is there, Cyrus's LMTP is not.
    assert '8099' in internal and '24' not in internal


def test_restricted_admin_sources_public_false_and_udp_extras(port_table):
    rules = ufw_view.ufw_rules(policy(port_table, admin_sources=['198.51.100.0/24'], public=False,
                                      extra_internal_ports=[{'port': '7000-7010', 'proto': 'udp', 'name': 'b'}]))
    assert rules[0] == {'proto': 'tcp', 'ports': '22', 'source': '198.51.100.0/24', 'comment': 'bluemind-firewall ssh'}
    assert not [rule for rule in rules if rule['source'] == 'any']
    udp = [rule for rule in rules if rule['proto'] == 'udp']
    assert [(rule['source'], rule['ports']) for rule in udp] == [
        ('192.0.2.10', '7000:7010'), ('192.0.2.11', '7000:7010'), ('2001:db8::10', '7000:7010')]


def tuple_line(action, proto, ports, destination, source, comment=None):
    line = '### tuple ### %s %s %s %s any %s in' % (action, proto, ports, destination, source)
    if comment:
        line += ' comment=' + binascii.hexlify(comment.encode()).decode()
    return line


def test_user_rules_are_read_and_only_marked_ones_are_ours():
    text = '\n'.join([
        '*filter', '### RULES ###',
        tuple_line('allow', 'tcp', '25,443', '0.0.0.0/0', '0.0.0.0/0', 'bluemind-firewall everyone'),
        '-A ufw-user-input -p tcp -m multiport --dports 25,443 -j ACCEPT',
        tuple_line('allow', 'tcp', '3306', '0.0.0.0/0', '10.1.0.0/16', 'monitoring, by hand'),
        tuple_line('deny', 'any', 'any', '0.0.0.0/0', '203.0.113.5'),
        '### END RULES ###'])
    rules = ufw_view.parse_user_rules(text, 'ipv4')
    assert [(r['ports'], r['source'], r['ours']) for r in rules] == [
        ('25,443', '0.0.0.0/0', True), ('3306', '10.1.0.0/16', False), ('any', '203.0.113.5', False)]
    assert rules[1]['comment'] == 'monitoring, by hand'


def recorded(ports, source, family='ipv4', comment='bluemind-firewall everyone', destination=None):
    return {'family': family, 'action': 'allow', 'proto': 'tcp', 'ports': ports, 'source': source,
            'destination': destination or ('0.0.0.0/0' if family == 'ipv4' else '::/0'), 'source_ports': 'any',
            'direction': 'in', 'comment': comment, 'ours': comment.startswith('bluemind-firewall')}


def test_plan_adds_what_is_missing_deletes_what_is_ours_and_unwanted_and_leaves_the_rest():
    wanted = [{'proto': 'tcp', 'ports': '25,443', 'source': 'any', 'comment': 'bluemind-firewall everyone'},
              {'proto': 'tcp', 'ports': '24', 'source': '192.0.2.11', 'comment': 'bluemind-firewall cluster'}]
    current = [recorded('25,443', '0.0.0.0/0'), recorded('25,443', '::/0', 'ipv6'),
               recorded('24,1110', '192.0.2.11', comment='bluemind-firewall cluster'),
               recorded('3306', '0.0.0.0/0', comment='by hand')]
    add, delete = ufw_view.plan(wanted, current)
    assert add == [wanted[1]]
    assert [(r['ports'], r['source']) for r in delete] == [('24,1110', '192.0.2.11')]
    assert ufw_view.delete_command(delete[0]) == ['delete', 'allow', 'proto', 'tcp', 'from', '192.0.2.11', 'to',
                                                  '0.0.0.0/0', 'port', '24,1110']
    # A rule for both families with one twin missing is added again (ufw skips the existing twin).
    add, delete = ufw_view.plan(wanted[:1], current[:1])
    assert add == wanted[:1] and delete == []
    # Nothing to do when ufw holds exactly the wanted rules, whatever the port order ufw wrote.
    assert ufw_view.plan(wanted[:1], [recorded('443,25', '0.0.0.0/0'), recorded('25,443', '::/0', 'ipv6')]) == ([], [])


def test_a_marked_rule_edited_by_hand_is_replaced():
    wanted = [{'proto': 'tcp', 'ports': '25', 'source': 'any', 'comment': 'bluemind-firewall everyone'}]
    edited = [recorded('25', '0.0.0.0/0', destination='192.0.2.10'), recorded('25', '::/0', 'ipv6')]
    add, delete = ufw_view.plan(wanted, edited)
    assert add == wanted and [r['destination'] for r in delete] == ['192.0.2.10']


def test_commands_and_listing():
    rule = {'proto': 'tcp', 'ports': '24,5701:5715', 'source': '192.0.2.11', 'comment': 'bluemind-firewall cluster'}
    assert ufw_view.add_command(rule) == ['allow', 'proto', 'tcp', 'from', '192.0.2.11', 'to', 'any', 'port',
                                          '24,5701:5715', 'comment', 'bluemind-firewall cluster']
    assert ufw_view.command_text(ufw_view.add_command(rule)).endswith("comment 'bluemind-firewall cluster'")
    assert ufw_view.listing([recorded('25', '0.0.0.0/0'), recorded('25', '::/0', 'ipv6')]) == [
        "ufw allow proto tcp to any port 25 comment 'bluemind-firewall everyone'"]


def test_rollback_commands_take_back_an_add_per_family_and_re_add_a_deleted_rule():
    from ansible_collections.bluemind.firewall.plugins.module_utils.ufw_view import (
        numbers, readd_command, undo_add_commands)
    added = {'proto': 'tcp', 'ports': '443,25', 'source': 'any', 'comment': 'bluemind-firewall everyone'}
    assert undo_add_commands(added) == [
        ['delete', 'allow', 'proto', 'tcp', 'from', '0.0.0.0/0', 'to', '0.0.0.0/0', 'port', '25,443'],
        ['delete', 'allow', 'proto', 'tcp', 'from', '::/0', 'to', '::/0', 'port', '25,443']]
    deleted = {'family': 'ipv4', 'action': 'allow', 'proto': 'tcp', 'ports': '22', 'destination': '0.0.0.0/0',
               'source_ports': 'any', 'source': '10.0.0.0/8', 'direction': 'in', 'comment': 'bluemind-firewall admin'}
    assert readd_command(deleted) == ['allow', 'proto', 'tcp', 'from', '10.0.0.0/8', 'to', '0.0.0.0/0', 'port', '22',
                                      'comment', 'bluemind-firewall admin']
    assert readd_command(deleted, 3)[:3] == ['insert', '3', 'allow']
    v4, v6 = dict(deleted), dict(deleted, family='ipv6')
    assert numbers([v4, v4, v6, v4, v6]) == [1, 2, 4, 3, 5]


def test_an_administrators_identical_rule_stands_for_ours_and_is_never_taken_over():
    ssh = {'proto': 'tcp', 'ports': '22', 'source': 'any', 'comment': 'bluemind-firewall ssh'}
    smtp = {'proto': 'tcp', 'ports': '25,443', 'source': 'any', 'comment': 'bluemind-firewall everyone'}
    # `ufw allow 22/tcp` and `ufw allow 25/tcp` by hand, both families.
    by_hand = [recorded(ports, source, family, comment='') for ports in ('22', '25')
               for source, family in (('0.0.0.0/0', 'ipv4'), ('::/0', 'ipv6'))]
    add, delete = ufw_view.plan([ssh, smtp], by_hand)
    assert add == [smtp] and delete == []
    # Covered in one family only: ours is added for the other family alone, with its source written out.
    add, delete = ufw_view.plan([ssh], by_hand[:1])
    assert add == [dict(ssh, source='::/0')] and delete == []
    assert ufw_view.add_command(add[0])[:5] == ['allow', 'proto', 'tcp', 'from', '::/0']
    assert ufw_view.undo_add_commands(add[0]) == [['delete', 'allow', 'proto', 'tcp', 'from', '::/0', 'to', '::/0',
                                                   'port', '22']]


def test_an_administrators_rule_on_every_port_is_left_alone_and_planned_around():
    everyone = {'proto': 'tcp', 'ports': '25,443', 'source': 'any', 'comment': 'bluemind-firewall everyone'}
    # `ufw insert 1 allow from 198.18.0.0/15`: every protocol and port, recorded as "any".
    by_hand = [dict(recorded('any', '198.18.0.0/15', comment=''), proto='any')]
    assert ufw_view.plan([everyone], by_hand) == ([everyone], [])
