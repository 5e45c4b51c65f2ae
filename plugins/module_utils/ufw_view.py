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

from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (
    ADMIN, ANY_IPV4, ANY_IPV6, CLUSTER, EVERYONE, PROTOCOLS, merged_port_ranges)

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


def ufw_rules(policy):
    """[{'proto', 'ports', 'source', 'comment'}]: the rules ufw must hold for this policy, in order."""
    rules = []
    ssh = str(policy['ssh_port'])
    for source in _sources(policy['sources'][ADMIN]):
        rules.append({'proto': 'tcp', 'ports': ssh, 'source': source, 'comment': '%s ssh' % MARK})
    for audience in (EVERYONE, CLUSTER):
        sources = [ANY] if audience == EVERYONE else _sources(policy['sources'][CLUSTER])
        for proto in PROTOCOLS:
            ranges = merged_port_ranges(p for p in policy['ports'] if p['allow'] == audience and p['proto'] == proto)
            for source in sources:
                for ports in port_groups(ranges):
                    rules.append({'proto': proto, 'ports': ports, 'source': source,
                                  'comment': '%s %s' % (MARK, audience)})
    return rules


def _canonical_ports(text):
    """ufw's port list in one order; "any" (a rule on every port, made by hand) as it is."""
    items = text.split(',')
    if not all(item.split(':')[0].isdigit() for item in items):
        return text
    return ','.join(sorted(items, key=lambda item: int(item.split(':')[0])))


def rule_keys(rule):
    """The (family, proto, ports, source) keys ufw records for a rule: both families for 'any'."""
    if rule['source'] == ANY:
        families = [('ipv4', ANY_IPV4), ('ipv6', ANY_IPV6)]
    else:
        network = ipaddress.ip_network(rule['source'], strict=False)
        families = [('ipv%d' % network.version, _network_text(network))]
    return [(family, rule['proto'], _canonical_ports(rule['ports']), source) for family, source in families]


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
    return (rule['family'], rule['proto'], _canonical_ports(rule['ports']), rule['source'])


def _is_simple_allow(rule):
    return (rule['action'] == 'allow' and rule['direction'] == 'in' and rule['source_ports'] == 'any'
            and rule['destination'] == _ANY[rule['family']])


def plan(wanted, current):
    """(rules to add, rules to delete) so that ufw holds exactly the wanted rules among its marked ones.

    A marked rule of another shape (edited by hand) is deleted and the wanted one added again. An
    administrator's own rule identical to a wanted one (ufw compares rules without their comment)
    stands for it: adding ours would make ufw put our mark on the administrator's rule, which a later
    change or a rollback would then delete. Where it covers one family only, ours is added for the
    other family alone."""
    present = set(current_key(rule) for rule in current if rule['ours'] and _is_simple_allow(rule))
    admins = set(current_key(rule) for rule in current if not rule['ours'] and _is_simple_allow(rule))
    add = []
    for rule in wanted:
        missing = [key for key in rule_keys(rule) if key not in present]
        if not missing:
            continue
        if not any(key in admins for key in missing):
            add.append(rule)
            continue
        add.extend(dict(rule, source=key[3]) for key in missing if key not in admins)
    wanted_keys = set(key for rule in wanted for key in rule_keys(rule))
    delete = [rule for rule in current if rule['ours'] and not (_is_simple_allow(rule) and current_key(rule) in wanted_keys)]
    return add, delete


def add_command(rule):
    source = [] if rule['source'] == ANY else ['from', rule['source']]
    return ['allow', 'proto', rule['proto']] + source + ['to', 'any', 'port', rule['ports'], 'comment', rule['comment']]


def delete_command(rule):
    """Deletes one recorded rule, in its own family only."""
    source = ['from', rule['source']]
    destination = ['to', rule['destination']]
    ports = [] if rule['ports'] == 'any' else ['port', rule['ports']]
    proto = [] if rule['proto'] == 'any' else ['proto', rule['proto']]
    return ['delete', rule['action']] + proto + source + destination + ports


def undo_add_commands(rule):
    """Deletes a wanted rule that was added, in each family it went to."""
    return [delete_command({'action': 'allow', 'proto': proto, 'source': source, 'destination': _ANY[family],
                            'ports': ports})
            for family, proto, ports, source in rule_keys(rule)]


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
    words = (['insert', str(number)] if number else []) + [rule['action']] + ([] if rule['direction'] == 'in' else [rule['direction']])
    words += [] if rule['proto'] == 'any' else ['proto', rule['proto']]
    words += ['from', rule['source']] + ([] if rule['source_ports'] == 'any' else ['port', rule['source_ports']])
    words += ['to', rule['destination']] + ([] if rule['ports'] == 'any' else ['port', rule['ports']])
    return words + (['comment', rule['comment']] if rule['comment'] else [])


def command_text(words):
    return 'ufw ' + ' '.join(word if word and all(c.isalnum() or c in ':,./-_' for c in word) else "'%s'" % word
                             for word in words)


def listing(rules):
    """Sorted 'ufw allow ...' lines, for wanted rules and for recorded ones alike (diff mode)."""
    lines = set()
    for rule in rules:
        source = rule['source']
        if source in (ANY_IPV4, ANY_IPV6):
            source = ANY
        lines.add(command_text(add_command(dict(rule, source=source))))
    return sorted(lines)
