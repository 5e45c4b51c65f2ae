# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the nftables template prints for a policy: named sets and the accept rules that use them.

Every decision is made here, where unit tests reach it; the template only lays the result out.
Only syntax that nft 0.9.8 (Debian 11) parses is produced.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (
    ADMIN, ANY_IPV4, ANY_IPV6, CALLERS_PREFIX, CLUSTER, EVERYONE, PORT_PROTOCOLS, PROTOCOLS, comment_text,
    merged_port_ranges, port_text)

TABLE = 'bluemind_firewall'
# Logged drops: a prefix that names the collection, at a rate that a port scan cannot turn into a
# flood of the kernel log.
LOG_PREFIX = 'bluemind-firewall drop: '
LOG_RATE = '5/second burst 10 packets'

_FAMILIES = (
    # policy family, nft set type, nft address match, set suffix, "any" CIDR
    ('ipv4', 'ipv4_addr', 'ip saddr', 'v4', ANY_IPV4),
    ('ipv6', 'ipv6_addr', 'ip6 saddr', 'v6', ANY_IPV6),
)
_AUDIENCE_WORDS = {EVERYONE: 'open to everyone', CLUSTER: 'cluster hosts and cluster sources only'}


def _extra_rule_lines(policy, sets):
    """The accept rules of bluemind_firewall_extra_rules, one per rule and family."""
    rules = []
    for index, rule in enumerate(policy.get('rules') or []):
        for family, set_type, match, suffix, any_net in _FAMILIES:
            if family not in rule['families']:
                continue
            words = []
            if rule['interface']:
                words.append('iifname "%s"' % rule['interface'])
            if rule['allow'] == CLUSTER:
                words.append('%s @cluster_hosts_%s' % (match, suffix))
            elif rule['allow'] != EVERYONE:
                networks = policy['sources'][rule['allow']][family]
                if networks == [any_net]:
                    words.append('meta nfproto %s' % family)
                else:
                    name = 'extra_rule_%d_%s' % (index, suffix)
                    sets.append({'name': name, 'type': set_type, 'elements': networks})
                    words.append('%s @%s' % (match, name))
            else:
                words.append('meta nfproto %s' % family)
            if rule['destinations']:
                words.append('%s daddr { %s }' % (match.split()[0], ', '.join(rule['destinations'][family])))
            if rule['ports']:
                words.append('%s dport { %s }' % (PORT_PROTOCOLS[rule['protocol']],
                                                  ', '.join(port_text(first, last) for first, last in rule['ports'])))
            else:
                words.append('meta l4proto %d' % rule['protocol'])
            rules.append({'match': ' '.join(words), 'comment': _comment('extra rule: %s' % rule['comment'])})
    return rules


def nftables_view(policy):
    """{'table', 'sets': [{name, type, elements}], 'rules': [{match, comment}]} for the template.

    Sets keep the rule count independent of the cluster size: one rule per audience, protocol and
    address family, whatever the number of peers or ports.
    """
    sets = []
    rules = []

    ssh_port = policy['ssh_port']
    admin = policy['sources'][ADMIN]
    if admin['ipv4'] == [ANY_IPV4] and admin['ipv6'] == [ANY_IPV6]:
        rules.append({'match': 'tcp dport %d' % ssh_port, 'comment': 'management SSH, from everyone'})
    else:
        for family, set_type, match, suffix, any_net in _FAMILIES:
            if admin[family] == [any_net]:
                rules.append({'match': 'meta nfproto %s tcp dport %d' % (family, ssh_port),
                              'comment': 'management SSH, from every %s source' % family})
            elif admin[family]:
                name = 'admin_hosts_' + suffix
                sets.append({'name': name, 'type': set_type, 'elements': admin[family]})
                rules.append({'match': '%s @%s tcp dport %d' % (match, name, ssh_port),
                              'comment': 'management SSH, from the admin sources'})

    peer_labels = _peer_labels(policy)
    for family, set_type, _match, suffix, _any in _FAMILIES:
        sets.append({'name': 'cluster_hosts_' + suffix, 'type': set_type,
                     'elements': policy['sources'][CLUSTER][family], 'labels': peer_labels})

    # Roles mode: one pair of host sets per set of callers that the flows admit (callers_1, ...).
    callers = sorted(set(p['allow'] for p in policy['ports'] if p['allow'].startswith(CALLERS_PREFIX)))
    hosts_sets = {CLUSTER: 'cluster_hosts'}
    words = dict(_AUDIENCE_WORDS)
    for index, audience in enumerate(callers, 1):
        hosts_sets[audience] = 'callers_%d_hosts' % index
        hosts = [host for host in audience[len(CALLERS_PREFIX):].split(',') if host]
        words[audience] = 'from %s only' % ', '.join(hosts + (['cluster sources'] if policy.get('cluster_sources') else []))
        for family, set_type, _match, suffix, _any in _FAMILIES:
            sets.append({'name': '%s_%s' % (hosts_sets[audience], suffix), 'type': set_type,
                         'elements': policy['sources'][audience][family], 'labels': peer_labels})

    for audience in [EVERYONE, CLUSTER] + callers:
        for proto in PROTOCOLS:
            ranges = merged_port_ranges(p for p in policy['ports'] if p['allow'] == audience and p['proto'] == proto)
            if not ranges:
                continue
            port_set = '%s_%s_ports' % (hosts_sets.get(audience, audience).replace('_hosts', ''), proto)
            sets.append({'name': port_set, 'type': 'inet_service',
                         'elements': [port_text(first, last) for first, last in ranges],
                         'labels': _service_labels(policy, audience, proto, ranges)})
            comment = _comment('BlueMind %s ports, %s' % (proto.upper(), words[audience]))
            if audience == EVERYONE:
                rules.append({'match': '%s dport @%s' % (proto, port_set), 'comment': comment})
            else:
                for family, _type, match, suffix, _any in _FAMILIES:
                    if audience != CLUSTER and not policy['sources'][audience][family]:
                        continue
                    hosts = '%s_%s' % (hosts_sets[audience], suffix)
                    rules.append({'match': '%s @%s %s dport @%s' % (match, hosts, proto, port_set), 'comment': comment})
    rules.extend(_extra_rule_lines(policy, sets))
    # Records of schema 1 predate the setting; drops were not logged then.
    log = None
    if policy.get('log_drops'):
        log = {'rate': LOG_RATE, 'prefix': LOG_PREFIX}
    for item in sets:
        item['listing'] = ', '.join(_labelled(item['elements'], item.pop('labels', {})))
    return {'table': TABLE, 'sets': sets, 'rules': rules, 'log': log}


