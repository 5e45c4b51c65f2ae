# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What firewalld must hold for a policy: one policy object and its ipsets, all the collection's.

The shape, and why:
- A policy object from every zone (ANY) to the host (HOST), with a negative priority, runs before
  every zone, whatever the interfaces and sources the admin's zones are bound to: no zone binding
  can bypass it, and the collection binds nothing, so the admin's zones stay as they are.
- Its target is CONTINUE: for the ports the collection decides (every port of the BlueMind table,
  SSH, the extra ports and rules) its rules accept who the policy lets in, then drop everyone else;
  any other port is the zones' to decide, so an admin's own `firewall-cmd --add-port` stands, and
  verification reports it when it opens what the policy does not.
- Accepts have priority 0 (firewalld's allow chain), drops priority 1 (its post chain, after the
  allow chain): a port that several audiences reach is accepted for each before anyone is dropped.
- Sources live in ipsets, one element per address, so a peer joining changes an ipset's entries,
  never a rule; every rule and entry can change in firewalld's runtime configuration alone, which
  is what lets a change be tried live and undone by `firewall-cmd --reload` before it is made
  permanent.
- Rich rules hold one port range each (firewalld's rule element takes a single port or range).

Rules are written in the text firewalld prints them back in (its rich rule normal form), so the
live rules compare with the wanted ones as strings.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.bluemind.firewall.plugins.module_utils import backends, exposure
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (
    ADMIN, ANY_IPV4, ANY_IPV6, CALLERS_PREFIX, CLUSTER, EVERYONE, FAMILIES, PORT_PROTOCOLS, merged_port_ranges)

POLICY = backends.FIREWALLD_POLICY
# Before every zone; low enough that an admin's own policies (default priority -1) come after it.
PRIORITY = -100
TARGET = 'CONTINUE'
# The marks: the collection owns the policy of that name and the ipsets whose names start with this.
IPSET_PREFIX = backends.FIREWALLD_IPSET_PREFIX
SHORT = 'bluemind.firewall'
DESCRIPTION = ('Managed by the Ansible collection bluemind.firewall: edits are replaced on the next run. '
               'It decides the BlueMind ports, SSH and the extra ports and rules; other ports are left to the zones.')
ACCEPT_PRIORITY = 0
DROP_PRIORITY = 1
# The nftables backend's prefix and a rate a port scan cannot turn into a flood of the kernel log.
LOG_PREFIX = 'bluemind-firewall drop: '
LOG_LIMIT = '5/s'

_IPSET_FAMILY = {'ipv4': 'inet', 'ipv6': 'inet6'}
_SUFFIX = {'ipv4': 'v4', 'ipv6': 'v6'}
_ANY = {'ipv4': ANY_IPV4, 'ipv6': ANY_IPV6}


def _port_text(first, last):
    return str(first) if first == last else '%d-%d' % (first, last)


def _rule(words, action, family=None, priority=ACCEPT_PRIORITY):
    """A rich rule in firewalld's normal form: priority, family, source, destination, element, log, action."""
    head = ['rule']
    if priority:
        head.append('priority="%d"' % priority)
    if family:
        head.append('family="%s"' % family)
    return ' '.join(head + [word for word in words if word] + [action])


def _element(proto, first, last):
    return 'port port="%s" protocol="%s"' % (_port_text(first, last), proto)


def _audience_names(policy):
    """{audience: ipset base name} for every audience that needs sources, in a stable order."""
    names = {ADMIN: 'admin', CLUSTER: 'cluster'}
    callers = sorted(set(p['allow'] for p in policy['ports'] if p['allow'].startswith(CALLERS_PREFIX)))
    for index, audience in enumerate(callers, 1):
        names[audience] = 'callers-%d' % index
    privates = sorted(set(p['allow'] for p in policy['ports'] if p['allow'].startswith(exposure.PRIVATE_PREFIX)))
    for index, audience in enumerate(privates, 1):
        names[audience] = 'private-%d' % index
    for index, rule in enumerate(policy.get('rules') or []):
        if rule['allow'] not in (EVERYONE, CLUSTER):
            names[rule['allow']] = 'rule-%d' % index
    return names


def _ipset(base, family):
    return '%s%s-%s' % (IPSET_PREFIX, base, _SUFFIX[family])


def _source(audience, names, sources, family):
    """The source words of a rule for an audience in a family: '' for every address, None for no source."""
    entries = sources[audience][family]
    if audience != CLUSTER and not entries:
        return None
    if entries == [_ANY[family]]:
        return ''
    return 'source ipset="%s"' % _ipset(names[audience], family)


def _everyone(networks):
    return all(networks.get(family) == [_ANY[family]] for family in FAMILIES)


def firewalld_view(policy):
    """{'policy': {name, short, description, priority, target, ingress_zones, egress_zones, ports,
    rich_rules}, 'ipsets': [{name, family, entries}], 'record': the record's firewalld part} for a policy (policy.build_policy), whose
    settings the policy checked against firewalld (no limited port, no extra rule on an interface)."""
    names = _audience_names(policy)
    sources = dict(policy['sources'])
    if _everyone(sources[ADMIN]):
        del names[ADMIN]
    ipsets = []
    for audience, base in sorted(names.items(), key=lambda item: item[1]):
        for family in FAMILIES:
            entries = sources[audience][family]
            # The cluster's always exist (a peer joining fills them); another audience's where it has
            # sources short of every address.
            if audience == CLUSTER or (entries and entries != [_ANY[family]]):
                ipsets.append({'name': _ipset(base, family), 'family': _IPSET_FAMILY[family], 'entries': list(entries)})

    ports = []
    accepts = []
    everyone = {}
    for proto in ('tcp', 'udp'):
        # A limited port is let in like a public one here; its per-source limit is not firewalld's to keep.
        everyone[proto] = merged_port_ranges(
            p for p in policy['ports'] if p['proto'] == proto and (
                p['allow'] == EVERYONE or (p['allow'] == ADMIN and ADMIN not in names)))
        ports.extend('%s/%s' % (_port_text(first, last), proto) for first, last in everyone[proto])
    for audience in sorted(names, key=lambda name: names[name]):
        for proto in ('tcp', 'udp'):
            for first, last in merged_port_ranges(p for p in policy['ports'] if p['allow'] == audience
                                                  and p['proto'] == proto):
                for family in FAMILIES:
                    source = _source(audience, names, sources, family)
                    if source is not None:
                        accepts.append(_rule([source, _element(proto, first, last)], 'accept', family))
    decided = {'tcp': [], 'udp': []}
    for port in policy['ports']:
        if port['proto'] in decided:
            decided[port['proto']].append(port)
    protocols = []
    for index, rule in enumerate(policy.get('rules') or []):
        accepts.extend(_extra_rule(rule, names, sources))
        proto = PORT_PROTOCOLS.get(rule['protocol'])
        if rule['ports'] and proto in decided:
            decided[proto].extend({'first': first, 'last': last} for first, last in rule['ports'])
        elif not rule['ports'] and rule['protocol_name'] not in protocols:
            protocols.append(rule['protocol_name'])

    log = ''
    if policy.get('log_drops'):
        log = 'log prefix="%s" level="info" limit value="%s"' % (LOG_PREFIX, LOG_LIMIT)
    drops = []
    for proto in ('tcp', 'udp'):
        for first, last in _without(merged_port_ranges(decided[proto]), everyone[proto]):
            drops.append(_rule([_element(proto, first, last), log], 'drop', priority=DROP_PRIORITY))
    for name in protocols:
        drops.append(_rule(['protocol value="%s"' % name, log], 'drop', priority=DROP_PRIORITY))
    by_audience = {}
    for audience, base in names.items():
        for family in FAMILIES:
            if any(item['name'] == _ipset(base, family) for item in ipsets):
                by_audience.setdefault(audience, {})[family] = _ipset(base, family)
    return {
        # The record's firewalld part (module_utils/record.py, schema 3): the collection binds no zone.
        'record': {'zone': None, 'policies': [POLICY], 'ipsets': by_audience},
        'policy': {'name': POLICY, 'short': SHORT, 'description': DESCRIPTION, 'priority': PRIORITY,
                   'target': TARGET, 'ingress_zones': ['ANY'], 'egress_zones': ['HOST'],
                   'ports': ports, 'rich_rules': accepts + drops},
        'ipsets': ipsets,
    }


def _extra_rule(rule, names, sources):
    """The accept rules of one of bluemind_firewall_extra_rules: per family, destination and port range."""
    found = []
    for family in rule['families']:
        source = '' if rule['allow'] == EVERYONE else _source(rule['allow'], names, sources, family)
        if source is None:
            continue
        destinations = (rule['destinations'] or {}).get(family) or [None]
        proto = PORT_PROTOCOLS.get(rule['protocol'], rule['protocol_name'])
        elements = ([_element(proto, first, last) for first, last in rule['ports']] if rule['ports']
                    else ['protocol value="%s"' % rule['protocol_name']])
        for destination in destinations:
            target = 'destination address="%s"' % destination if destination else ''
            for element in elements:
                found.append(_rule([source, target, element], 'accept', family))
    return found


def _without(ranges, removed):
    """The port ranges of ranges that none of removed covers (both sorted and merged)."""
    kept = []
    for first, last in ranges:
        start = first
        for cut_first, cut_last in removed:
            if cut_last < start or cut_first > last:
                continue
            if cut_first > start:
                kept.append((start, cut_first - 1))
            start = cut_last + 1
            if start > last:
                break
        if start <= last:
            kept.append((start, last))
    return kept
