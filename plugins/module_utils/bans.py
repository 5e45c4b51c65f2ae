# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which closing differences are bans by other software (fail2ban, a hand-made ban list).

A ban closes a port the policy opens to a few remote sources: it is decided by a rule outside the
collection's own table or chains (or by the collection's own ban sets: a limited port's sources over
its rate, reported per port), closes fewer sources than it leaves open, and closes none of the
sources the installation depends on (a peer, a cluster source, an admin source) or that the user
probes from (outsiders). Anything else that closes an open port stays an availability problem.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.bluemind.firewall.plugins.module_utils import exposure
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import TABLE as OWN_TABLE

# The ufw backend's rules live in ufw's chains: the collection's own, like its nftables table.
OWN_CHAIN_PREFIXES = ('ufw-', 'ufw6-')
# Except the deny rules from given sources in ufw's user chains: the collection writes none (only
# accepts, its limits' jumps and the default deny), so these are fail2ban's (its ufw actions, the
# collection's among them) or an admin's `ufw deny from`.
UFW_USER_CHAINS = ('ufw-user-input', 'ufw6-user-input')
UFW_SOURCE_DENY = re.compile(r'(?:^|\s)-s \S+\s.*-j (?:DROP|REJECT)\b')
SET_REFERENCE = re.compile(r'@([A-Za-z0-9_.-]+)')
OWN_BAN_SETS = tuple(exposure.set_names()[1].values())


def own(item):
    """Whether the collection's own rules decide this difference (or no rule at all does)."""
    if item.get('table') is None:
        return True
    if ufw_deny(item):
        return False
    return item['table'].split(' ')[1] == OWN_TABLE or str(item.get('chain')).startswith(OWN_CHAIN_PREFIXES)


def ufw_deny(item):
    """Whether a deny rule from given sources in ufw's user chains decides this difference."""
    return item.get('chain') in UFW_USER_CHAINS and bool(UFW_SOURCE_DENY.search(item.get('rule') or ''))


def own_ban(item):
    """Whether the collection's own ban sets (a limited port's) decide this difference."""
    return (item.get('table') is not None and item['table'].split(' ')[1] == OWN_TABLE
            and named_set(item) in OWN_BAN_SETS)


def named_set(item):
    found = SET_REFERENCE.search(item.get('rule') or '')
    return found.group(1) if found else None


def _networks(items):
    return [ipaddress.ip_network(text, strict=False) for text in items]


def _overlaps(networks, others):
    return any(one.version == other.version and one.overlaps(other) for one in networks for other in others)


def protected_sources(expected, family, outsiders):
    """The sources a ban may never close: peers, cluster sources, admin sources short of everyone,
    and the outsiders the user probes from."""
    items = [address for addresses in expected.peers.values() for address in addresses]
    items += expected.cluster_sources
    admin = ((expected.policy.get('sources') or {}).get('admin') or {}).get(family) or []
    items += [item for item in admin if ipaddress.ip_network(item, strict=False).prefixlen > 0]
    items += list(outsiders or ())
    return _networks(items)


def _fail2ban_on(policy):
    """Whether the record has the collection's fail2ban action on."""
    return bool(((policy or {}).get('protection') or {}).get('fail2ban'))


def software(item, name, policy=None):
    """Who wrote the rule, as far as its names tell: fail2ban names its chains, tables and sets f2b-/addr-set-;
    ufw's deny rules are fail2ban's where the record has the collection's action on."""
    if own_ban(item):
        return 'limited port'
    if ufw_deny(item):
        return 'fail2ban (ufw deny rules)' if _fail2ban_on(policy) else 'ufw deny rules'
    names = (item.get('table') or '', item.get('chain') or '', name or '')
    if any('f2b' in text or text.startswith(('addr-set-', 'addr6-set-')) for text in names):
        return 'fail2ban'
    return 'other software'


def about(item, name, count, policy=None):
    where = ('set %s (%s, chain %s)' % (name, item['table'], item['chain']) if name
             else 'chain %s (%s)' % (item['chain'], item['table']))
    if ufw_deny(item) and item.get('family') == 'ipv6':
        return '%s %s: %d source%s banned (an IPv6 source: a /64)' % (
            software(item, name, policy), where, count, '' if count == 1 else 's')
    return '%s %s: %d address%s banned' % (software(item, name, policy), where, count, '' if count == 1 else 'es')


def own_about(found, count, by='limited port'):
    """'submission: 3 sources banned now (limited port, set bans_v4)'."""
    return '%s: %d source%s banned now (%s, set %s)' % (
        ', '.join(found['services']) or 'port %s' % found['port'], count, '' if count == 1 else 's', by, found['set'])


def own_banner(ports, policy):
    """Who put the collection's bans on these ports: the meters of a limited port, fail2ban's action
    (bluemind_firewall_fail2ban_action), or either where both are on."""
    limited = exposure.limited_ports(policy)
    fail2ban = _fail2ban_on(policy)
    is_limited = bool(ports) and all(port in limited for port in ports)
    if fail2ban and is_limited:
        return 'limited port or fail2ban'
    return 'fail2ban' if fail2ban else 'limited port'


def own_sources(networks):
    """The sources of the collection's bans: an IPv6 one is the /64 its element holds, whatever the
    rules before the ban (the cluster's, never limited) take out of it; IPv4 ones are addresses."""
    return sorted(set(network.supernet(new_prefix=exposure.IPV6_SOURCE_PREFIX)
                      if network.version == 6 and network.prefixlen > exposure.IPV6_SOURCE_PREFIX else network
                      for network in networks))


