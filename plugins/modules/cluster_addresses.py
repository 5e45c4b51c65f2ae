#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: cluster_addresses
short_description: Resolve the addresses of every host of a BlueMind cluster group
version_added: 0.1.0
description:
  - A step of the role P(bluemind.firewall.host_firewall#role), documented so that its results can be read;
    not meant to be called on its own. Its options and results follow the role and may change with it.
  - Runs on the controller. Meant to run once per play (C(run_once)); its result is what every
    host's M(bluemind.firewall.host_policy) uses, so peer addresses are computed once, not once per host.
  - A host's addresses are its C(bluemind_firewall_address) (an IP literal or a list of them), else
    C(ansible_default_ipv4.address) and C(ansible_default_ipv6.address) from its facts, gathered in
    this play or cached. Hosts outside the play (C(--limit)) are included.
  - Fails, naming every host concerned, when a host has no known address or an invalid one.
author:
  - bluemind.firewall contributors !UNKNOWN
options:
  group:
    description: The inventory group of the cluster.
    type: str
    required: true
extends_documentation_fragment:
  - bluemind.firewall.controller_step
'''

EXAMPLES = r'''
# Not called on its own: the role runs it once per play, before any change.
- name: Apply BlueMind's firewall (this module is one of the role's steps)
  ansible.builtin.include_role:
    name: bluemind.firewall.host_firewall
'''

RETURN = r'''
cluster:
  description: The group and, per host, its addresses.
  returned: success
  type: dict
  sample: {"group": "bluemind", "hosts": {"mx1": ["192.0.2.10", "2001:db8::10"]}}
'''
