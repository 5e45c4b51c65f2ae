#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: firewalld_policy
short_description: Bring the collection's firewalld policy and ipsets to the given ones, runtime first, and record the policy
version_added: 0.7.0
description:
  - Manages one firewalld policy object (from every zone to the host, before the zones) and the ipsets whose names
    start with C(bluemind-fw-), and nothing else of firewalld - no zone, service, other policy or direct rule.
  - A change goes to firewalld's runtime configuration first. The previous state stays in the permanent one, so
    C(firewall-cmd --reload) is the change's undo - run at once when a step fails, or by a systemd timer on the host
    when O(confirm_timeout) passes without confirmation. Once confirmed, the same change is made permanent
    and the policy recorded.
  - A policy or an ipset can only be created in the permanent configuration. The first run creates them empty,
    where they accept and drop nothing, and reloads firewalld once before any rule goes in. Like every reload, it
    drops runtime-only changes made by hand (C(firewall-cmd) without C(--permanent)).
  - Refuses, before any change, a host without firewalld, with firewalld stopped or not enabled at boot, or with
    firewalld's iptables backend; and beside the collection's nftables table or ufw, unless O(backend_switch) is
    set - then they are removed once the policy is confirmed.
author:
  - bluemind.firewall contributors !UNKNOWN
options:
  policy:
    description:
      - The policy object, as C(bluemind.firewall.host_policy) renders it - name, short, description, priority,
        target, ingress_zones, egress_zones, ports and rich_rules (in firewalld's normal form, as
        C(firewall-cmd --list-rich-rules) prints them). Required with O(state=present).
    type: dict
  ipsets:
    description:
      - The ipsets, each with name, family (V(inet) or V(inet6)) and entries. Ipsets of the collection (named
        C(bluemind-fw-...)) not listed are deleted.
    type: list
    elements: dict
    default: []
  record:
    description:
      - The resolved policy, written as JSON to O(record_path) once the change is confirmed. Required with
        O(state=present).
    type: dict
  record_path:
    description:
      - Where the record is written.
    type: path
    default: /etc/bluemind-firewall/policy.json
  state:
    description:
      - V(present) brings the policy and ipsets to the given ones; V(absent) deletes them (runtime first, then
        permanently), the record and its directory when empty.
    type: str
    choices: [present, absent]
    default: present
  backend_switch:
    description:
      - Whether the collection's nftables table or ufw, when found, may be replaced. Without it their presence fails
        the module before any change.
    type: bool
    default: false
  nftables_files:
    description:
      - The nftables backend's boot unit and ruleset file, removed with its table when switching from it.
    type: list
    elements: path
    default: [/etc/systemd/system/bluemind-firewall.service, /etc/bluemind-firewall/bluemind_firewall.nft]
  confirm_timeout:
    description:
      - Seconds in which M(bluemind.firewall.confirm) must confirm the change over a new connection; the host reloads
        firewalld's permanent configuration (the state before the change) when they run out. V(0) makes the change
        permanent at once.
    type: int
    default: 0
extends_documentation_fragment:
  - bluemind.firewall.change
attributes:
  check_mode:
    support: full
    description: Reads firewalld's runtime and permanent configurations and reports what would change.
  diff_mode:
    support: full
    description: Shows the policy's rich rules, ports and ipset entries before and after.
  platform:
    platforms: posix
    support: full
    description: Linux with firewalld 0.9 or later (policy objects), its nftables backend, and systemd.
notes:
  - Needs root and a running firewalld.
'''

EXAMPLES = r'''
- name: Bring the collection's firewalld policy to the plan of bluemind.firewall.host_policy
  bluemind.firewall.firewalld_policy:
    policy: "{{ plan.firewalld.policy }}"
    ipsets: "{{ plan.firewalld.ipsets }}"
    record: "{{ plan.policy_json }}"
    confirm_timeout: 60
'''

RETURN = r'''
pending:
  description: Whether the change waits for M(bluemind.firewall.confirm) (the rollback timer runs).
  returned: always
  type: bool
  sample: true
reasons:
  description: What differed from the wanted state.
  returned: always
  type: list
  elements: str
  sample: ["policy bluemind-firewall does not exist", "runtime: 3 rich rules to add"]
armed_at:
  description: When the change went live with a rollback armed (seconds since the epoch, host clock); give it to
    M(bluemind.firewall.confirm).
  returned: when RV(pending) is true
  type: float
recorded:
  description: Whether a policy record is on the host after the run (in check mode, whether one was already there).
  returned: always
  type: bool
  sample: true
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bluemind.firewall.plugins.module_utils import (
    backends, change, firewalld_live, firewalld_view, host_files, record)


def _summary(changes, where):
    if not changes:
        return []
    words = []
    for verb in ('add', 'remove'):
        part = changes[verb]
        for key, label in (('rich_rules', 'rich rules'), ('ports', 'ports'), ('services', 'services'),
                           ('protocols', 'protocols')):
            if part.get(key):
                words.append('%d %s to %s' % (len(part[key]), label, verb))
        count = sum(len(entries) for entries in part['entries'].values())
        if count:
            words.append('%d ipset entries to %s' % (count, verb))
    return ['%s: %s' % (where, ', '.join(words))]