def _text(network):
    # As the engine names sources: a single address without its /32 or /128.
    return str(network.network_address) if network.num_addresses == 1 else str(network)


def _finding(items, networks, policy=None):
    """One finding for every difference a ban list makes in one family."""
    first = items[0]
    name = named_set(first)
    ports = sorted(set(tuple(item) for entry in items for item in entry['port_ranges']))
    found = dict(first)
    # An own ban holds sources (an IPv6 one, a /64), as do ufw's deny rules of fail2ban's action: an IPv6
    # one is counted as a source, not as its addresses.
    per_source = own_ban(first) or ufw_deny(first)
    if per_source:
        networks = own_sources(networks)
    count = (len(networks) if per_source and first['family'] == 'ipv6'
             else sum(network.num_addresses for network in networks))
    found.update({
        'kind': 'banned',
        'set': name,
        'banned': count,
        # One finding for every protocol the list closes (a ban list rarely names one).
        'proto': ','.join(sorted(set(entry['proto'] for entry in items))),
        'sources': [_text(network) for network in networks],
        'sources_text': ', '.join(_text(network) for network in networks[:8]) + (
            ' and %d more' % (len(networks) - 8) if len(networks) > 8 else ''),
        'source': str(networks[0].network_address),
        'source_class': 'banned',
        'port_ranges': [list(item) for item in ports],
        'ports': sorted(set(port for entry in items for port in entry['ports'])),
        'port': ','.join(str(a) if a == b else '%d-%d' % (a, b) for a, b in ports) or first['port'],
        'services': sorted(set(service for entry in items for service in entry['services'])),
    })
    found['about'] = (own_about(found, count, own_banner(found['ports'], policy)) if own_ban(first)
                      else about(first, name, count, policy))
    return found


def separate(blocked, expected, outsiders, remote_size):
    """(ban findings, differences that stay blocked) of the blocked differences. remote_size:
    {family: number of remote source addresses}; a ban covers fewer of them than it leaves out."""
    groups = {}
    kept = []
    for item in blocked:
        if own(item) and not own_ban(item):
            kept.append(item)
            continue
        key = (item['table'], item['chain'], named_set(item), item['family'])
        if own_ban(item):
            # The collection's bans are kept per port: one finding per limited port and family.
            key += (str(item['port_ranges']),)
        groups.setdefault(key, []).append(item)
    found = []
    for key, items in sorted(groups.items(), key=lambda pair: str(pair[0])):
        family = key[3]
        networks = sorted(set(ipaddress.collapse_addresses(
            network for item in items for network in _networks(item['sources']))))
        covered = sum(network.num_addresses for network in networks)
        protected = protected_sources(expected, family, outsiders)
        if ufw_deny(items[0]) and covered * 2 < remote_size[family]:
            # ufw's deny rules, each from its sources to its ports: like the collection's own bans, the
            # ones that close a protected source are blocked (that difference only), the others bans.
            # (Rules that deny most of the Internet are no ban: blocked below.)
            banned_items, rest = [], set()
            for item in items:
                sources = _networks(item['sources'])
                closing = [network for network in sources if _overlaps([network], protected)]
                if closing:
                    kept.append(_blocked_part(item, closing, expected, family, outsiders))
                if len(closing) < len(sources):
                    banned_items.append(item)
                    rest.update(network for network in sources if network not in closing)
            if banned_items:
                found.append(_finding(banned_items, sorted(ipaddress.collapse_addresses(rest)), expected.policy))
            continue
        if own_ban(items[0]):
            # The collection's own bans are sources over a limited port's rate or fail2ban's, however many
            # they are, each an element of its own: the ones that close a protected source are blocked,
            # the others stay bans.
            closing = [network for network in networks if _overlaps([network], protected)]
            if closing:
                kept.append(_blocked_part(items[0], closing, expected, family, outsiders))
                networks = [network for network in networks if network not in closing]
            if networks:
                found.append(_finding(items, networks, expected.policy))
            continue
        if covered * 2 >= remote_size[family] or _overlaps(networks, protected):
            kept.extend(items)
        else:
            found.append(_finding(items, networks, expected.policy))
    return found, kept


def _blocked_part(item, networks, expected, family, outsiders):
    """The difference of an own ban set's elements that close protected sources, named as such."""
    part = dict(item)
    labels = []
    version = int(family[-1])
    for name in sorted(expected.peers):
        if _overlaps(networks, _networks(address for address in expected.peers[name]
                                         if ipaddress.ip_address(address).version == version)):
            labels.append('peer %s' % name)
    admin = ((expected.policy.get('sources') or {}).get('admin') or {}).get(family) or []
    for label, items in (('cluster source', expected.cluster_sources),
                         ('admin source', [text for text in admin if ipaddress.ip_network(text, strict=False).prefixlen]),
                         ('outsider', list(outsiders or ()))):
        labels.extend('%s %s' % (label, text) for text in items if _overlaps(networks, _networks([text])))
    part.update({'sources': [_text(network) for network in networks],
                 'sources_text': ', '.join(_text(network) for network in networks[:8]) + (
                     ' and %d more' % (len(networks) - 8) if len(networks) > 8 else ''),
                 'source': str(networks[0].network_address),
                 'source_class': ', '.join(labels) or item.get('source_class')})
    return part
