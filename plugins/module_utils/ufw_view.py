# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ufw rules of a policy, and ufw's own record of its rules (the tuples of user.rules).

ufw has no sets: an audience restricted to some sources needs one rule per source network, so the
rule count grows with the peers. Ports are packed into multiport rules of at most 15 ports, a range
counting as two, which is iptables' multiport limit and ufw's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import ipaddress
import shlex

from ansible_collections.bluemind.firewall.plugins.module_utils import exposure
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (
    ADMIN, ANY_IPV4, ANY_IPV6, CALLERS_PREFIX, CLUSTER, EVERYONE, PROTOCOLS, comment_text, merged_port_ranges)

# Every rule the collection adds carries a comment starting with this; the others are left alone.
MARK = 'bluemind-firewall'
MULTIPORT_SLOTS = 15
ANY = 'any'
_ANY = {'ipv4': ANY_IPV4, 'ipv6': ANY_IPV6}


def port_groups(ranges):
    """ufw port lists ('10050,10060:10070') of at most 15 slots, a range taking two."""
    groups = []
    current = []
    used = 0
    for first, last in ranges:
        slots = 1 if first == last else 2
        if used + slots > MULTIPORT_SLOTS:
            groups.append(current)
            current, used = [], 0
        current.append(str(first) if first == last else '%d:%d' % (first, last))
        used += slots
    if current:
        groups.append(current)
    return [','.join(group) for group in groups]


def _sources(networks):
    """ufw sources for per-family network lists: 'any' when both families are open to all."""
    if networks['ipv4'] == [ANY_IPV4] and networks['ipv6'] == [ANY_IPV6]:
        return [ANY]
    return [item for family in ('ipv4', 'ipv6') for item in networks[family]]


def _extra_rules(policy):
    """ufw rules for bluemind_firewall_extra_rules: one per source network, destination and port group."""
    rules = []
    for rule in policy.get('rules') or []:
        if rule['allow'] == EVERYONE:
            networks = {'ipv4': [ANY_IPV4], 'ipv6': [ANY_IPV6]}
        else:
            networks = policy['sources'][rule['allow']]
        families = rule['families']
        destinations = rule['destinations'] or {'ipv4': [ANY_IPV4], 'ipv6': [ANY_IPV6]}
        ports = port_groups([tuple(pair) for pair in rule['ports']]) or [ANY]
        for family in families:
            for destination in destinations[family]:
                for source in networks[family]:
                    for group in ports:
                        rules.append({'proto': rule['protocol_name'], 'ports': group, 'source': source,
                                      'destination': destination, 'interface': rule['interface'],
                                      'comment': _comment('%s extra: %s' % (MARK, rule['comment']))})
    return rules


def _comment(words):
    """The nftables backend's sanitizer: in roles mode the comment names inventory hosts. Not cut short:
    ufw keeps it hex-encoded in its own files, and a shorter one would rewrite the off switch of every
    host whose comment was long."""
    return comment_text(words, None)


def ufw_rules(policy):
    """[{'proto', 'ports', 'source', 'comment'[, 'destination', 'interface']}]: the rules ufw must
    hold for this policy, in order."""
    rules = []
    ssh = str(policy['ssh_port'])
    # A limited port open to everyone: ufw's own `limit` (its fixed rate, which the policy checked),
    # after the allow rules of who is never limited (ufw takes the first rule that matches).
    limited = [p for p in policy['ports'] if p.get('exposure') == exposure.LIMITED and p['proto'] == 'tcp'
               and (p['allow'] == EVERYONE or (p['allow'] == ADMIN and _sources(policy['sources'][ADMIN]) == [ANY]))]
    if limited:
        groups = port_groups(merged_port_ranges(limited))
        for source in _sources(policy['sources'][CLUSTER]):
            for ports in groups:
                rules.append({'proto': 'tcp', 'ports': ports, 'source': source,
                              'comment': '%s never limited' % MARK})
        for source in _sources(policy['sources'].get(exposure.CONTROLLER) or {'ipv4': [], 'ipv6': []}):
            rules.append({'proto': 'tcp', 'ports': ssh, 'source': source, 'comment': '%s never limited' % MARK})
        for ports in groups:
            rules.append({'action': 'limit', 'proto': 'tcp', 'ports': ports, 'source': ANY,
                          'comment': '%s limited' % MARK})
    if not any(p['service'] == 'ssh' for p in limited):
        for source in _sources(policy['sources'][ADMIN]):
            rules.append({'proto': 'tcp', 'ports': ssh, 'source': source, 'comment': '%s ssh' % MARK})
    # Roles mode: one audience per set of callers that the flows admit, named by those hosts; a
    # private service, one per service (its sources and the cluster).
    callers = sorted(set(p['allow'] for p in policy['ports'] if p['allow'].startswith(CALLERS_PREFIX)))
    callers += sorted(set(p['allow'] for p in policy['ports'] if p['allow'].startswith(exposure.PRIVATE_PREFIX)))
    for audience in [EVERYONE, CLUSTER] + callers:
        sources = [ANY] if audience == EVERYONE else _sources(policy['sources'][audience])
        for proto in PROTOCOLS:
            ranges = merged_port_ranges(p for p in policy['ports'] if p['allow'] == audience and p['proto'] == proto
                                        and p not in limited)
            for source in sources:
                for ports in port_groups(ranges):
                    rules.append({'proto': proto, 'ports': ports, 'source': source,
                                  'comment': _comment('%s %s' % (MARK, audience))})
    return rules + _extra_rules(policy)


