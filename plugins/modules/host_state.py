#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: host_state
short_description: Read which firewalls already run on a host and which BlueMind it runs, changing nothing
version_added: 0.7.0
description:
  - A step of the role P(bluemind.firewall.host_firewall#role). Its plan reads every host with it before any
    host of an installation changes, so that a host where the chosen backend cannot start (firewalld active
    or enabled, ufw active under the nftables backend, the collection's nftables table loaded under the ufw
    backend, without C(bluemind_firewall_backend_switch)), or where BlueMind's bm-iptables kept beside the policy
    would make its check fail, stops its installation before any change, and so that the BlueMind version is
    read from the host when C(bluemind_firewall_bluemind_version) is not set.
  - Runs C(systemctl is-active) and C(is-enabled) for firewalld and bm-iptables, C(ufw status), C(nft list table),
    C(iptables -S) and C(ip6tables -S) for bm-iptables' chains, and
    C(dpkg-query) (or C(rpm -q)) for BlueMind's packages; writes nothing.
author:
  - bluemind.firewall contributors !UNKNOWN
options:
  table:
    description: The name of the collection's nftables table (family C(inet)).
    type: str
    default: bluemind_firewall
attributes:
  check_mode:
    support: full
    description: Runs the same way; it never changes anything.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
  platform:
    platforms: posix
    support: full
    description: Linux with systemd.
'''

EXAMPLES = r'''
- name: Read the firewalls that already run on the host
  bluemind.firewall.host_state: {}
  register: host_state

- name: Say whether ufw is active
  ansible.builtin.debug:
    msg: "ufw is {{ 'active' if host_state.ufw_active else 'not active' }}"
'''

RETURN = r'''
firewalld_active:
  description: Whether firewalld runs (C(systemctl is-active firewalld)).
  returned: always
  type: bool
firewalld_enabled:
  description: Whether firewalld starts at boot (C(systemctl is-enabled firewalld)).
  returned: always
  type: bool
ufw_active:
  description: Whether C(ufw status) says active.
  returned: always
  type: bool
table_loaded:
  description: Whether the collection's nftables table (C(inet) O(table)) is loaded.
  returned: always
  type: bool
bm_iptables:
  description:
    - What of BlueMind's bm-iptables runs on the host, C(bm-iptables.service) and its chains in C(iptables) and
      C(ip6tables).
  returned: always
  type: dict
  contains:
    active:
      description: Whether C(bm-iptables.service) runs.
      type: bool
    enabled:
      description: Whether C(bm-iptables.service) starts at boot.
      type: bool
    chains:
      description: The chains of bm-iptables (C(bmhosts), C(bmports)) that C(INPUT) jumps to.
      type: list
      elements: str
    trusted:
      description: The sources its chain C(bmhosts) accepts on every port; null when the chain is not loaded.
      type: list
      elements: str
  sample: {"active": true, "enabled": true, "chains": ["bmhosts"], "trusted": ["192.0.2.11/32"]}
programs:
  description:
    - Whether each backend's program (C(nft), C(ufw)) is installed, by backend name, and whether fail2ban
      (C(fail2ban-client)) is, under C(fail2ban).
  returned: always
  type: dict
  sample: {"nftables": true, "ufw": false, "fail2ban": false}
bluemind_packages:
  description:
    - The version of each of BlueMind's packages that say what a host is (C(bm-core), C(bm-full) and the role
      packages C(bm-edge-role), C(bm-mailbox-role), C(bm-ldap-role)) installed on the host; empty without BlueMind.
  returned: always
  type: dict
  sample: {"bm-core": "5.1.3-1", "bm-full": "5.1.3-1"}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bluemind.firewall.plugins.module_utils import (
    backends, bluemind_packages, bm_iptables_conflict)


def installed_bluemind_packages(module):
    names = list(bluemind_packages.PACKAGES)
    dpkg_query = module.get_bin_path('dpkg-query')
    if dpkg_query:
        # Exits 1 when one of the names is unknown, and still lists the others.
        dummy, out, dummy = module.run_command([dpkg_query, '-W', '-f', '${Package}\t${Version}\t${db:Status-Status}\n']
                                               + names, environ_update={'LANG': 'C', 'LC_ALL': 'C'})
        return bluemind_packages.read_dpkg(out)
    rpm = module.get_bin_path('rpm')
    if rpm:
        dummy, out, dummy = module.run_command([rpm, '-q', '--qf', '%{NAME}\t%{VERSION}\n'] + names,
                                               environ_update={'LANG': 'C', 'LC_ALL': 'C'})
        return bluemind_packages.read_rpm(out)
    return {}


def main():
    module = AnsibleModule(argument_spec=dict(table=dict(type='str', default='bluemind_firewall')),
                           supports_check_mode=True)
    module.exit_json(changed=False, bluemind_packages=installed_bluemind_packages(module),
                     bm_iptables=bm_iptables_conflict.state(module),
                     programs=dict((name, bool(module.get_bin_path(program)))
                                   for name, program in (('nftables', 'nft'), ('ufw', 'ufw'), ('fail2ban', 'fail2ban-client'))),
                     **backends.firewall_state(module, module.params['table']))


if __name__ == '__main__':
    main()
