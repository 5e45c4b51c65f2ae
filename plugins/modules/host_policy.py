#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: host_policy
short_description: Check a BlueMind host's firewall settings, compute its policy and render its ruleset
version_added: 0.1.0
description:
  - A step of the role P(bluemind.firewall.host_firewall#role), documented so that its results can be read;
    not meant to be called on its own. Its options and results follow the role and may change with it.
  - Runs on the controller and changes nothing. Its options mirror the role's variables without their
    C(bluemind_firewall_) prefix; the role gives them with O(role_variables).
  - Fails on bad input with a message naming the variable and the value. A refusal stops the hosts of
    this host's installation (the role's next steps skip them), not the other installations.
author:
  - bluemind.firewall contributors !UNKNOWN
options:
  role_variables:
    description:
      - Read every option not given from the host's variable of the same name with the prefix
        C(bluemind_firewall_) (O(port_table) from C(bluemind_firewall_port_table), O(ansible_port) from
        C(ansible_port), and the nftables paths C(nft) and C(ruleset_path) from the OS family's
        C(__bluemind_firewall_nft) and C(__bluemind_firewall_ruleset_path)). A value that holds a template is
        templated; the port table never is, being the role's data.
      - The role's way of passing its settings. One templated option per setting costs Ansible a template
        compilation per setting and per host (no compiled template outlives a worker process), more than
        the plan itself on a large inventory (benchmarks/installations_plan.py).
    type: bool
    default: false
    version_added: 0.6.0
  installation_from:
    description:
      - The name of the variable that holds the registered result of M(bluemind.firewall.cluster_addresses);
        this host's installation is taken from it as O(cluster), without walking the other installations.
    type: str
    version_added: 0.6.0
  firewalls_from:
    description:
      - The name of the variable that holds the registered result of M(bluemind.firewall.host_state) run on
        this host. When given, a backend that cannot start beside what runs there (firewalld active or
        enabled, ufw active under V(nftables), the collection's table loaded under V(ufw), without
        O(backend_switch)) refuses the host here, before any host of its installation changes.
    type: str
    version_added: 0.7.0
  port_table:
    description: BlueMind's port table, the role's data file. Required unless O(role_variables) finds it.
    type: list
    elements: dict
  cluster:
    description:
      - The entry of this host's installation in what M(bluemind.firewall.cluster_addresses) returned for the
        play (C(installations[installation_of[inventory_hostname]])); its C(errors) refuse the host.
      - Required unless O(installation_from) is given.
    type: dict
  nftables:
    description: Templates and paths for the nftables files (keys C(ruleset_template), C(boot_unit_template), C(nft), C(ruleset_path)).
    type: dict
    required: true
  backend:
    description: See the role's C(bluemind_firewall_backend).
    type: str
    default: nftables
  bluemind_version:
    description: See the role's C(bluemind_firewall_bluemind_version).
    type: int
    default: 4
    version_added: 0.7.0
  optional_services:
    description: See the role's C(bluemind_firewall_optional_services).
    type: list
    elements: str
  public:
    description: See the role's C(bluemind_firewall_public).
    type: bool
    default: true
  cluster_group:
    description: The host's C(bluemind_firewall_cluster_group); must be the group that O(cluster) was resolved for.
    type: str
  cluster_sources:
    description: See the role's C(bluemind_firewall_cluster_sources).
    type: list
    elements: str
  admin_sources:
    description: See the role's C(bluemind_firewall_admin_sources).
    type: list
    elements: str
  ssh_port:
    description: See the role's C(bluemind_firewall_ssh_port).
    type: raw
  allow_lockout:
    description:
      - Apply a policy that would refuse Ansible's own SSH connection (a warning instead of a failure).
      - See the role's C(bluemind_firewall_allow_lockout).
    type: bool
    default: false
    version_added: 0.4.0
  ssh_connection:
    description:
      - C(SSH_CONNECTION) as the host sees Ansible's session (client address and port, server address and
        port). By default read on the host, without become, when the connection is SSH; empty otherwise.
      - Its client address must be allowed to reach its server port by the policy, else the action fails
        unless O(allow_lockout). Its server port is also the default SSH port.
    type: str
  ansible_port:
    description: The host's C(ansible_port).
    type: raw
  extra_public_ports:
    description: See the role's C(bluemind_firewall_extra_public_ports).
    type: list
    elements: dict
  extra_internal_ports:
    description: See the role's C(bluemind_firewall_extra_internal_ports).
    type: list
    elements: dict
  extra_rules:
    description: See the role's C(bluemind_firewall_extra_rules).
    type: list
    elements: dict
    version_added: 0.4.0
  log_drops:
    description: See the role's C(bluemind_firewall_log_drops).
    type: bool
    default: true
    version_added: 0.4.0
  exposure:
    description: See the role's C(bluemind_firewall_exposure).
    type: dict
    version_added: 0.7.0
  fail2ban_action:
    description: See the role's C(bluemind_firewall_fail2ban_action).
    type: bool
    default: false
    version_added: 0.7.0
  confirm:
    description: The role's C(bluemind_firewall_confirm), read here so that a bad value stops every host before any change.
    type: bool
    default: true
    version_added: 0.4.0
  rollback_timeout:
    description: The role's C(bluemind_firewall_rollback_timeout), read the same way.
    type: int
    default: 60
    version_added: 0.4.0
  backend_switch:
    description: The role's C(bluemind_firewall_backend_switch), read the same way.
    type: bool
    default: false
    version_added: 0.4.0
  bm_iptables:
    description:
      - The role's C(bluemind_firewall_bm_iptables), read the same way. V(disable), its former spelling, is
        still read, with a deprecation warning, until 0.7.0.
      - With O(firewalls_from), V(keep) refuses the host when bm-iptables runs there and keeping it beside the
        policy would make the check after the change fail on one of O(verify_fail_on).
    type: str
    choices: [keep, disabled, disable]
    default: disabled
    version_added: 0.5.0
  verify_fail_on:
    description: The role's C(bluemind_firewall_verify_fail_on), read the same way.
    type: list
    elements: str
    choices: [exposed, blocked, unknown, banned]
    default: [exposed, blocked, unknown]
    version_added: 0.5.0
  verify:
    description:
      - The role's former name of O(verify_fail_on), C(bluemind_firewall_verify); when given, it is used
        instead, with a deprecation warning, until 0.7.0.
    type: list
    elements: str
    choices: [exposed, blocked, unknown, banned]
    version_added: 0.5.0
