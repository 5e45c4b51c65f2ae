# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""firewalld as the firewalld backend finds and changes it: what firewall-cmd prints, and the
firewall-cmd commands that bring the collection's policy and ipsets to what is wanted.

firewalld keeps two configurations: the runtime one, in force, and the permanent one, loaded at
start and by `firewall-cmd --reload`. A change goes to the runtime one first; `--reload` is then its
undo, and the same change made with `--permanent` once confirmed is its commit. Rules and ipset
entries can change at runtime; a policy or an ipset can only be created in the permanent
configuration, so the first run creates them empty (inert) and reloads once before any rule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.bluemind.firewall.plugins.module_utils import firewalld_view

CONFIG_PATH = '/etc/firewalld/firewalld.conf'
# firewalld's own default when firewalld.conf does not say (0.6 and later).
DEFAULT_BACKEND = 'nftables'
IPSET_TYPE = 'hash:net'
_KEY = re.compile(r'^  ([a-z -]+):(?: (.*))?$')


class FirewalldError(Exception):
    """firewall-cmd failed or printed what could not be read."""


def config_backend(text):
    """The FirewallBackend of firewalld.conf's text (nftables when not set)."""
    for line in (text or '').splitlines():
        line = line.strip()
        if line.startswith('FirewallBackend='):
            value = line.split('=', 1)[1].strip().strip('"\'')
            return value or DEFAULT_BACKEND
    return DEFAULT_BACKEND


def parse_info(text):
    """{key: words} of `firewall-cmd --info-policy` or `--info-ipset`; 'rich rules' as whole lines."""
    found = {}
    key = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith('\t'):
            if key is None:
                raise FirewalldError('unexpected line in firewall-cmd output: %r' % line)
            found[key].append(line.strip())
            continue
        match = _KEY.match(line)
        if match:
            key = match.group(1)
            value = match.group(2) or ''
            found[key] = [value.strip()] if key == 'rich rules' and value.strip() else (
                [] if key == 'rich rules' else value.split())
        elif not line.startswith(' '):
            found['name'] = [line.split()[0]]
            key = None
    return found


def policy_state(text):
    """The parts of a policy the collection sets, from `firewall-cmd --info-policy`."""
    info = parse_info(text)
    return {'priority': int((info.get('priority') or ['0'])[0]),
            'target': (info.get('target') or [''])[0],
            'ingress_zones': sorted(info.get('ingress-zones') or []),
            'egress_zones': sorted(info.get('egress-zones') or []),
            'ports': info.get('ports') or [],
            'services': info.get('services') or [],
            'protocols': info.get('protocols') or [],
            'rich_rules': info.get('rich rules') or []}


def ipset_state(text):
    """{type, family, entries} of an ipset, from `firewall-cmd --info-ipset`."""
    info = parse_info(text)
    options = dict((item.split('=', 1) + [''])[:2] for item in info.get('options') or [])
    return {'type': (info.get('type') or [''])[0], 'family': options.get('family', 'inet'),
            'entries': info.get('entries') or []}


def skeleton_differs(wanted, current):
    """What of the policy's frame (not its rules) differs: only the permanent configuration and a
    reload change those. current: policy_state() or None when the policy does not exist."""
    if current is None:
        return ['policy %s does not exist' % wanted['name']]
    reasons = []
    for key in ('priority', 'target'):
        if current[key] != wanted[key]:
            reasons.append('policy %s: %s is %s, not %s' % (wanted['name'], key, current[key], wanted[key]))
    for key in ('ingress_zones', 'egress_zones'):
        if current[key] != sorted(wanted[key]):
            found = ' '.join(current[key]) or 'none'
            reasons.append('policy %s: %s are %s, not %s' % (wanted['name'], key.replace('_', ' '), found,
                                                             ' '.join(wanted[key])))
    return reasons


def ipset_skeleton_differs(wanted, current):
    if current is None:
        return ['ipset %s does not exist' % wanted['name']]
    if current['type'] != IPSET_TYPE or current['family'] != wanted['family']:
        return ['ipset %s is %s family %s, not %s family %s' % (wanted['name'], current['type'], current['family'],
                                                                IPSET_TYPE, wanted['family'])]
    return []


def _entry_key(entry):
    """firewalld prints an address of a hash:net ipset as given; /32 and /128 are the address itself."""
    for suffix in ('/32', '/128'):
        if entry.endswith(suffix):
            return entry[:-len(suffix)]
    return entry


