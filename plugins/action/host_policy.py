# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate one host's settings, compute its policy and render its backend's files, on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import jinja2

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.bluemind.firewall.plugins.module_utils.installations import unseen_levels
from ansible_collections.bluemind.firewall.plugins.module_utils.lockout import lockout
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import (
    TABLE, boot_load_command, fallback_iptables, fallback_ruleset, include_link, nftables_view)
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (
    ROLES_MODE, PolicyError, build_policy, confirm_timeout, open_ssh, parse_bool)
from ansible_collections.bluemind.firewall.plugins.module_utils import backends, bm_iptables_conflict, fail2ban, renamed_settings
from ansible_collections.bluemind.firewall.plugins.module_utils.verification import DEFAULT_FAIL_ON
from ansible_collections.bluemind.firewall.plugins.module_utils.ufw_view import ufw_rules

_SETTINGS = ('backend', 'bluemind_version', 'flows', 'roles', 'bm_node_enrolled', 'optional_services', 'public',
             'cluster_group', 'cluster_sources', 'admin_sources', 'ssh_port', 'ssh_connection', 'ansible_port',
             'extra_public_ports', 'extra_internal_ports', 'extra_rules', 'log_drops', 'exposure',
             'fail2ban_action')
# The data file's tables that roles mode reads, besides the port table.
_FLOW_DATA = ('flow_table', 'public_service_roles')
# Switches of the apply steps, read here the way the policy's are, so that a bad one stops every
# host before any change; returned as the steps take them.
_SWITCHES = ('confirm', 'rollback_timeout', 'backend_switch', 'bm_iptables', 'verify_fail_on', 'verify')


# Where role_variables reads each option: the role variable of the same name.
_ROLE_VARIABLES = dict([(key, 'bluemind_firewall_' + key)
                        for key in _SETTINGS + _SWITCHES + _FLOW_DATA + ('port_table', 'allow_lockout')
                        if key not in ('ssh_connection', 'ansible_port')] + [('ansible_port', 'ansible_port')])
# The paths of the host's OS family (vars/Debian.yml), for the nftables files.
_ROLE_NFTABLES_VARIABLES = {'nft': '__bluemind_firewall_nft', 'ruleset_path': '__bluemind_firewall_ruleset_path'}

_VERSION = []
display = Display()


def collection_version():
    """This collection's version: from MANIFEST.json where it is installed from an archive, else
    from galaxy.yml in a checkout; None when neither says. Read once per run: the action runs for
    every host."""
    if not _VERSION:
        _VERSION.append(_read_collection_version())
    return _VERSION[0]


def _read_collection_version():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        with open(os.path.join(root, 'MANIFEST.json')) as handle:
            return json.load(handle)['collection_info']['version']
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        with open(os.path.join(root, 'galaxy.yml')) as handle:
            for line in handle:
                if line.startswith('version:'):
                    return line.split(':', 1)[1].strip().strip('"\'')
    except OSError:
        pass
    return None


