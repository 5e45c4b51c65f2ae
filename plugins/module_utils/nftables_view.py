# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the nftables template prints for a policy: named sets and the accept rules that use them.

Every decision is made here, where unit tests reach it; the template only lays the result out.
Only syntax that nft 0.9.8 (Debian 11) parses is produced.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.bluemind.firewall.plugins.module_utils import exposure
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
    dynamic_sets, protection_rules = _protection(policy)
    rules[:0] = protection_rules

    # Roles mode: one pair of host sets per set of callers that the flows admit (callers_1, ...).
    callers = sorted(set(p['allow'] for p in policy['ports'] if p['allow'].startswith(CALLERS_PREFIX)))
    hosts_sets = {CLUSTER: 'cluster_hosts'}
    words = dict(_AUDIENCE_WORDS)
    for index, audience in enumerate(callers, 1):
        hosts_sets[audience] = 'callers_%d_hosts' % index
        hosts = [host for host in audience[len(CALLERS_PREFIX):].split(',') if host]
        words[audience] = 'from %s only' % ', '.join(hosts + (['cluster sources'] if policy.get('cluster_sources') else []))
    # A private service: its listed sources and the cluster (private_1, ...).
    privates = sorted(set(p['allow'] for p in policy['ports'] if p['allow'].startswith(exposure.PRIVATE_PREFIX)))
    for index, audience in enumerate(privates, 1):
        hosts_sets[audience] = 'private_%d_hosts' % index
        words[audience] = 'private to its sources and the cluster (%s)' % audience[len(exposure.PRIVATE_PREFIX):]
    callers += privates
    for audience in callers:
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
    return {'table': TABLE, 'sets': sets, 'rules': rules, 'log': log, 'dynamic_sets': dynamic_sets}


# The key a meter or a ban is kept under, per family: the source (its /64 in IPv6, where one host
# holds a whole /64) and the port, so that a ban closes the one port its source flooded.
_METER_KEYS = {'ipv4': 'ip saddr . tcp dport', 'ipv6': 'ip6 saddr & ffff:ffff:ffff:ffff:: . tcp dport'}