class FirewalldPolicy(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.firewall_cmd = module.get_bin_path('firewall-cmd')

    def run(self, words, check_rc=True):
        rc, out, err = self.module.run_command([self.firewall_cmd] + words, environ_update={'LANG': 'C', 'LC_ALL': 'C'})
        if check_rc and rc != 0:
            self.module.fail_json(msg='firewall-cmd %s failed: %s' % (' '.join(words), (err or out).strip()))
        return rc, out

    def read(self, permanent):
        """(policy state or None, {ipset name: state}) of the runtime or permanent configuration."""
        head = ['--permanent'] if permanent else []
        dummy, out = self.run(head + ['--get-policies'])
        policy = None
        if firewalld_view.POLICY in out.split():
            policy = firewalld_live.policy_state(self.run(head + ['--info-policy=%s' % firewalld_view.POLICY])[1])
        dummy, out = self.run(head + ['--get-ipsets'])
        ipsets = {}
        for name in firewalld_live.owned_ipsets(out.split()):
            ipsets[name] = firewalld_live.ipset_state(self.run(head + ['--info-ipset=%s' % name])[1])
        return policy, ipsets

    def apply(self):
        change.check_timeout(self.module, self.params['confirm_timeout'])
        if self.params['state'] == 'absent':
            return self.remove()
        p = self.params
        replace = backends.others_to_replace(self.module, backends.FIREWALLD, p['backend_switch'], 'bluemind_firewall')
        wanted, ipsets = p['policy'], p['ipsets']
        if ipsets and 'hash:net' not in self.run(['--get-ipset-types'])[1].split():
            # firewalld 0.9 disables its ipsets when the ipset program is missing (1.0 and later do without).
            self.module.fail_json(msg='firewalld cannot use ipsets of type hash:net on this host (firewall-cmd '
                                      '--get-ipset-types does not list it; firewalld 0.9 needs the ipset package). '
                                      'Install ipset and restart firewalld, then run again. Nothing was changed.')
        permanent_policy, permanent_ipsets = self.read(permanent=True)
        runtime_policy, runtime_ipsets = self.read(permanent=False)
        skeleton = firewalld_live.skeleton_commands(self.firewall_cmd, wanted, permanent_policy, ipsets, permanent_ipsets)
        runtime_frame = (firewalld_live.skeleton_differs(wanted, runtime_policy)
                         + [reason for item in ipsets
                            for reason in firewalld_live.ipset_skeleton_differs(item, runtime_ipsets.get(item['name']))])
        wanted_names = set(item['name'] for item in ipsets)
        unwanted = [name for name in sorted(permanent_ipsets) if name not in wanted_names]
        reasons = ['%s to disable' % item for item in replace]
        if skeleton:
            reasons.extend(firewalld_live.skeleton_differs(wanted, permanent_policy) or ['ipsets to create'])
        elif runtime_frame:
            reasons.append('the runtime configuration lacks what the permanent one holds: %s' % '; '.join(runtime_frame))
        reload_first = bool(skeleton or runtime_frame)
        # After that reload the runtime configuration holds the permanent one's rules and entries.
        live_policy, live_ipsets = (permanent_policy, permanent_ipsets) if reload_first else (runtime_policy, runtime_ipsets)
        runtime_changes = firewalld_live.content_changes(wanted, live_policy, ipsets, live_ipsets)
        permanent_changes = firewalld_live.content_changes(wanted, permanent_policy, ipsets, permanent_ipsets)
        reasons.extend(_summary(runtime_changes, 'runtime'))
        if permanent_changes and not runtime_changes:
            reasons.extend(_summary(permanent_changes, 'permanent'))
        reasons.extend('ipset %s is no longer used' % name for name in unwanted)
        current_record = host_files.read(p['record_path'])
        wanted_record = p['record']
        if not reasons and not record.same(current_record, wanted_record):
            reasons.append('record differs')
        result = {'changed': bool(reasons), 'reasons': reasons, 'pending': False,
                  'recorded': current_record is not None or not self.module.check_mode}
        if self.module._diff:
            result['diff'] = {'before': self.listing(live_policy, live_ipsets), 'after': self.listing(wanted, dict(
                (item['name'], item) for item in ipsets)), 'before_header': 'firewalld (runtime)',
                'after_header': 'firewalld (wanted)'}
        if self.module.check_mode or not reasons:
            return result

        work = change.Change(self.module, p['state_dir'], change.marker_path(p['record_path']))
        work.begin()
        if reload_first:
            # Inert until rules go in: the new policy accepts and drops nothing.
            for words in skeleton:
                rc, out, err = self.module.run_command(words, environ_update={'LANG': 'C', 'LC_ALL': 'C'})
                if rc != 0:
                    work.release()
                    self.module.fail_json(msg='%s failed: %s. The policy\'s rules were not changed.'
                                              % (' '.join(words), (err or out).strip()))
            rc, out, err = self.module.run_command([self.firewall_cmd, '--reload'])
            if rc != 0:
                work.release()
                self.module.fail_json(msg='firewall-cmd --reload failed: %s' % (err or out).strip())
        self.go_live(work, runtime_changes)
        if permanent_changes:
            for words in firewalld_live.change_commands(self.firewall_cmd, permanent_changes, permanent=True):
                work.keep({'run': words})
        for name in unwanted:
            work.keep({'run': [self.firewall_cmd, '--permanent', '--delete-ipset=%s' % name]})
        if permanent_changes:
            work.keep({'firewalld_runtime_sync': firewalld_view.POLICY})
        if backends.NFTABLES in replace:
            work.keep({'remove_nftables': {'table': 'bluemind_firewall', 'unit_path': p['nftables_files'][0],
                                           'ruleset_path': p['nftables_files'][1]}})
        if backends.UFW in replace:
            work.keep({'remove_ufw': True})
        work.keep({'write': p['record_path'], 'content': record.text(wanted_record), 'mode': host_files.PRIVATE})
        result.update(work.finish())
        result['recorded'] = not result['pending'] or current_record is not None
        return result

    def go_live(self, work, changes):
        """The changes to the runtime configuration, with their rollback armed; none: the commit follows at
        once. The undo is the inverse changes, which keep whatever else the runtime configuration holds
        and, unlike a reload (which drops new connections while firewalld rebuilds its rules), close nothing
        for a moment; should one fail, the permanent configuration, which still holds the state before
        the change, is reloaded."""
        for words in firewalld_live.change_commands(self.firewall_cmd, firewalld_live.inverse(changes)) if changes else []:
            work.on_rollback(words, 'undo')
        work.on_rollback([self.firewall_cmd, '--reload'], 'fallback')
        work.arm(self.params['confirm_timeout'] if changes else 0)
        try:
            for words in firewalld_live.change_commands(self.firewall_cmd, changes) if changes else []:
                work.run(words)
        except change.ChangeFailed as exc:
            work.roll_back(str(exc))

    @staticmethod
    def listing(policy, ipsets):
        if policy is None:
            return ''
        lines = ['ports: %s' % ' '.join(policy.get('ports') or [])] + list(policy.get('rich_rules') or [])
        for name in sorted(ipsets):
            lines.append('ipset %s: %s' % (name, ' '.join(ipsets[name].get('entries') or [])))
        return '\n'.join(lines) + '\n'

    def remove(self):
        """The policy and the collection's ipsets, runtime first, then permanently; the record."""
        p = self.params
        if not self.firewall_cmd or self.run(['--state'], check_rc=False)[0] != 0:
            policy, ipsets, runtime_policy = None, {}, None
        else:
            policy, ipsets = self.read(permanent=True)
            runtime_policy = self.read(permanent=False)[0]
        # Without a policy or ipset here, the record is left to the nftables backend's removal, which
        # follows (absent.yml).
        reasons = (['policy %s exists' % firewalld_view.POLICY] if policy or runtime_policy else []) + \
            ['ipset %s exists' % name for name in sorted(ipsets)]
        result = {'changed': bool(reasons), 'reasons': reasons, 'pending': False, 'recorded': False}
        if self.module.check_mode or not reasons:
            return result
        work = change.Change(self.module, p['state_dir'], change.marker_path(p['record_path']))
        work.begin()
        self.go_live(work, firewalld_live.content_changes({'ports': [], 'rich_rules': []}, runtime_policy, [], {}))
        if policy:
            work.keep({'run': [self.firewall_cmd, '--permanent', '--delete-policy=%s' % firewalld_view.POLICY]})
        for name in sorted(ipsets):
            work.keep({'run': [self.firewall_cmd, '--permanent', '--delete-ipset=%s' % name]})
        if policy or ipsets:
            work.keep({'remove_firewalld_backups': backends.firewalld_removal()})
            # The emptied runtime objects go with a reload of what is now the permanent configuration.
            work.keep({'run': [self.firewall_cmd, '--reload']})
        work.keep({'remove': p['record_path']})
        # Once empty: the nftables backend's files, when a switch left any, keep it for its own removal.
        work.keep({'remove_directory': os.path.dirname(p['record_path'])})
        result.update(work.finish())
        return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            policy=dict(type='dict'),
            ipsets=dict(type='list', elements='dict', default=[]),
            record=dict(type='dict'),
            record_path=dict(type='path', default='/etc/bluemind-firewall/policy.json'),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            backend_switch=dict(type='bool', default=False),
            nftables_files=dict(type='list', elements='path', default=[
                '/etc/systemd/system/bluemind-firewall.service', '/etc/bluemind-firewall/bluemind_firewall.nft']),
            confirm_timeout=dict(type='int', default=0),
            state_dir=dict(type='path', default=change.STATE_DIR),
        ),
        required_if=[('state', 'present', ('policy', 'record'))],
        supports_check_mode=True,
    )
    if module.params['state'] == 'present' and not module.get_bin_path('firewall-cmd'):
        module.fail_json(msg=backends.refusal({}, backends.FIREWALLD, False, 'bluemind_firewall'))
    module.exit_json(**FirewalldPolicy(module).apply())


if __name__ == '__main__':
    main()
