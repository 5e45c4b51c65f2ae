#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: bm_iptables
short_description: Turn off BlueMind's own firewall, bm-iptables
version_added: 0.4.0
description:
  - BlueMind ships C(bm-iptables), which puts the chains C(bmhosts) and C(bmports) at the top of the
    C(INPUT) chain of iptables and ip6tables, and writes them again when BlueMind restarts or when the
    firewall page of its console is saved.
  - With O(state=disabled), stops, disables and masks C(bm-iptables.service) (so that BlueMind cannot
    start it again), then removes every C(INPUT) rule that jumps to those chains and the chains
    themselves, in both families. Other chains and rules are left alone.
  - The role P(bluemind.firewall.host_firewall#role) runs it only once its own rules are live and confirmed,
    so that the ports bm-iptables closed are never open in between.
author:
  - bluemind.firewall contributors !UNKNOWN
options:
  state:
    description: V(disabled) is the only state; leaving bm-iptables alone means not calling this module.
    type: str
    choices: [disabled]
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
attributes:
  check_mode:
    support: full
    description: Reports what would be stopped and removed.
  diff_mode:
    support: none
    description: Nothing to show beyond the commands in RV(removed).
  platform:
    platforms: posix
    support: full
    description: Linux with iptables (nf_tables or legacy) and systemd.
'''

EXAMPLES = r'''
- name: Turn off bm-iptables once the collection's rules are live
  bluemind.firewall.bm_iptables:
    state: disabled
'''

RETURN = r'''
removed:
  description: The iptables commands run (or, in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: ["iptables -D INPUT -j bmhosts", "iptables -F bmhosts", "iptables -X bmhosts"]
service:
  description: The unit's state before the run (C(systemctl is-enabled)), or V(not-found).
  returned: always
  type: str
'''

import os
import shlex

from ansible.module_utils.basic import AnsibleModule


def jump_rules(listing, chains):
    """The `-A INPUT ...` specs of `iptables -S INPUT` that jump or go to one of chains."""
    found = []
    for line in listing.splitlines():
        words = shlex.split(line)
        if words[:2] != ['-A', 'INPUT']:
            continue
        for flag in ('-j', '-g'):
            if flag in words and words.index(flag) + 1 < len(words) and words[words.index(flag) + 1] in chains:
                found.append(words[2:])
                break
    return found


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['disabled'], default='disabled'),
            service=dict(type='str', default='bm-iptables.service'),
            chains=dict(type='list', elements='str', default=['bmhosts', 'bmports']),
        ),
        supports_check_mode=True,
    )
    service, chains = module.params['service'], module.params['chains']
    systemctl = module.get_bin_path('systemctl', required=True)
    dummy, out, dummy = module.run_command([systemctl, 'is-enabled', service])
    unit_state = out.strip() or 'not-found'
    rc, out, dummy = module.run_command([systemctl, 'show', '-p', 'LoadState', '-p', 'FragmentPath', service])
    shown = dict(line.split('=', 1) for line in out.splitlines() if '=' in line)
    exists = shown.get('LoadState', '') not in ('', 'not-found')
    masked = shown.get('LoadState') == 'masked'
    if exists and not masked and shown.get('FragmentPath', '').startswith('/etc/systemd/system/'):
        # systemctl mask writes a link to /dev/null there, and will not replace a real file.
        module.fail_json(msg='%s is defined in %s, where systemctl mask cannot replace it; nothing was changed. '
                             'Move it or mask it by hand, then run again.' % (service, shown['FragmentPath']))
    active = module.run_command([systemctl, 'is-active', '--quiet', service])[0] == 0
    commands = []
    if exists and (unit_state != 'masked' or active):
        commands += [[systemctl, 'stop', service], [systemctl, 'disable', service], [systemctl, 'mask', service]]
    for tool in ('iptables', 'ip6tables'):
        path = module.get_bin_path(tool)
        if not path:
            continue
        rc, listing, dummy = module.run_command([path, '-w', '-S', 'INPUT'])
        commands += [[path, '-w', '-D', 'INPUT'] + spec for spec in jump_rules(listing if rc == 0 else '', chains)]
        present = [chain for chain in chains if module.run_command([path, '-w', '-S', chain])[0] == 0]
        # Flushed all before any is deleted: one may jump to another.
        commands += [[path, '-w', '-F', chain] for chain in present] + [[path, '-w', '-X', chain] for chain in present]
    shown = [' '.join([os.path.basename(words[0])] + [word for word in words[1:] if word != '-w']) for words in commands]
    if not module.check_mode:
        for words in commands:
            rc, out, err = module.run_command(words)
            if rc != 0:
                module.fail_json(msg='%s failed: %s' % (' '.join(words), (err or out).strip()), removed=shown)
    module.exit_json(changed=bool(commands), removed=shown, service=unit_state)


if __name__ == '__main__':
    main()
