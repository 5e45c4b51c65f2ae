#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: confirm
short_description: Confirm a firewall change over a new connection, or let the host roll it back
version_added: 0.4.0
description:
  - A step of the role P(bluemind.firewall.host_firewall#role), documented so that its results can be read;
    not meant to be called on its own. Its options and results follow the role and may change with it.
  - The second half of a commit-confirmed change made by M(bluemind.firewall.nftables_table) or
    M(bluemind.firewall.ufw_rules) with O(bluemind.firewall.nftables_table#module:confirm_timeout) set.
    Those modules put the new rules live and start a timer on the host that restores the previous rules
    unless the change is confirmed in time.
  - On the controller, the action closes Ansible's connection to the host (with SSH, the ControlPersist
    master too) and opens a new one, so that the new rules must let a new connection in, not only the
    one that was already established. It retries until O(timeout) seconds have passed since the change.
  - On the host, it makes the change permanent (boot files, the record, removing a replaced backend),
    then stops the timer, under the lock the rollback takes, so that a confirmation and the timer
    cannot both win; a commit step that fails leaves the timer to restore the previous rules and the
    files already committed.
  - A change that the host no longer knows (it restarted within the window, which empties C(/run))
    fails the task, saying what is in force now (the rules the host booted with, those of the record).
  - When no new connection was made in time, the host restores the previous rules by itself; the action
    then waits for the host to come back and fails with a message saying that the change was rolled
    back and why.
author:
  - bluemind.firewall contributors !UNKNOWN
options:
  timeout:
    description:
      - Seconds after the change (as the apply module reported it) during which a confirmation is tried;
        the host's timer has the same length. Use the value given to the apply module.
    type: int
    required: true
  grace:
    description:
      - Seconds to keep trying to reach the host after O(timeout), to find out whether it rolled back.
    type: int
    default: 30
  action:
    description:
      - V(confirm) commits a pending change. V(roll_back) restores the rules in force before it at once;
        the action uses it when the host answers only after O(timeout).
    type: str
    choices: [confirm, roll_back]
    default: confirm
  reason:
    description: With O(action=roll_back), why; kept on the host and reported.
    type: str
    default: rolled back on request
  armed_at:
    description:
      - When the change to confirm was armed, as the apply module returned it (RV(bluemind.firewall.nftables_table#module:armed_at)).
        A change marker of another change is then left alone.
    type: float
  record_path:
    description: The policy record; the change marker lives beside it, and it says what is in force after a restart.
    type: path
    default: /etc/bluemind-firewall/policy.json
extends_documentation_fragment:
  - bluemind.firewall.change
attributes:
  check_mode:
    support: none
    description: There is never a pending change in check mode; the role skips this step then.
  diff_mode:
    support: none
    description: The change was shown by the module that applied it.
  platform:
    platforms: posix
    support: full
    description: Linux with systemd.
notes:
  - The state of a pending change lives in C(/run/bluemind-firewall), which a reboot empties along with
    the timer; the boot files then still hold the previous rules (with ufw, its own files already hold
    the new ones).
'''

EXAMPLES = r'''
# Not called on its own: the role runs it after applying, when bluemind_firewall_confirm is true.
- name: Apply BlueMind's firewall with a 60-second confirmation window (this module is one of the role's steps)
  ansible.builtin.include_role:
    name: bluemind.firewall.host_firewall
  vars:
    bluemind_firewall_confirm: true
    bluemind_firewall_rollback_timeout: 60
'''

RETURN = r'''
confirmed:
  description: Whether a pending change was committed.
  returned: always
  type: bool
  sample: true
armed_at:
  description: When the confirmed change went live (seconds since the epoch, host clock).
  returned: when a change was confirmed
  type: float
attempts:
  description: How many connections the controller tried before one worked.
  returned: always
  type: int
  sample: 1
rolled_back:
  description: When and why the host restored the previous rules (keys C(at), C(reason), C(status)).
  returned: when the change was rolled back
  type: dict
'''

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bluemind.firewall.plugins.module_utils import change, host_files, policy


def main():
    module = AnsibleModule(
        argument_spec=dict(
            timeout=dict(type='int', required=True),
            grace=dict(type='int', default=30),
            action=dict(type='str', choices=['confirm', 'roll_back'], default='confirm'),
            reason=dict(type='str', default='rolled back on request'),
            armed_at=dict(type='float'),
            record_path=dict(type='path', default='/etc/bluemind-firewall/policy.json'),
            state_dir=dict(type='path', default=change.STATE_DIR),
        ),
        supports_check_mode=False,
    )
    confirmation = change.Confirmation(module, module.params['state_dir'],
                                       change.marker_path(module.params['record_path']))
    if module.params['action'] == 'roll_back':
        confirmation.roll_back(module.params['reason'])
    else:
        pending = confirmation.confirm()
        if pending is not None:
            module.exit_json(changed=True, confirmed=True, armed_at=pending.get('armed_at'))
    rolled_back = change.rolled_back(module.params['state_dir'])
    if rolled_back is not None:
        module.fail_json(msg='The firewall change was rolled back at %s: %s.' % (rolled_back['at'], rolled_back['reason']),
                         confirmed=False, rolled_back=rolled_back)
    lost = confirmation.lost(module.params['armed_at'])
    if lost is not None and lost['state'] == change.ROLLED_BACK:
        module.fail_json(msg='The firewall change was rolled back at %s: %s.' % (lost['at'], lost['reason']),
                         confirmed=False, rolled_back={'at': lost['at'], 'reason': lost['reason'], 'status': ''})
    if lost is not None:
        module.fail_json(msg='The host restarted (or /run was emptied) while the firewall change armed at %s waited for '
                             'its confirmation: the change is lost. In force now: %s. Run the playbook again to apply '
                             'the change.' % (change.time_text(lost['armed_at']), in_force(module.params['record_path'])),
                         confirmed=False, restarted=True)
    module.exit_json(changed=False, confirmed=False, msg='no firewall change waits for confirmation')


def in_force(record_path):
    """What the host loads at boot, in words, from the record of the last confirmed change."""
    text = host_files.read(record_path)
    if text is None:
        return ('no bluemind.firewall rules: this was the first change on this host, and the host boots '
                'without the collection\'s rules, as before it')
    try:
        record = json.loads(text)
    except ValueError:
        return 'the rules of the last confirmed change (the record %s cannot be read)' % record_path
    return 'the policy of the last confirmed change (%s, %s backend): %s' % (
        record_path, record.get('backend', 'nftables'), policy.summary(record))


if __name__ == '__main__':
    main()
