# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resolve the addresses of every host of the cluster group, once per play, on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError, resolve_cluster


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(('group',))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec={'group': {'type': 'str', 'required': True}})
        group = args['group']
        hostvars = task_vars['hostvars']
        members = {}
        # groups[] ignores --limit, so hosts outside the play are included: their address then comes
        # from bluemind_firewall_address or from cached facts.
        for name in task_vars['groups'].get(group, []):
            host = hostvars[name]
            facts = host.get('ansible_facts') or {}
            members[name] = (host.get('bluemind_firewall_address'), facts.get('default_ipv4'), facts.get('default_ipv6'),
                             (facts.get('all_ipv4_addresses') or []) + (facts.get('all_ipv6_addresses') or []))
        try:
            cluster = resolve_cluster(group, members)
        except PolicyError as exc:
            if not exc.by_host:
                raise AnsibleActionFail(str(exc))
            # Reported by the next step on the host whose variables hold the error (this one runs once).
            result.update(changed=False, cluster={'group': group, 'hosts': {}, 'errors': exc.by_host})
            return result
        warnings = cluster.pop('warnings')
        if warnings:
            result['warnings'] = warnings
        result.update(changed=False, cluster=cluster)
        return result