def _canonical_ports(text):
    """ufw's port list in one order; "any" (a rule on every port, made by hand) as it is."""
    items = text.split(',')
    if not all(item.split(':')[0].isdigit() for item in items):
        return text
    return ','.join(sorted(items, key=lambda item: int(item.split(':')[0])))


def _direction(rule):
    return 'in_%s' % rule['interface'] if rule.get('interface') else 'in'


def rule_keys(rule):
    """The (family, proto, ports, source, destination, direction) keys ufw records for a wanted
    rule: both families when source and destination are both 'any' (or everything)."""
    source, destination = rule['source'], rule.get('destination') or ANY
    found = []
    for family in ('ipv4', 'ipv6'):
        ends = []
        for end in (source, destination):
            if end in (ANY, _ANY[family]):
                ends.append(_ANY[family])
                continue
            network = ipaddress.ip_network(end, strict=False)
            ends.append(_network_text(network) if network.version == int(family[-1]) else None)
        if None not in ends:
            found.append((family, rule['proto'], _canonical_ports(rule['ports']), ends[0], ends[1], _direction(rule)))
    return found


def _network_text(network):
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def parse_user_rules(text, family):
    """The rules of ufw's user.rules / user6.rules, from their '### tuple ###' lines."""
    rules = []
    for line in (text or '').splitlines():
        if not line.startswith('### tuple ### '):
            continue
        fields = line[len('### tuple ### '):].split()
        comment = ''
        if fields and fields[-1].startswith('comment='):
            try:
                comment = binascii.unhexlify(fields.pop()[len('comment='):]).decode('utf-8', 'replace')
            except (binascii.Error, ValueError):
                comment = ''
        if len(fields) < 7:
            continue
        action, proto, dport, dest, sport, source, direction = fields[:7]
        rules.append({'family': family, 'action': action, 'proto': proto, 'ports': dport, 'destination': dest,
                      'source_ports': sport, 'source': source, 'direction': direction, 'comment': comment,
                      'ours': comment.startswith(MARK)})
    return rules


def current_key(rule):
    return (rule['family'], rule['proto'], _canonical_ports(rule['ports']), rule['source'], rule['destination'],
            rule['direction'])


def _action(rule):
    """allow, or limit for a limited port (ufw's own rate)."""
    return rule.get('action') or 'allow'


def _is_simple_allow(rule):
    """An allow (or limit) ufw records as one of the collection's could be: inbound, no source port."""
    return (rule['action'] in ('allow', 'limit') and rule['direction'].split('_')[0] == 'in'
            and rule['source_ports'] == 'any')


def _admin_matches(current):
    """{match: rule} of the administrator's own allow and limit rules."""
    return dict((current_key(rule), rule) for rule in current if not rule['ours'] and _is_simple_allow(rule))


def overridden(wanted, current):
    """Warnings for the wanted limits (or allows) whose match an administrator's allow (or limit) holds:
    ufw keeps one rule a match, and the administrator's stands, so the port goes without the
    collection's action."""
    admins = _admin_matches(current)
    found = []
    for rule in wanted:
        for key in rule_keys(rule):
            admin = admins.get(key)
            if admin is None or _action(admin) == _action(rule):
                continue
            text = ('ufw holds a rule that is not the collection\'s, "%s %s/%s" from %s, with the match of the '
                    'collection\'s %s rule (%s): ufw keeps one rule a match, so that rule stands and the port goes '
                    'without the collection\'s %s. Delete it to let the collection %s the port.' % (
                        _action(admin), admin['ports'], admin['proto'], admin['source'], _action(rule),
                        rule['comment'], _action(rule), _action(rule)))
            if text not in found:
                found.append(text)
    return found


def plan(wanted, current):
    """(rules to add, rules to delete) so that ufw holds exactly the wanted rules among its marked ones.

    A marked rule of another shape (edited by hand) is deleted and the wanted one added again. An
    administrator's own allow or limit with the match of a wanted rule (ufw compares rules without
    their comment, and keeps one rule a match: a limit for an allow would update it) stands for it:
    adding ours would make ufw put our mark (and our action) on the administrator's rule, which a later
    change or a rollback would then delete. Where it covers one family only, ours is added for the
    other family alone."""
    # Ours keyed with their action: an allow that becomes a limit (or back) is deleted and added again.
    present = set(current_key(rule) + (_action(rule),) for rule in current if rule['ours'] and _is_simple_allow(rule))
    admins = _admin_matches(current)
    add = []
    for rule in wanted:
        missing = [key for key in rule_keys(rule) if key + (_action(rule),) not in present]
        if not missing:
            continue
        if not any(key in admins for key in missing):
            add.append(rule)
            continue
        add.extend(dict(rule, source=key[3]) for key in missing if key not in admins)
    wanted_keys = set(key + (_action(rule),) for rule in wanted for key in rule_keys(rule))
    delete = [rule for rule in current if rule['ours'] and not (
        _is_simple_allow(rule) and current_key(rule) + (_action(rule),) in wanted_keys)]
    return add, delete


