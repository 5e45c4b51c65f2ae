# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sort the play's hosts into their BlueMind installations and resolve each installation's addresses,
once per play, on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.bluemind.firewall.plugins.module_utils.installations import (
    DEFAULT_GROUP, READ_FOR_EVERY_HOST, VARIABLE, differing_setting, partition)
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (
    CLUSTER, ROLES_MODE, PolicyError, parse_bluemind_version, resolve_cluster)
from ansible_collections.bluemind.firewall.plugins.module_utils.bluemind_packages import (
    VERSION_VARIABLE, installation_versions)
from ansible_collections.bluemind.firewall.plugins.module_utils.server_roles import (
    VARIABLE as ROLES_VARIABLE, check_installation_roles, package_role_warnings)

# Settings that hold for a whole installation, with the role's defaults: every host must agree.
_FLOWS = 'bluemind_firewall_flows'
# The BlueMind version is per installation too, read with the host's packages (bluemind_packages).
_PER_INSTALLATION = ((_FLOWS, CLUSTER),)
# What the role's host_state step registered on each host of the play.
_FOUND = '__bluemind_firewall_found'


def _packages_of(host):
    def packages(member):
        found = host(member).get(_FOUND)
        # A host the play did not read (outside --limit): its packages are unknown, not absent.
        return found.get('bluemind_packages') if isinstance(found, dict) else None
    return packages


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(('default_group',))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(
            argument_spec={'default_group': {'type': 'str', 'default': DEFAULT_GROUP}})
        hostvars = task_vars['hostvars']
        groups = task_vars['groups']
        # Read once per host: each read makes Ansible compute that host's variables.
        variables = {}

        def host(name):
            if name not in variables:
                variables[name] = hostvars[name]
            return variables[name]

        # This task runs once, with one host's variables: every other host's installation is read from
        # its own inventory variables (hostvars), where the role's default may not be visible.
        found = partition(task_vars.get('ansible_play_hosts_all') or [], groups,
                          lambda name: host(name).get(VARIABLE, args['default_group']))
        installations = {}
        installation_of = {}
        warnings = []
        for name, found_one in sorted(found.items()):
            for member in found_one['play_hosts']:
                installation_of[member] = name
            installation = {'group': name, 'hosts': {}, 'play_hosts': found_one['play_hosts'],
                            'errors': found_one['errors'],
                            # What this step read for each host of the play, which that host's own plan
                            # compares with what its tasks see (a role's vars reach only those).
                            'read': dict((member, dict((variable, host(member).get(variable, default))
                                                       for variable, default in READ_FOR_EVERY_HOST))
                                         for member in found_one['play_hosts'])}
            installations[name] = installation
            for variable, default in _PER_INSTALLATION:
                if installation['errors']:
                    break
                message = differing_setting(name, found_one['members'], lambda member, fallback: host(member).get(
                    variable, fallback), variable, default)
                if message:
                    installation['errors'] = dict((member, message) for member in found_one['play_hosts'])
            if not installation['errors']:
                installation['versions'], errors, said = installation_versions(
                    name, found_one['members'], lambda member: host(member).get(VERSION_VARIABLE), _packages_of(host),
                    parse_bluemind_version)
                warnings.extend(said)
                if errors:
                    # A host outside the play cannot report its own error: the hosts of the play do.
                    installation['errors'] = dict((member, errors.get(member) or ' '.join(sorted(set(errors.values()))))
                                                  for member in found_one['play_hosts'])
            if not installation['errors'] and found_one['members'] and \
                    str(host(found_one['members'][0]).get(_FLOWS, CLUSTER)) == ROLES_MODE:
                # Roles mode: every host's roles, checked together (one core, nginx with it, ...).
                roles = dict((member, host(member).get(ROLES_VARIABLE)) for member in found_one['members'])
                # Each error on the host it names; the installation's other hosts stop, saying where.
                installation['errors'] = check_installation_roles(roles)
                installation['roles'] = roles
                warnings.extend(package_role_warnings(roles, dict(
                    (member, _packages_of(host)(member)) for member in found_one['members'])))
            if installation['errors']:
                continue
            # groups[] ignores --limit, so the installation's hosts outside the play are included: their
            # address then comes from bluemind_firewall_address or from cached facts.
            members = {}
            for member in found_one['members']:
                facts = host(member).get('ansible_facts') or {}
                members[member] = (host(member).get('bluemind_firewall_address'), facts.get('default_ipv4'),
                                   facts.get('default_ipv6'),
                                   (facts.get('all_ipv4_addresses') or []) + (facts.get('all_ipv6_addresses') or []))
            try:
                cluster = resolve_cluster(name, members)
            except PolicyError as exc:
                # Reported by the next step, on the hosts of this installation only (this one runs once).
                installation['errors'] = exc.by_host or dict((member, str(exc)) for member in found_one['play_hosts'])
                continue
            installation['hosts'] = cluster['hosts']
            installation['origins'] = cluster['origins']
            warnings.extend(cluster['warnings'])
        if warnings:
            result['warnings'] = warnings
        result.update(changed=False, installations=installations, installation_of=installation_of)
        return result
