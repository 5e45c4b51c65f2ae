# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would a policy refuse the SSH connection Ansible itself uses? Checked before any change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.bluemind.firewall.plugins.module_utils import exposure
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError
from ansible_collections.bluemind.firewall.plugins.module_utils.verification import ExpectedPolicy

OVERRIDE_VARIABLE = 'bluemind_firewall_allow_lockout'


def ssh_client(ssh_connection):
    """(client address, server port) from SSH_CONNECTION ("client port server port"), or None."""
    try:
        session = exposure.ssh_session(ssh_connection)
    except ValueError:
        raise PolicyError('SSH_CONNECTION %r does not read as "client port server port"' % ssh_connection)
    if session is None:
        return None
    address, port = session
    return str(address), port


def lockout(policy, ssh_connection):
    """None when the policy lets Ansible's SSH connection in again, else why it would not."""
    client = ssh_client(ssh_connection)
    if client is None:
        return None
    address, port = client
    if ExpectedPolicy(policy).allows('tcp', port, address):
        return None
    admin = policy['sources']['admin']
    return ('Ansible reaches this host over SSH from %s to port %d (SSH_CONNECTION), and the new policy would '
            'refuse that: SSH (port %d) is open to %s only. Nothing was changed. Add the address the host sees '
            '(behind a bastion, the bastion\'s) to bluemind_firewall_admin_sources, or set %s: true if cutting '
            'this connection is intended (with bluemind_firewall_confirm, the host then rolls the change back '
            'by itself).' % (address, port, policy['ssh_port'],
                             ', '.join(admin.get('ipv4', []) + admin.get('ipv6', [])) or 'nobody', OVERRIDE_VARIABLE))