def _interface_words(direction):
    """ufw's words for a recorded direction: 'in', or 'in_eth1' for 'in on eth1'."""
    if '_' in direction:
        way, interface = direction.split('_', 1)
        return [way, 'on', interface]
    return [] if direction == 'in' else [direction]


def owned(wanted, current):
    """The wanted rules as the collection holds them once planned, one per family: without those an
    administrator's identical rule stands for (the off switch must never delete the administrator's)."""
    admins = _admin_matches(current)
    found = []
    for rule in wanted:
        for key in rule_keys(rule):
            if key not in admins:
                found.append(dict(rule, source=key[3], destination=key[4]))
    return found


def switch_commands(rules, enabled_by_collection, incoming_before):
    """(on, off): the ufw commands the off switch runs, for the rules the collection owns.

    off takes the collection's rules out live and from ufw's files, puts back the incoming default
    ufw had before the collection, and disables ufw when the collection was the one to enable it:
    ufw as it was found. on does the opposite, rules first."""
    before = {'ACCEPT': 'allow', 'REJECT': 'reject'}.get((incoming_before or 'DROP').upper())
    off = [undo for rule in rules for undo in undo_add_commands(rule)]
    on = [add_command(rule) for rule in rules]
    if before:
        off.append(['default', before, 'incoming'])
        on.append(['default', 'deny', 'incoming'])
    if enabled_by_collection:
        off.append(['--force', 'disable'])
        on.append(['--force', 'enable'])
    return on, off


def add_command(rule):
    interface = ['in', 'on', rule['interface']] if rule.get('interface') else []
    source = [] if rule['source'] == ANY else ['from', rule['source']]
    destination = rule.get('destination') or ANY
    ports = [] if rule['ports'] == ANY else ['port', rule['ports']]
    return ([_action(rule)] + interface + ['proto', rule['proto']] + source + ['to', destination] + ports
            + ['comment', rule['comment']])


def delete_command(rule):
    """Deletes one recorded rule, in its own family only."""
    source = ['from', rule['source']]
    destination = ['to', rule['destination']]
    ports = [] if rule['ports'] == 'any' else ['port', rule['ports']]
    proto = [] if rule['proto'] == 'any' else ['proto', rule['proto']]
    return ['delete', rule['action']] + _interface_words(rule.get('direction', 'in')) + proto + source + destination + ports


def undo_add_commands(rule):
    """Deletes a wanted rule that was added, in each family it went to."""
    return [delete_command({'action': _action(rule), 'proto': proto, 'source': source, 'destination': destination,
                            'ports': ports, 'direction': direction})
            for dummy, proto, ports, source, destination, direction in rule_keys(rule)]


def numbers(current):
    """ufw's number of each parsed rule, as `ufw status numbered` shows it: IPv4 rules, then IPv6."""
    v4_count = sum(1 for rule in current if rule['family'] == 'ipv4')
    seen = {'ipv4': 0, 'ipv6': v4_count}
    result = []
    for rule in current:
        seen[rule['family']] += 1
        result.append(seen[rule['family']])
    return result


def readd_command(rule, number=None):
    """Adds back a recorded rule that was deleted, at its former number when given."""
    words = (['insert', str(number)] if number else []) + [rule['action']] + _interface_words(rule['direction'])
    words += [] if rule['proto'] == 'any' else ['proto', rule['proto']]
    words += ['from', rule['source']] + ([] if rule['source_ports'] == 'any' else ['port', rule['source_ports']])
    words += ['to', rule['destination']] + ([] if rule['ports'] == 'any' else ['port', rule['ports']])
    return words + (['comment', rule['comment']] if rule['comment'] else [])


def command_text(words, ufw='ufw'):
    """A shell line running ufw with these words, each quoted: a comment read back from user.rules
    (an administrator's) or built from inventory names can hold anything."""
    return ' '.join(shlex.quote(word) for word in [ufw] + list(words))


def listing(rules):
    """Sorted 'ufw allow ...' lines, for wanted rules and for recorded ones alike (diff mode)."""
    lines = set()
    for rule in rules:
        source, destination = rule['source'], rule.get('destination')
        if source in (ANY_IPV4, ANY_IPV6):
            source = ANY
        if destination in (ANY_IPV4, ANY_IPV6):
            destination = ANY
        interface = rule.get('interface')
        if interface is None and '_' in rule.get('direction', ''):
            interface = rule['direction'].split('_', 1)[1]
        lines.add(command_text(add_command(dict(rule, source=source, destination=destination, interface=interface))))
    return sorted(lines)