def _unchanged(installation):
    """What a refusal leaves alone: the hosts of the refused host's installation, not the others."""
    if installation:
        return 'no host of the installation %s was changed' % installation
    return 'no host was changed'


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(_SETTINGS + _SWITCHES + _FLOW_DATA + ('port_table', 'cluster', 'nftables', 'allow_lockout',
                                                                  'role_variables', 'installation_from', 'firewalls_from'))
    # Connection plugins over which the host sees Ansible as an SSH client.
    _SSH_TRANSPORTS = ('ssh', 'paramiko', 'paramiko_ssh', 'libssh')

    def _ssh_connection(self):
        """SSH_CONNECTION of Ansible's own session on the host, '' without SSH.

        Read without become: sudo's env_reset drops the variable, so gathered facts lack it then."""
        if self._connection.transport.split('.')[-1] not in self._SSH_TRANSPORTS:
            return ''
        result = self._low_level_execute_command('echo "$SSH_CONNECTION"', sudoable=False)
        return (result.get('stdout') or '').strip() if result.get('rc') == 0 else ''

    def _templated(self, value):
        # Only a value that holds a template is templated: plain data (the port table, most settings)
        # is used as the inventory gives it, without Ansible's walk over it.
        return self._templar.template(value) if self._templar.is_template(value) else value

    def _arguments(self, task_vars):
        """The task's arguments, completed from the role's variables and the resolved installations.

        The role passes its settings this way rather than as one templated argument each: Ansible
        compiles every templated argument again for every host (no template cache outlives a worker
        process), which cost more than the plan itself on a large inventory."""
        args = dict(self._task.args)
        if args.pop('role_variables', False):
            for key, variable in _ROLE_VARIABLES.items():
                if key not in args and variable in task_vars:
                    # The port table is the role's data file, never a template: even looking for one
                    # in its forty entries costs Ansible a walk per host.
                    args[key] = (task_vars[variable] if key in ('port_table',) + _FLOW_DATA
                                 else self._templated(task_vars[variable]))
            nftables = dict(args.get('nftables') or {})
            for key, variable in _ROLE_NFTABLES_VARIABLES.items():
                if key not in nftables and variable in task_vars:
                    nftables[key] = self._templated(task_vars[variable])
            args['nftables'] = nftables
        resolved_name = args.pop('installation_from', None)
        if resolved_name and 'cluster' not in args:
            resolved = task_vars.get(resolved_name) or {}
            try:
                args['cluster'] = resolved['installations'][resolved['installation_of'][task_vars['inventory_hostname']]]
            except (KeyError, TypeError):
                raise AnsibleActionFail('installation_from: %s holds no installation of this host: it must name the '
                                        'registered result of bluemind.firewall.cluster_addresses, run in this play'
                                        % resolved_name)
        found_name = args.pop('firewalls_from', None)
        if found_name:
            found = task_vars.get(found_name)
            if not isinstance(found, dict) or 'ufw_active' not in found:
                raise AnsibleActionFail('firewalls_from: %s holds no result of bluemind.firewall.host_state run on '
                                        'this host' % found_name)
            args['firewalls'] = found
        return args

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._arguments(task_vars)
        for required in ('port_table', 'cluster', 'nftables'):
            if required not in args:
                raise AnsibleActionFail('%s is required' % required)
        errors = args['cluster'].get('errors') or {}
        name = task_vars.get('inventory_hostname')
        unchanged = _unchanged(args['cluster'].get('group'))
        # A host outside the play (--limit) cannot report its own error: the hosts of the play do.
        in_play = task_vars.get('ansible_play_hosts_all') or []
        here = [host for host in sorted(errors) if host == name or host not in in_play]
        if here:
            raise AnsibleActionFail('Invalid firewall settings, %s. %s' % (unchanged, ' '.join(errors[host] for host in here)))
        if errors:
            raise AnsibleActionFail('Invalid firewall settings on %s (reported there), %s.'
                                    % (', '.join(sorted(errors)), unchanged))
        read = (args['cluster'].get('read') or {}).get(name)
        if read:
            seen = dict((variable, self._templated(task_vars[variable])) for variable in read if variable in task_vars)
            problem = unseen_levels(read, seen)
            if problem:
                raise AnsibleActionFail('Invalid firewall settings, %s. %s' % (unchanged, problem))
        settings = dict((key, args[key]) for key in _SETTINGS if key in args)
        # The installation's version, read with each host's packages when the variable is not set.
        planned = (args['cluster'].get('versions') or {}).get(name)
        if planned:
            settings['bluemind_version'] = planned['version']
        settings['host'] = name
        if not settings.get('ssh_connection'):
            settings['ssh_connection'] = self._ssh_connection()
        try:
            policy = build_policy(args['port_table'], settings, args['cluster'],
                                  dict((key, args.get(key) or []) for key in _FLOW_DATA))
            problem = lockout(policy, settings['ssh_connection'])
            allow_lockout = parse_bool(args.get('allow_lockout', False), 'bluemind_firewall_allow_lockout')
            result['switches'] = {
                'confirm_timeout': confirm_timeout(args.get('confirm', True), args.get('rollback_timeout', 60)),
                'backend_switch': parse_bool(args.get('backend_switch', False), 'bluemind_firewall_backend_switch'),
                'log_drops': policy['log_drops'],
                'fail2ban_action': policy['protection']['fail2ban'],
            }
            result['switches']['bm_iptables'], deprecations = renamed_settings.bm_iptables(
                args.get('bm_iptables', 'disabled'))
            result['switches']['verify_fail_on'], renamed = renamed_settings.verify_fail_on(
                args.get('verify_fail_on', list(DEFAULT_FAIL_ON)), args.get('verify'))
            if (policy['backend'] == 'ufw' and policy['bluemind']['flows'] == ROLES_MODE
                    and result['switches']['bm_iptables'] != 'disabled'):
                raise PolicyError(
                    'bluemind_firewall_flows: roles with bluemind_firewall_backend: ufw needs '
                    'bluemind_firewall_bm_iptables: disabled. BlueMind\'s bm-iptables accepts every BlueMind host in '
                    'the filter table\'s INPUT chain before ufw\'s chains are reached, so least privilege between '
                    'BlueMind hosts would not hold. Turn bm-iptables off, or use the nftables backend, whose own '
                    'table that accept does not bypass.')
        except PolicyError as exc:
            raise AnsibleActionFail('Invalid firewall settings, %s. %s' % (unchanged, exc))
        if args.get('firewalls'):
            conflict = backends.refusal(args['firewalls'], policy['backend'], result['switches']['backend_switch'], TABLE)
            if conflict:
                raise AnsibleActionFail('%s (%s)' % (conflict, unchanged.capitalize()))
            missing = fail2ban.refusal(policy['protection']['fail2ban'], policy['backend'],
                                       (args['firewalls'].get('programs') or {}).get('fail2ban'))
            if missing:
                raise AnsibleActionFail('%s %s.' % (missing.replace(' Nothing was changed.', ''), unchanged.capitalize()))
            conflict = bm_iptables_conflict.refusal(args['firewalls'].get('bm_iptables'), policy, name,
                                                    result['switches']['bm_iptables'],
                                                    result['switches']['verify_fail_on'])
            if conflict:
                raise AnsibleActionFail('%s %s.' % (conflict, unchanged.capitalize()))
        if problem and not allow_lockout:
            raise AnsibleActionFail(problem)
        for message in deprecations + renamed:
            # A literal: ansible-test checks it against galaxy.yml's version (test_settings_names.py: = REMOVED_IN).
            display.deprecated(message, version='0.7.0', collection_name='bluemind.firewall')
        result['warnings'] = [problem.replace('Nothing was changed. ', '')] if problem else []
        if open_ssh(policy):
            result['warnings'].append(
                'SSH (port %d) is open to every address, IPv4 and IPv6 (bluemind_firewall_admin_sources: '
                '[0.0.0.0/0, ::/0], the default). Set it to the networks you administer from (your workstation, '
                'VPN or bastion), for example bluemind_firewall_admin_sources: [192.0.2.0/24].' % policy['ssh_port'])

        policy['bluemind']['version_from'] = planned['from'] if planned else (
            'inventory' if 'bluemind_version' in args else 'default')
        # Written into the record with the time of the change (module_utils/record.py).
        policy['applied'] = {'collection_version': collection_version()}
        # One string rather than a structure: Ansible walks every object of every host's result,
        # and a policy holds every peer, so a structure costs a cluster-sized walk per host.
        result.update(changed=False, policy_json=json.dumps(policy, sort_keys=True))
        if policy['backend'] == 'ufw':
            result['ufw'] = {'rules': ufw_rules(policy),
                             'fallback': {'ipv4': fallback_iptables(policy, 'ipv4'),
                                          'ipv6': fallback_iptables(policy, 'ipv6')}}
        else:
            files = args['nftables']
            view = nftables_view(policy)
            result['nftables'] = {
                'table': view['table'],
                'ruleset': self._render(files['ruleset_template'], view),
                'boot_unit': self._render(files['boot_unit_template'], dict(
                    files, table=view['table'], include_link=include_link(table=view['table']),
                    load=boot_load_command(files['nft'], files['ruleset_path'], view['table']),
                    reload=boot_load_command(files['nft'], files['ruleset_path'], view['table'], last_resort=False))),
                # SSH from the admin sources only, for a boot where no ruleset loads (written at converge
                # time: the admin sources are not known at boot).
                'fallback': {'nft': fallback_ruleset(policy, view['table']),
                             'ipv4': fallback_iptables(policy, 'ipv4'), 'ipv6': fallback_iptables(policy, 'ipv6')},
            }
        return result

    def _render(self, name, context):
        # Plain Jinja on purpose: the templates print the model and need nothing from Ansible's
        # templating, and StrictUndefined turns a typo into an error instead of an empty rule.
        path = self._find_needle('templates', name)
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(os.path.dirname(path)),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,
            # Compiled once per run, not once per host: each host's step runs in a new worker
            # process. Ansible's local temporary directory is private to this run (mode 0700).
            bytecode_cache=jinja2.FileSystemBytecodeCache(C.DEFAULT_LOCAL_TMP),
        )
        return environment.get_template(os.path.basename(path)).render(**context)
