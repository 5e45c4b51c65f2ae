# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""BlueMind's server roles (the tags of its admin console) and who may call whom: the checks of an
installation's roles, and, for one host, which hosts its flows admit on each port.

Reads the flow table and the public service roles of the role's data file (vars/main.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib

from ansible_collections.bluemind.firewall.plugins.module_utils.messages import add_error, host_names

ROLES = ('bm/core', 'bm/nginx', 'bm/nginx-edge', 'mail/smtp', 'mail/smtp-edge', 'mail/imap', 'bm/pgsql',
         'bm/pgsql-data', 'bm/es', 'bm/es-data', 'metrics/influxdb', 'bm/keycloak')
# Accepted, not required by any BlueMind installation.
OPTIONAL_ROLES = ('directory/bm-master',)
# In the flow table: every BlueMind server of the installation.
ANY = 'any'
VARIABLE = 'bluemind_firewall_roles'


def check_installation_roles(roles_by_host):
    """{host: message} for the roles an installation cannot run with, each message naming the host
    and the value; {} when BlueMind can run it. roles_by_host: {host: its bluemind_firewall_roles}."""
    errors = {}
    known = ROLES + OPTIONAL_ROLES
    valid = {}
    for host in sorted(roles_by_host):
        roles = roles_by_host[host]
        if roles is None or roles == [] or roles == '':
            add_error(errors, host, '%s of %s is empty: with bluemind_firewall_flows: roles, every host lists its BlueMind '
                                    'server roles, as the admin console names them (%s).' % (VARIABLE, host, ', '.join(ROLES)))
            continue
        if isinstance(roles, str) or not isinstance(roles, (list, tuple)):
            add_error(errors, host, '%s of %s: %r must be a list of role tags, such as [bm/core, bm/nginx].'
                      % (VARIABLE, host, roles))
            continue
        for role in roles:
            if role not in known:
                close = difflib.get_close_matches(str(role), known, 1)
                add_error(errors, host, '%s of %s: %r is not a BlueMind server role%s; known: %s.' % (
                    VARIABLE, host, role, ' (did you mean %s?)' % close[0] if close else '', ', '.join(known)))
        valid[host] = set(roles)
    cores = sorted(host for host, roles in valid.items() if 'bm/core' in roles)
    if len(cores) != 1 and len(valid) == len(roles_by_host):
        for host in sorted(roles_by_host):
            add_error(errors, host, 'the installation has %s: BlueMind runs exactly one core (bm/core).' % (
                'no host with bm/core' if not cores else '%d hosts with bm/core (%s)' % (len(cores), host_names(cores))))
    for host, roles in sorted(valid.items()):
        if 'bm/nginx' in roles and 'bm/core' not in roles:
            add_error(errors, host, '%s of %s: bm/nginx without bm/core - BlueMind\'s nginx reaches the core\'s services '
                                    'on the loopback, so it runs on the core host; a proxy of its own is bm/nginx-edge.'
                      % (VARIABLE, host))
        if 'mail/imap' in roles and 'bm/pgsql-data' not in roles:
            add_error(errors, host, '%s of %s: mail/imap without bm/pgsql-data - BlueMind places a mailbox server and its '
                                    'database shard on the same host.' % (VARIABLE, host))
    return errors


def _holds(roles, wanted):
    return ANY in wanted or bool(set(roles) & set(wanted))


def flow_sources(flow_table, version, host, roles_by_host):
    """{port text: sorted hosts} that the flows of this BlueMind version admit into host, its own
    roles deciding which flows arrive there and the other hosts' roles who sends them. A port whose
    only caller is the host itself is not listed: the network has no part in that flow."""
    sources = {}
    for line in flow_table:
        if version not in line['versions'] or not _holds(roles_by_host[host], line['to']):
            continue
        # A host's calls to itself stay on the loopback: its own address is not a caller.
        senders = set(other for other, roles in roles_by_host.items() if other != host and _holds(roles, line['from']))
        for port in line['ports']:
            sources.setdefault(str(port), set()).update(senders)
    return dict((port, sorted(hosts)) for port, hosts in sources.items() if hosts)


def serves(public_service_roles, version, roles, service):
    """Whether a host with these roles serves this public service in this BlueMind version."""
    for line in public_service_roles:
        if version in line['versions'] and service in line['services']:
            return _holds(roles, line['roles'])
    return False


# The roles a BlueMind package installs on a host: bm-full is the all-in-one core (it depends on bm-core),
# the role packages the other servers (BlueMind's packaging tree: packaging/bm-full/debian/control,
# packaging/bm-mailbox-role, bm-edge-role: bm-node, postfix and nginx at the edge).
PACKAGE_ROLES = (('bm-core', ('bm/core',)), ('bm-full', ('bm/core',)), ('bm-edge-role', ('bm/nginx-edge', 'mail/smtp-edge')),
                 ('bm-mailbox-role', ('mail/imap',)), ('bm-ldap-role', ('directory/bm-master',)))


def package_role_warnings(roles_by_host, packages_by_host):
    """One warning per host, role and package where the packages installed on a host show a role that its
    bluemind_firewall_roles leaves out (roles mode would then close that role's ports). Hosts whose
    packages were not read (None) are left out."""
    warnings = []
    for host in sorted(roles_by_host):
        packages = packages_by_host.get(host)
        roles = roles_by_host[host]
        if not packages or not isinstance(roles, (list, tuple)):
            continue
        for package, shown in PACKAGE_ROLES:
            if package not in packages:
                continue
            for role in shown:
                if role not in roles:
                    warnings.append('%s: the package %s %s is installed, which makes it a %s server, but its %s (%s) '
                                    'does not list %s: roles mode closes that role\'s ports to the hosts that call them. '
                                    'Add %s to its %s, or remove the package if the host is not one.'
                                    % (host, package, packages[package], role, VARIABLE, ', '.join(roles) or 'empty',
                                       role, role, VARIABLE))
    return warnings
