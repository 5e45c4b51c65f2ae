#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: bm_iptables
short_description: Turn off BlueMind's own firewall, bm-iptables, and give it back
version_added: 0.4.0
description:
  - BlueMind ships C(bm-iptables), which puts the chains C(bmhosts) and C(bmports) at the top of the
    C(INPUT) chain of iptables and ip6tables, and writes them again when BlueMind restarts or when the
    firewall page of its console is saved.
  - With O(state=disabled), stops, disables and masks C(bm-iptables.service) (so that BlueMind cannot
    start it again), then removes every C(INPUT) rule that jumps to those chains and the chains
    themselves, in both families. Other chains and rules are left alone. When it is this module that
    masks the unit, it leaves a marker (O(marker), root-owned, mode 0600) saying so, with the unit's
    state before (enabled or not, running or not).
  - With O(state=restored), gives bm-iptables back as it was before this module turned it off - unmasks
    the unit, enables it if it was enabled, starts it if it was running (which writes its chains again)
    - and removes the marker. A unit masked with no marker was masked by someone else (or by a version
    of the collection before 0.7.0, which left no marker) and stays masked, with a warning saying so.
  - The role P(bluemind.firewall.host_firewall#role) disables it only once its own rules are live and confirmed,
    so that the ports bm-iptables closed are never open in between; on removal, it restores it before it
    removes its own rules, so that the host is never left with no inbound filter.
author:
  - bluemind.firewall contributors !UNKNOWN
options:
  state:
    description:
      - V(disabled) turns bm-iptables off; V(restored) gives it back if this module had turned it off.
      - Leaving bm-iptables alone means not calling this module.
    type: str
    choices: [disabled, restored]
    default: disabled
  service:
    description: The systemd unit of bm-iptables.
    type: str
    default: bm-iptables.service
  chains:
    description: The chains of bm-iptables in the C(filter) table.
    type: list
    elements: str
    default: [bmhosts, bmports]
  marker:
    description:
      - The file that says that this module masked the unit, and the unit's state before.
      - Removed when the unit is restored.
    type: path
    default: /etc/bluemind-firewall/bm-iptables.disabled
    version_added: 0.7.0
attributes:
  check_mode:
    support: full
    description: Reports what would be stopped, removed or restored.
  diff_mode:
    support: full
    description: The unit's state (C(is-enabled), C(is-active)) and the marker, before and after.
    version_added: 0.7.0
  platform:
    platforms: posix
    support: full
    description: Linux with iptables (nf_tables or legacy) and systemd.
'''

EXAMPLES = r'''
- name: Turn off bm-iptables once the collection's rules are live
  bluemind.firewall.bm_iptables:
    state: disabled

- name: Give bm-iptables back before removing the collection's rules
  bluemind.firewall.bm_iptables:
    state: restored
  register: bm_iptables

- name: Say what was done
  ansible.builtin.debug:
    msg: "{{ bm_iptables.msg }}"
'''

RETURN = r'''
removed:
  description: The commands run to turn bm-iptables off (or, in check mode, that would run); empty with O(state=restored).
  returned: always
  type: list
  elements: str
  sample: ["systemctl mask bm-iptables.service", "iptables -D INPUT -j bmhosts", "iptables -F bmhosts", "iptables -X bmhosts"]
restored:
  description: The commands run to give bm-iptables back (or, in check mode, that would run); empty with O(state=disabled).
  returned: always
  type: list
  elements: str
  sample: ["systemctl unmask bm-iptables.service", "systemctl enable bm-iptables.service", "systemctl start bm-iptables.service"]
  version_added: 0.7.0
service:
  description: The unit's state before the run (C(systemctl is-enabled)), or V(not-found).
  returned: always
  type: str
marker:
  description: Whether the marker (O(marker)) is there after the run (in check mode, would be).
  returned: always
  type: bool
  version_added: 0.7.0
msg:
  description: What was done, in a sentence, and with O(state=restored) what filters the host's inbound traffic now.
  returned: always
  type: str
  sample: >-
    bm-iptables.service was turned off by bluemind.firewall: it was unmasked, enabled and started, and filters
    again.
  version_added: 0.7.0
'''

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bluemind.firewall.plugins.module_utils import host_files
# Read the same way by the plan (host_state), which predicts what keeping bm-iptables would do.
from ansible_collections.bluemind.firewall.plugins.module_utils.bm_iptables_conflict import jump_rules


def read_marker(path):
    """What the marker says of the unit before it was turned off ({} when unreadable), or None without one."""
    text = host_files.read(path)
    if text is None:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def restore_commands(systemctl, service, unit_state, active, before):
    """What gives the unit back as the marker says it was. A marker that says nothing (unreadable)
    stands for BlueMind's own setting: enabled and running."""
    commands = []
    if unit_state == 'masked':
        commands.append([systemctl, 'unmask', service])
    if before.get('enabled', 'enabled') == 'enabled' and unit_state != 'enabled':
        commands.append([systemctl, 'enable', service])
    if before.get('active', True) and not active:
        commands.append([systemctl, 'start', service])
    return commands


def shown(commands):
    return [' '.join([os.path.basename(words[0])] + [word for word in words[1:] if word != '-w']) for words in commands]


class BmIptables(object):
    def __init__(self, module):
        self.module = module
        self.service = module.params['service']
        self.marker = module.params['marker']
        self.systemctl = module.get_bin_path('systemctl', required=True)

    def unit(self):
        """(is-enabled, whether it exists, whether it is active, its FragmentPath)."""
        dummy, out, dummy = self.module.run_command([self.systemctl, 'is-enabled', self.service])
        unit_state = out.strip() or 'not-found'
        dummy, out, dummy = self.module.run_command([self.systemctl, 'show', '-p', 'LoadState', '-p', 'FragmentPath',
                                                     self.service])
        shown_unit = dict(line.split('=', 1) for line in out.splitlines() if '=' in line)
        exists = shown_unit.get('LoadState', '') not in ('', 'not-found')
        active = self.module.run_command([self.systemctl, 'is-active', '--quiet', self.service])[0] == 0
        return unit_state, exists, active, shown_unit

    def run(self, commands, key):
        if self.module.check_mode:
            return
        for words in commands:
            rc, out, err = self.module.run_command(words)
            if rc != 0:
                self.module.fail_json(msg='%s failed: %s' % (' '.join(words), (err or out).strip()),
                                      **{key: shown(commands)})

    def diff(self, unit_state, active, marker_before, after_state, after_active, marker_after):
        def text(state, running, marker):
            return '%s: %s, %s\n%s: %s\n' % (self.service, state, 'active' if running else 'inactive', self.marker,
                                             'present' if marker else 'absent')
        return {'before_header': self.service, 'after_header': self.service,
                'before': text(unit_state, active, marker_before), 'after': text(after_state, after_active, marker_after)}

    def disable(self):
        chains = self.module.params['chains']
        unit_state, exists, active, shown_unit = self.unit()
        masked = shown_unit.get('LoadState') == 'masked'
        if exists and not masked and shown_unit.get('FragmentPath', '').startswith('/etc/systemd/system/'):
            # systemctl mask writes a link to /dev/null there, and will not replace a real file.
            self.module.fail_json(msg='%s is defined in %s, where systemctl mask cannot replace it; nothing was changed. '
                                      'Move it or mask it by hand, then run again.' % (self.service, shown_unit['FragmentPath']))
        commands = []
        if exists and (unit_state != 'masked' or active):
            commands += [[self.systemctl, 'stop', self.service], [self.systemctl, 'disable', self.service],
                         [self.systemctl, 'mask', self.service]]
        for tool in ('iptables', 'ip6tables'):
            path = self.module.get_bin_path(tool)
            if not path:
                continue
            rc, listing, dummy = self.module.run_command([path, '-w', '-S', 'INPUT'])
            commands += [[path, '-w', '-D', 'INPUT'] + spec for spec in jump_rules(listing if rc == 0 else '', chains)]
            present = [chain for chain in chains if self.module.run_command([path, '-w', '-S', chain])[0] == 0]
            # Flushed all before any is deleted: one may jump to another.
            commands += [[path, '-w', '-F', chain] for chain in present] + [[path, '-w', '-X', chain] for chain in present]
        had_marker = os.path.exists(self.marker)
        # Only a unit this module masks is one that removal gives back: a unit found masked was
        # masked by someone else, who decides when it comes back. Written before the unit is touched:
        # a run that fails half-way still leaves the removal what it needs to give it back.
        write_marker = exists and unit_state != 'masked' and not had_marker
        if write_marker and not self.module.check_mode:
            host_files.write(self.module, self.marker, json.dumps({'service': self.service, 'enabled': unit_state,
                                                                   'active': active, 'at': time.time()}) + '\n',
                             host_files.PRIVATE)
        self.run(commands, 'removed')
        result = {'changed': bool(commands) or write_marker, 'removed': shown(commands), 'restored': [],
                  'service': unit_state, 'marker': had_marker or write_marker,
                  'msg': ('%s was turned off%s.' % (self.service, ' (masked)' if exists else '') if commands else
                          '%s is off.' % self.service)}
        if self.module._diff:
            result['diff'] = self.diff(unit_state, active, had_marker, 'masked' if exists else unit_state, False,
                                       had_marker or write_marker)
        return result

    def restore(self):
        unit_state, exists, active, dummy = self.unit()
        before = read_marker(self.marker)
        result = {'changed': False, 'removed': [], 'restored': [], 'service': unit_state, 'marker': False}
        if before is None:
            if unit_state == 'masked':
                result['msg'] = ('%s is masked, and not by bluemind.firewall (no %s): it stays masked, and the host '
                                 'keeps no inbound filter of bm-iptables. To give it back: systemctl unmask %s && '
                                 'systemctl enable --now %s' % (self.service, self.marker, self.service, self.service))
                self.module.warn(result['msg'])
            elif not exists:
                result['msg'] = '%s is not installed: nothing to give back.' % self.service
            else:
                result['msg'] = '%s was not turned off by bluemind.firewall: it is left as it is (%s, %s).' % (
                    self.service, unit_state, 'active' if active else 'inactive')
            if self.module._diff:
                result['diff'] = self.diff(unit_state, active, False, unit_state, active, False)
            return result
        commands = restore_commands(self.systemctl, self.service, unit_state, active, before) if exists else []
        self.run(commands, 'restored')
        if not self.module.check_mode:
            os.remove(self.marker)
        result.update(changed=True, restored=shown(commands))
        done = [word for word, verb in (('unmasked', 'unmask'), ('enabled', 'enable'), ('started', 'start'))
                if any(words[1] == verb for words in commands)]
        if not exists:
            result['msg'] = '%s was turned off by bluemind.firewall and is not installed any more.' % self.service
        elif done:
            result['msg'] = ('%s, turned off by bluemind.firewall, was %s%s.'
                             % (self.service, ', '.join(done[:-1]) + ' and ' + done[-1] if len(done) > 1 else done[0],
                                ': it writes its chains again' if 'started' in done else ''))
        else:
            result['msg'] = '%s, turned off by bluemind.firewall, was already back as it was found.' % self.service
        if self.module._diff:
            after_state = 'enabled' if 'enabled' in done else (
                before.get('enabled', 'disabled') if unit_state == 'masked' else unit_state)
            result['diff'] = self.diff(unit_state, active, True, after_state, active or 'started' in done, False)
        return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['disabled', 'restored'], default='disabled'),
            service=dict(type='str', default='bm-iptables.service'),
            chains=dict(type='list', elements='str', default=['bmhosts', 'bmports']),
            marker=dict(type='path', default='/etc/bluemind-firewall/bm-iptables.disabled'),
        ),
        supports_check_mode=True,
    )
    firewall = BmIptables(module)
    module.exit_json(**(firewall.restore() if module.params['state'] == 'restored' else firewall.disable()))


if __name__ == '__main__':
    main()