def _comment(words):
    """Text an nft comment holds safely: no quotes, at most 100 characters."""
    return comment_text(words, 100)


def _labelled(elements, labels):
    """Set elements as the ruleset writes them, each with its comment where it has one (nft 0.9.7+)."""
    return ['%s comment "%s"' % (element, _comment(labels[element])) if labels.get(element) else element
            for element in elements]


def _service_labels(policy, audience, proto, ranges):
    """{element text: the services of the policy's ports inside it}."""
    labels = {}
    for first, last in ranges:
        names = []
        for port in policy['ports']:
            if port['allow'] == audience and port['proto'] == proto and first <= port['first'] and port['last'] <= last:
                if port['service'] not in names:
                    names.append(port['service'])
        labels[port_text(first, last)] = ', '.join(names)
    return labels


def _peer_labels(policy):
    """{element text: the cluster hosts known by that address}, and the cluster sources."""
    labels = {}
    for host in sorted(policy.get('peers') or {}):
        for address in policy['peers'][host]:
            labels[address] = ', '.join(filter(None, (labels.get(address), host)))
    for network in policy.get('cluster_sources') or []:
        labels.setdefault(network, 'cluster source')
    return labels


def without_dynamic_elements(listing):
    """`nft -s list table` without the elements of dynamic sets (the ping meters): the packets add
    them, and they must not read as a change of the table."""
    kept = []
    dynamic = skipping = False
    for line in listing.splitlines(True):
        stripped = line.strip()
        if stripped.startswith('set ') and stripped.endswith('{'):
            dynamic = False
        elif stripped.startswith('flags ') and 'dynamic' in stripped:
            dynamic = True
        if dynamic and stripped.startswith('elements = {'):
            skipping = True
        if not skipping:
            kept.append(line)
        if skipping and stripped.endswith('}'):
            skipping = False
    return ''.join(kept)


BOOT_FALLBACK_NOTE = '/run/bluemind-firewall/boot-fallback'


def boot_load_command(nft, ruleset_path, table=TABLE, note=BOOT_FALLBACK_NOTE):
    """The shell line the boot unit runs: the ruleset file when it holds the whole table, else the
    one that loaded before it (kept beside it as .previous), noted for verify and exit status 3.
    No "$" and no "%": systemd would expand them in a unit file."""
    holds = 'grep -qs "^table inet %s {" %s'
    previous = ruleset_path + '.previous'
    return ('%s && %s -f %s && { rm -f %s; exit 0; }; %s && %s -f %s || exit 1; mkdir -p %s; '
            'echo "%s did not load at boot; %s was loaded instead" > %s; exit 3' % (
                holds % (table, ruleset_path), nft, ruleset_path, note,
                holds % (table, previous), nft, previous, note.rsplit('/', 1)[0], ruleset_path, previous, note))
