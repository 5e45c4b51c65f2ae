#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: cluster_addresses
short_description: Sort a play's hosts into BlueMind installations and resolve their addresses
version_added: 0.1.0
description:
  - A step of the role P(bluemind.firewall.host_firewall#role), documented so that its results can be read;
    not meant to be called on its own. Its options and results follow the role and may change with it.
  - Runs on the controller. Meant to run once per play (C(run_once)); its result is what every
    host's M(bluemind.firewall.host_policy) uses, so peer addresses are computed once per installation,
    not once per host.
  - A host's installation is the inventory group its C(bluemind_firewall_cluster_group) names, read from
    each host's own inventory variables. Only the installations of the play's hosts (after C(--limit))
    are resolved.
  - The installations must partition the play. A host must be a member of the group it names, every
    member of that group must name it, and a host listed in the group of another installation (a group
    that is not a parent of its own) is refused, naming both. A host left on the default C(bluemind)
    while that group holds hosts of other installations is refused, naming it.
  - A host's addresses are its C(bluemind_firewall_address) (an IP literal or a list of them), else
    C(ansible_default_ipv4.address) and C(ansible_default_ipv6.address) from its facts, gathered in
    this play or cached. The hosts of an installation outside the play (C(--limit)) are included.
  - Never fails. An error (no known address, an invalid one, an inventory that does not partition)
    is returned with the installation it concerns, and reported on that installation's hosts by
    M(bluemind.firewall.host_policy), so that the other installations go on.
author:
  - bluemind.firewall contributors !UNKNOWN
options:
  default_group:
    description: The installation of the hosts whose variables do not set C(bluemind_firewall_cluster_group).
    type: str
    default: bluemind
    version_added: 0.6.0
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
installations:
  description: Per installation of the play, its group, the addresses of each of its hosts (C(hosts)),
    its hosts in the play (C(play_hosts)) and the errors that refuse it, per host (C(errors)).
  returned: success
  type: dict
  sample: {"customer_a": {"group": "customer_a", "hosts": {"mx1": ["192.0.2.10", "2001:db8::10"]},
                          "play_hosts": ["mx1"], "errors": {}}}
installation_of:
  description: The installation of each host of the play.
  returned: success
  type: dict
  sample: {"mx1": "customer_a"}
'''