extends_documentation_fragment:
  - bluemind.firewall.controller_step
'''

EXAMPLES = r'''
# Not called on its own: the role runs it, with the role's variables, before any change.
- name: Apply BlueMind's firewall (this module is one of the role's steps)
  ansible.builtin.include_role:
    name: bluemind.firewall.host_firewall
'''

RETURN = r'''
policy_json:
  description:
    - The resolved policy as JSON text, as recorded on the host in C(/etc/bluemind-firewall/policy.json).
    - Text rather than a structure, so that large clusters stay cheap for Ansible to pass around.
  returned: success
  type: str
nftables:
  description: The rendered table (C(table), C(ruleset)), boot unit (C(boot_unit)) and last-resort policy
    (C(fallback), with C(nft), C(ipv4) and C(ipv6)) loaded at boot when no ruleset loads.
  returned: success
  type: dict
ufw:
  description: With the ufw backend, its rules (C(rules)) and the last-resort policy that C(ufw.service) loads when
    its start fails (C(fallback), with C(ipv4) and C(ipv6), iptables-restore input).
  returned: success
  type: dict
switches:
  description:
    - C(confirm_timeout) (seconds, 0 without confirmation), C(backend_switch), C(log_drops) and
      C(fail2ban_action) (booleans), C(bm_iptables) (V(keep) or V(disabled)) and C(verify_fail_on) (a list), as the apply
      steps take them, old spellings read as the new ones. Booleans and integers are read with Ansible's own spellings (C("false"), C("30")).
  returned: success
  type: dict
  version_added: 0.4.0
'''
