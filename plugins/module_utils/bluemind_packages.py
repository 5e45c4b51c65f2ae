# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which BlueMind a host runs, from its installed packages, and the version the plan uses.

BlueMind's packages carry the BlueMind version as their own (5.1.3-... is BlueMind 5.1.3): bm-core on
the core (bm-full, the all-in-one, depends on it), a role package on the other servers. A version set
in the inventory wins, but one that the host's packages contradict is refused, naming both."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.bluemind.firewall.plugins.module_utils.policy import BLUEMIND_VERSIONS, DEFAULT_BLUEMIND_VERSION

# The core first: on a server that has it, it is the one that says.
PACKAGES = ('bm-core', 'bm-full', 'bm-edge-role', 'bm-mailbox-role', 'bm-ldap-role')
VERSION_VARIABLE = 'bluemind_firewall_bluemind_version'
# When neither the inventory nor the host says (BlueMind not installed yet): the policy's default.
FALLBACK = DEFAULT_BLUEMIND_VERSION
# An epoch, then the major version.
_MAJOR = re.compile(r'(?:\d+:)?(\d+)\.')


def read_dpkg(output):
    """{package: version} of the installed ones, from dpkg-query -W -f '${Package}\\t${Version}\\t${db:Status-Status}\\n'."""
    found = {}
    for line in output.splitlines():
        fields = line.split('\t')
        if len(fields) == 3 and fields[2] == 'installed' and fields[0] in PACKAGES:
            found[fields[0]] = fields[1]
    return found


def read_rpm(output):
    """{package: version} from rpm -q --qf '%{NAME}\\t%{VERSION}\\n' (rpm says "not installed" without a tab)."""
    found = {}
    for line in output.splitlines():
        fields = line.split('\t')
        if len(fields) == 2 and fields[0] in PACKAGES:
            found[fields[0]] = fields[1]
    return found


def host_version(packages):
    """(major, package, version) from the first of PACKAGES installed, or None."""
    for name in PACKAGES:
        if name in (packages or {}):
            match = _MAJOR.match(packages[name])
            return (int(match.group(1)) if match else None, name, packages[name])
    return None


def planned_version(value, packages, parse):
    """(version, origin, warning) for one host: origin 'inventory', 'package' or 'default'.

    value: the variable (None when not set); packages: what host_state read, None when the host
    was not read (outside the play); parse: the policy's check of the variable. Raises ValueError
    with the message when the host's packages contradict the variable or name an unknown version."""
    found = host_version(packages)
    if found and found[0] not in BLUEMIND_VERSIONS:
        raise ValueError('the host runs BlueMind %s (package %s), a version bluemind.firewall does not know: set %s '
                         'to %s only if its ports are those of that version'
                         % (found[2], found[1], VERSION_VARIABLE, ' or '.join(str(known) for known in BLUEMIND_VERSIONS)))
    if value is not None:
        version = parse(value)
        if found and found[0] != version:
            raise ValueError('%s is %s but the host runs BlueMind %s (package %s %s): set it to %d, or remove it and '
                             'the version is read from the host'
                             % (VERSION_VARIABLE, value, found[0], found[1], found[2], found[0]))
        return version, 'inventory', None
    if found:
        return found[0], 'package', None
    if packages is None:
        return None, None, None
    return FALLBACK, 'default', ('BlueMind is not installed (none of the packages %s) and %s is not set: the ports of '
                                 'BlueMind %d are planned. Set %s once you know the version you will install.'
                                 % (', '.join(PACKAGES), VERSION_VARIABLE, FALLBACK, VERSION_VARIABLE))


def installation_versions(name, members, value_of, packages_of, parse):
    """The version each host of an installation is planned with, and what stops the installation.

    Returns (versions {host: {'version', 'from'}}, errors {host: message}, warnings); members outside the
    play whose packages were not read and that set no version are left out. An installation whose hosts
    end up with different versions is refused on every host, with each host's version and its origin."""
    versions, errors, warnings = {}, {}, []
    for member in members:
        try:
            version, origin, warning = planned_version(value_of(member), packages_of(member), parse)
        except ValueError as exc:
            errors[member] = '%s: %s' % (member, exc)
            continue
        if version is not None:
            versions[member] = {'version': version, 'from': origin}
        if warning:
            warnings.append('%s: %s' % (member, warning))
    if errors:
        return versions, errors, warnings
    if len(set(item['version'] for item in versions.values())) > 1:
        said = '; '.join('%s on %s (%s)' % (item['version'], member, _ORIGINS[item['from']])
                         for member, item in sorted(versions.items()))
        message = ('the hosts of the installation %s are planned with different BlueMind versions: %s. One installation '
                   'runs one version: set %s in the variables of the group %s, or check the hosts\' packages.'
                   % (name, said, VERSION_VARIABLE, name))
        errors = dict((member, message) for member in members)
    return versions, errors, warnings


_ORIGINS = {'inventory': 'its inventory variable', 'package': 'its installed packages',
            'default': 'the default, BlueMind not installed'}
