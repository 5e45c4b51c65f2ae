#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: fail2ban_action
short_description: Make fail2ban's jails ban into the collection's nftables ban sets or ufw, or stop them doing so
version_added: 0.7.0
description:
  - A step of the role P(bluemind.firewall.host_firewall#role) (C(bluemind_firewall_fail2ban_action)), documented
    so that its results can be read; not meant to be called on its own.
  - With O(state=present), installs fail2ban's action C(bluemind-firewall)
    (C(/etc/fail2ban/action.d/bluemind-firewall.conf)), the program it runs
    (C(/usr/local/sbin/bluemind-firewall-fail2ban)) and one drop-in, C(/etc/fail2ban/jail.d/zz-bluemind-firewall.local),
    that sets C(banaction) in C([DEFAULT]), so that the jails that take fail2ban's banaction put their bans into the
    ban sets of the collection's nftables table (C(bans_v4), C(bans_v6)) or, with O(backend=ufw), into ufw deny rules
    put before all others and commented C(fail2ban JAIL). No other fail2ban file is touched.
  - With O(state=absent), removes those three files.
  - fail2ban's jails are restarted (C(fail2ban-client reload --restart)) when a file changed and fail2ban runs; they
    put their live bans back through the action they now take.
author:
  - bluemind.firewall contributors !UNKNOWN
options:
  state:
    description: Whether the action and its drop-in are installed.
    type: str
    choices: [present, absent]
    default: present
  helper:
    description: The text of the program the action runs (the role's C(files/bluemind-firewall-fail2ban)). Required with O(state=present).
    type: str
  backend:
    description: The collection's backend, whose rules take the bans.
    type: str
    choices: [nftables, ufw]
    default: nftables
attributes:
  check_mode:
    support: full
    description: Reports which files would be written or removed.
  diff_mode:
    support: full
    description: Each file written or removed, before and after.
  platform:
    platforms: posix
    support: full
    description: Linux with fail2ban (Debian's package) for O(state=present).
'''

EXAMPLES = r'''
- name: Make fail2ban ban into the collection's ban sets
  bluemind.firewall.fail2ban_action:
    helper: "{{ lookup('ansible.builtin.file', 'bluemind-firewall-fail2ban') }}"

- name: Make fail2ban ban through ufw deny rules
  bluemind.firewall.fail2ban_action:
    helper: "{{ lookup('ansible.builtin.file', 'bluemind-firewall-fail2ban') }}"
    backend: ufw

- name: Give fail2ban its own banaction back
  bluemind.firewall.fail2ban_action:
    state: absent
'''

RETURN = r'''
files:
  description: The files written (O(state=present)) or removed (O(state=absent)).
  returned: always
  type: list
  elements: str
reloaded:
  description: Whether fail2ban's jails were restarted.
  returned: always
  type: bool
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bluemind.firewall.plugins.module_utils import fail2ban, host_files


def running(module):
    client = module.get_bin_path('fail2ban-client')
    if not client:
        return None
    rc, dummy, dummy = module.run_command([client, 'ping'])
    return client if rc == 0 else None


def main():
    module = AnsibleModule(
        argument_spec=dict(state=dict(type='str', choices=['present', 'absent'], default='present'),
                           helper=dict(type='str'),
                           backend=dict(type='str', choices=['nftables', 'ufw'], default='nftables')),
        required_if=[('state', 'present', ['helper'])],
        supports_check_mode=True,
    )
    present = module.params['state'] == 'present'
    if present and not module.get_bin_path('fail2ban-client'):
        module.fail_json(msg=fail2ban.refusal(True, module.params['backend'], False))
    changed = []
    diffs = []

    def put(path, content, mode):
        """Write (present) or remove (absent) one file, noting the change and its diff."""
        current = host_files.read(path)
        if present and (current != content or host_files.wrong_attributes(path, mode)):
            diffs.append({'before_header': path, 'after_header': path, 'before': current or '', 'after': content})
            changed.append(path)
            if not module.check_mode:
                host_files.write(module, path, content, mode)
        elif not present and os.path.lexists(path):
            diffs.append({'before_header': path, 'after_header': path, 'before': current or '', 'after': ''})
            changed.append(path)
            if not module.check_mode:
                os.unlink(path)

    installed = fail2ban.files(module.params['helper'] or '', module.params['backend'])
    # Removing, the program goes last, after the jails' restart, which lifts their bans through it (ufw's
    # deny rules would stay behind otherwise).
    last = [] if present else [item for item in installed if item[0] == fail2ban.HELPER_PATH]
    for item in installed:
        if item not in last:
            put(*item)
    reloaded = False
    if changed and not module.check_mode:
        client = running(module)
        if client:
            rc, out, err = module.run_command([client] + fail2ban.RESTART_JAILS)
            if rc != 0:
                module.fail_json(msg='fail2ban-client reload --restart failed: %s' % (err or out).strip(), files=changed)
            reloaded = True
    for item in last:
        put(*item)
    result = dict(changed=bool(changed), files=changed, reloaded=reloaded)
    if module._diff and diffs:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