def _protection(policy):
    """(dynamic sets, rules) of the limited ports and of fail2ban's bans: per family, first who is
    never limited (the cluster, the address Ansible connects from, for SSH the admin sources) is let
    in, then a banned source is dropped, then a source over its port's rate is banned and dropped.
    The accept rules that follow let the others in. Only TCP ports are limited (a ban is keyed by the
    TCP port). fail2ban's action (bluemind_firewall_fail2ban_action) adds to the same ban sets, on any
    port: they and their drop rule exist while it is on, limited port or not."""
    meters = (policy.get('protection') or {}).get('meters') or {}
    bans = (policy.get('protection') or {}).get('bans') or {}
    fail2ban = bool((policy.get('protection') or {}).get('fail2ban'))
    limited = [p for p in policy['ports'] if p.get('exposure') == exposure.LIMITED and p['proto'] == 'tcp'
               and p.get('limit')]
    if not meters:
        limited = []
    if not bans or not (limited or fail2ban):
        return [], []
    groups = {}
    for port in limited:
        limit = port['limit']
        groups.setdefault((limit['rate'], limit['burst'], limit['ban_seconds']), []).append(port)
    # Without fail2ban, a ban's element lasts the longest ban by default; with it, every element says
    # how long it lasts (the meters' for their bans), and fail2ban's permanent bans need a set in which
    # an element without a timeout never expires.
    longest_ban = None if fail2ban else max(port['limit']['ban_seconds'] for port in limited)
    # A meter's entry must outlive the time its source needs to use up its burst at the rate, else
    # an expired entry would hand a fresh burst to a source that keeps going.
    meter_seconds = max([60] + [-(-60 * port['limit']['burst'] // port['limit']['rate']) + 60 for port in limited])
    ranges = merged_port_ranges(limited)
    every_limited = '{ %s }' % ', '.join(port_text(first, last) for first, last in ranges)
    dynamic_sets = []
    rules = []
    for family, set_type, match, suffix, any_net in _FAMILIES:
        if family not in bans or (limited and family not in meters):
            continue
        key = _METER_KEYS[family]
        if limited:
            dynamic_sets.append({'name': meters[family], 'type': '%s . inet_service' % set_type,
                                 'size': exposure.METER_SIZE, 'timeout': '%ds' % meter_seconds})
        dynamic_sets.append({'name': bans[family], 'type': '%s . inet_service' % set_type, 'size': exposure.BAN_SIZE,
                             'timeout': '%ds' % longest_ban if longest_ban else None})
        nfproto = 'meta nfproto %s' % family
        if limited:
            rules.append({'match': '%s @cluster_hosts_%s tcp dport %s' % (match, suffix, every_limited),
                          'comment': 'limited ports: the cluster is never limited'})
        controller = (policy['sources'].get(exposure.CONTROLLER) or {}).get(family) or []
        if controller and limited:
            rules.append({'match': '%s { %s } tcp dport %d' % (match, ', '.join(controller), policy['ssh_port']),
                          'comment': 'management SSH: the address Ansible connects from is never limited'})
        admin = policy['sources'][ADMIN][family]
        ssh = [port for port in limited if port['service'] == 'ssh']
        if ssh and admin and admin != [any_net]:
            rules.append({'match': '%s @admin_hosts_%s tcp dport %d' % (match, suffix, policy['ssh_port']),
                          'comment': 'management SSH: the admin sources are never limited'})
        rules.append({'match': '%s %s @%s' % (nfproto, key, bans[family]), 'verdict': 'drop',
                      'comment': ('banned sources (limited ports, fail2ban) are dropped until their ban ends'
                                  if fail2ban else 'limited ports: a banned source is dropped until its ban ends')})
        for (rate, burst, ban), ports in sorted(groups.items()):
            listed = ', '.join(port_text(first, last) for first, last in merged_port_ranges(ports))
            services = ', '.join(sorted(set(port['service'] for port in ports)))
            words = (nfproto, listed, meters[family], key, rate, burst, bans[family], key, ban)
            rules.append({'match': '%s tcp dport { %s } update @%s { %s limit rate over %d/minute burst %d packets } '
                                   'add @%s { %s timeout %ds }' % words,
                          'verdict': 'drop',
                          'comment': _comment('limited %s: over %d a minute, burst %d: banned %ds' % (
                              services, rate, burst, ban))})
    return dynamic_sets, rules


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
# The note's first words when neither ruleset loaded at boot: verify reports it as a finding of its own.
LAST_RESORT = 'boot loaded the last-resort policy'
# The iptables chain of the last-resort policy, used only when nft itself fails at boot.
FALLBACK_CHAIN = 'bluemind-fallback'
_ICMP_ERRORS = 'destination-unreachable, time-exceeded, parameter-problem'
_ICMPV6_ERRORS = 'destination-unreachable, packet-too-big, time-exceeded, parameter-problem'
_NEIGHBOUR_DISCOVERY = 'nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert'


# While the unit is active, a link here to the file it loaded: the system's /etc/nftables.conf includes
# this directory, so that nftables.service's flush and the table's load are one transaction.
INCLUDE_GLOB = '/run/bluemind-firewall/include/*.nft'


def include_link(note=BOOT_FALLBACK_NOTE, table=TABLE):
    """Where the boot unit links the file it loaded (under the note's directory)."""
    return '%s/include/%s.nft' % (note.rsplit('/', 1)[0], table)


# The ufw backend's last-resort files (iptables only: ufw is iptables).
UFW_FALLBACK_PATHS = {'ipv4': '/etc/bluemind-firewall/ufw-fallback.iptables',
                      'ipv6': '/etc/bluemind-firewall/ufw-fallback.ip6tables'}


def fallback_paths(ruleset_path):
    """{'nft', 'ipv4', 'ipv6'}: the last-resort policy's files, beside the ruleset."""
    base = ruleset_path + '.fallback'
    return {'nft': base, 'ipv4': base + '.iptables', 'ipv6': base + '.ip6tables'}


def _admin_ssh(policy):
    """{family: the admin networks SSH is accepted from ([] for none)}, as in the policy."""
    admin = policy['sources'][ADMIN]
    return dict((family, list(admin.get(family) or [])) for family in ('ipv4', 'ipv6'))


def fallback_ruleset(policy, table=TABLE):
    """The last-resort table the boot unit loads when neither the ruleset nor the previous one does:
    replies, loopback, ICMP errors, neighbour discovery and SSH from the admin sources, nothing else.

    The same table name as the ruleset, so that the next converge replaces it in one transaction.
    Written at converge time from the policy (the admin sources are known then, not at boot)."""
    ssh_port = policy['ssh_port']
    admin = _admin_ssh(policy)
    lines = ['# Managed by the Ansible collection bluemind.firewall: the last-resort policy, loaded at boot only',
             '# when neither the ruleset nor the previous one loads. Everything but SSH from the admin sources',
             '# is dropped; the boot unit stays failed until a converge loads the policy again.',
             '', 'table inet %s' % table, 'delete table inet %s' % table, '', 'table inet %s {' % table]
    rules = []
    for family, set_type, match, suffix, any_net in _FAMILIES:
        if admin[family] == [any_net]:
            rules.append('meta nfproto %s tcp dport %d accept comment "management SSH, from every %s source"'
                         % (family, ssh_port, family))
        elif admin[family]:
            name = 'admin_hosts_' + suffix
            lines += ['\tset %s {' % name, '\t\ttype %s' % set_type, '\t\tflags interval',
                      '\t\telements = { %s }' % ', '.join(admin[family]), '\t}', '']
            rules.append('%s @%s tcp dport %d accept comment "management SSH, from the admin sources"'
                         % (match, name, ssh_port))
    lines += ['\tchain input {', '\t\ttype filter hook input priority filter; policy drop;', '',
              '\t\tct state established,related accept comment "replies and related traffic"',
              '\t\tct state invalid drop comment "packets no connection can own"',
              '\t\tiif "lo" accept comment "loopback"',
              '\t\ticmpv6 type { %s } ip6 hoplimit 255 accept comment "IPv6 neighbour discovery"' % _NEIGHBOUR_DISCOVERY,
              '\t\ticmpv6 type { %s } accept comment "ICMPv6 errors"' % _ICMPV6_ERRORS,
              '\t\ticmp type { %s } accept comment "ICMP errors"' % _ICMP_ERRORS]
    lines += ['\t\t' + rule for rule in rules]
    lines += ['\t}', '}', '']
    return '\n'.join(lines)


def fallback_iptables(policy, family):
    """iptables-restore (ipv4) or ip6tables-restore (ipv6) input, loaded with --noflush, of the same
    last-resort policy: for a boot where nft itself fails (missing, broken, or a kernel without
    nf_tables, with iptables-legacy). One chain of its own, jumped to first from INPUT, that ends
    in a drop: other software's rules are not touched, and none of them can accept before it."""
    chain = FALLBACK_CHAIN
    ssh_port = policy['ssh_port']
    lines = ['# Managed by the Ansible collection bluemind.firewall: the last-resort policy (%s),' % family,
             '# loaded at boot only when nft fails.', '*filter', ':%s - [0:0]' % chain,
             '-I INPUT 1 -j %s' % chain,
             '-A %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT' % chain,
             '-A %s -m conntrack --ctstate INVALID -j DROP' % chain,
             '-A %s -i lo -j ACCEPT' % chain]
    if family == 'ipv4':
        lines += ['-A %s -p icmp --icmp-type %s -j ACCEPT' % (chain, kind) for kind in _ICMP_ERRORS.split(', ')]
    else:
        lines += ['-A %s -p ipv6-icmp --icmpv6-type %s -j ACCEPT' % (chain, kind) for kind in _ICMPV6_ERRORS.split(', ')]
        lines += ['-A %s -p ipv6-icmp --icmpv6-type %s -m hl --hl-eq 255 -j ACCEPT' % (chain, kind)
                  for kind in ('neighbour-solicitation', 'neighbour-advertisement', 'router-solicitation',
                               'router-advertisement')]
    lines += ['-A %s -p tcp -s %s --dport %d -j ACCEPT' % (chain, network, ssh_port)
              for network in _admin_ssh(policy)[family]]
    lines += ['-A %s -j DROP' % chain, 'COMMIT', '']
    return '\n'.join(lines)


def boot_load_command(nft, ruleset_path, table=TABLE, note=BOOT_FALLBACK_NOTE, tools=None, last_resort=True):
    """The shell line the boot unit runs, in this order until one loads:

    1. the ruleset file, when it holds the whole table (exit 0);
    2. the one that loaded before it (kept beside it as .previous), noted for verify (exit 3, which
       the unit counts as a success: the host has a whole policy, maybe an older one);
    3. the last-resort policy (.fallback) with nft (exit 4);
    4. when nft itself fails, the same policy with iptables-restore and ip6tables-restore (exit 5);
    5. when nothing loads, every interface but the loopback taken down (exit 6), so that the host is
       never up without a filter.
    From 3 on, the unit fails (visible in systemctl --failed) and the note says why. A later start
    that loads the ruleset removes the note, and the iptables chain of step 4 when it was loaded.
    last_resort=False (a reload, while the running table stays when nothing loads): steps 1-2, else exit 1.
    No "$" and no "%": systemd would expand them in a unit file."""
    tools = dict({'iptables': 'iptables', 'ip6tables': 'ip6tables', 'iptables-restore': 'iptables-restore',
                  'ip6tables-restore': 'ip6tables-restore', 'ip': 'ip', 'ls': 'ls /sys/class/net'}, **(tools or {}))
    holds = 'grep -qs "^table inet %s {" %s'
    previous = ruleset_path + '.previous'
    files = fallback_paths(ruleset_path)
    directory = note.rsplit('/', 1)[0]
    # Only after a boot that loaded it (the note says so): an iptables call on a host that does not
    # use iptables could create its tables.
    cleanup = ' '.join('{ %s -D INPUT -j %s; %s -F %s; %s -X %s; } 2>/dev/null;' % (
        tool, FALLBACK_CHAIN, tool, FALLBACK_CHAIN, tool, FALLBACK_CHAIN)
        for tool in (tools['iptables'], tools['ip6tables']))
    cleanup = 'grep -qs iptables-restore %s && { %s };' % (note, cleanup)
    unloaded = '%s did not load at boot and no previous ruleset did' % ruleset_path
    link = include_link(note, table)

    def linked(path):
        return 'mkdir -p %s && ln -sf %s %s;' % (link.rsplit('/', 1)[0], path, link)
    words = [
        '%s && %s -f %s && { %s %s rm -f %s; exit 0; };' % (
            holds % (table, ruleset_path), nft, ruleset_path, cleanup, linked(ruleset_path), note),
        'mkdir -p %s;' % directory,
        '%s && %s -f %s && { %s %s echo "%s did not load at boot; %s was loaded instead" > %s; exit 3; };' % (
            holds % (table, previous), nft, previous, cleanup, linked(previous), ruleset_path, previous, note),
    ]
    if not last_resort:
        return ' '.join(words + ['exit 1'])
    return ' '.join(words + [
        '%s -f %s && { %s echo "%s (nft, %s): %s" > %s; exit 4; };' % (
            nft, files['nft'], linked(files['nft']), LAST_RESORT, files['nft'], unloaded, note),
        iptables_last_resort(files, note, unloaded + ', and nft failed', tools, loaded='exit 5', down='exit 6'),
    ])


def iptables_last_resort(files, note, reason, tools=None, loaded='exit 0', down='exit 0'):
    """Shell words that load the last resort with iptables-restore and ip6tables-restore (--noflush),
    noting reason, then run loaded; when they fail, take every interface but the loopback down (the
    host is never up without a filter), note it, then run down. No "%": systemd expands it."""
    tools = dict({'iptables-restore': 'iptables-restore', 'ip6tables-restore': 'ip6tables-restore', 'ip': 'ip',
                  'ls': 'ls /sys/class/net'}, **(tools or {}))
    return ' '.join([
        'mkdir -p %s;' % note.rsplit('/', 1)[0],
        '%s -n %s && %s -n %s && { echo "%s (iptables-restore, %s): %s" > %s; %s; };' % (
            tools['iptables-restore'], files['ipv4'], tools['ip6tables-restore'], files['ipv6'],
            LAST_RESORT, files['ipv4'], reason, note, loaded),
        '%s | grep -vx lo | xargs -r -I @ %s link set dev @ down;' % (tools['ls'], tools['ip']),
        'echo "boot could not load the last-resort policy either: %s, and iptables-restore failed; every '
        'network interface but the loopback was taken down" > %s; %s' % (reason, note, down),
    ])