def content_changes(wanted_policy, current_policy, wanted_ipsets, current_ipsets):
    """{'add': {...}, 'remove': {...}} of ports, rich rules (policy) and entries (per ipset), or
    None when nothing differs. current_*: the state read (None for what does not exist)."""
    current_policy = current_policy or {'ports': [], 'rich_rules': [], 'services': [], 'protocols': []}
    add = {'ports': [port for port in wanted_policy['ports'] if port not in current_policy['ports']],
           'rich_rules': [rule for rule in wanted_policy['rich_rules'] if rule not in current_policy['rich_rules']],
           'entries': {}}
    remove = {'ports': [port for port in current_policy['ports'] if port not in wanted_policy['ports']],
              'rich_rules': [rule for rule in current_policy['rich_rules'] if rule not in wanted_policy['rich_rules']],
              # The collection's policy holds no service or protocol: any found there was added by hand.
              'services': list(current_policy.get('services') or []),
              'protocols': list(current_policy.get('protocols') or []),
              'entries': {}}
    for ipset in wanted_ipsets:
        have = [_entry_key(entry) for entry in ((current_ipsets.get(ipset['name']) or {}).get('entries') or [])]
        want = [_entry_key(entry) for entry in ipset['entries']]
        missing = [entry for entry in want if entry not in have]
        extra = [entry for entry in have if entry not in want]
        if missing:
            add['entries'][ipset['name']] = missing
        if extra:
            remove['entries'][ipset['name']] = extra
    if not any(add.values()) and not any(remove.values()):
        return None
    return {'add': add, 'remove': remove}


def change_commands(firewall_cmd, changes, permanent=False):
    """The firewall-cmd commands of content_changes(), in an order that opens nothing early: ipset
    entries added, then rules and ports added, then removed, then ipset entries removed. firewall-cmd
    takes one kind of option a call (repeated as often as needed)."""
    head = [firewall_cmd] + (['--permanent'] if permanent else [])
    policy = head + ['--policy=%s' % firewalld_view.POLICY]
    commands = []
    add, remove = changes['add'], changes['remove']
    for name in sorted(add['entries']):
        commands.append(head + ['--ipset=%s' % name] + ['--add-entry=%s' % entry for entry in add['entries'][name]])
    for option, values in (('--add-port', add['ports']), ('--add-service', add.get('services') or []),
                           ('--add-protocol', add.get('protocols') or []), ('--add-rich-rule', add['rich_rules']),
                           ('--remove-port', remove['ports']), ('--remove-service', remove['services']),
                           ('--remove-protocol', remove['protocols']), ('--remove-rich-rule', remove['rich_rules'])):
        if values:
            commands.append(policy + ['%s=%s' % (option, value) for value in values])
    for name in sorted(remove['entries']):
        commands.append(head + ['--ipset=%s' % name] + ['--remove-entry=%s' % entry for entry in remove['entries'][name]])
    return commands


def inverse(changes):
    """The changes that undo changes (content_changes()), for change_commands(): what was added goes,
    what was removed comes back."""
    add, remove = changes['add'], changes['remove']
    return {'add': {'ports': remove['ports'], 'rich_rules': remove['rich_rules'], 'entries': remove['entries'],
                    'services': remove.get('services') or [], 'protocols': remove.get('protocols') or []},
            'remove': {'ports': add['ports'], 'rich_rules': add['rich_rules'], 'entries': add['entries'],
                       'services': [], 'protocols': []}}


def skeleton_commands(firewall_cmd, wanted, current, wanted_ipsets, current_ipsets):
    """Permanent commands that create or fix the policy's frame and create the ipsets (empty). A
    reload then brings them to the runtime configuration; nothing in them accepts or drops yet."""
    head = [firewall_cmd, '--permanent']
    commands = []
    name = wanted['name']
    policy = head + ['--policy=%s' % name]
    if current is None:
        commands.append(head + ['--new-policy=%s' % name])
        commands.append(policy + ['--set-short=%s' % wanted['short']])
        commands.append(policy + ['--set-description=%s' % wanted['description']])
        current = {'priority': 0, 'target': 'CONTINUE', 'ingress_zones': [], 'egress_zones': []}
    if current['priority'] != wanted['priority']:
        commands.append(policy + ['--set-priority=%d' % wanted['priority']])
    if current['target'] != wanted['target']:
        commands.append(policy + ['--set-target=%s' % wanted['target']])
    for key, option in (('ingress_zones', 'ingress-zone'), ('egress_zones', 'egress-zone')):
        removed = ['--remove-%s=%s' % (option, zone) for zone in current[key] if zone not in wanted[key]]
        added = ['--add-%s=%s' % (option, zone) for zone in wanted[key] if zone not in current[key]]
        commands.extend(policy + [word] for word in removed + added)
    for ipset in wanted_ipsets:
        found = current_ipsets.get(ipset['name'])
        if found is not None and not ipset_skeleton_differs(ipset, found):
            continue
        if found is not None:
            commands.append(head + ['--delete-ipset=%s' % ipset['name']])
        commands.append(head + ['--new-ipset=%s' % ipset['name'], '--type=%s' % IPSET_TYPE,
                                '--family=%s' % ipset['family']])
        commands.append(head + ['--ipset=%s' % ipset['name'], '--set-short=%s' % firewalld_view.SHORT])
    return commands


def owned_ipsets(names):
    """The ipsets of a `--get-ipsets` listing that the collection owns (by their name's prefix)."""
    return sorted(name for name in names if name.startswith(firewalld_view.IPSET_PREFIX))
