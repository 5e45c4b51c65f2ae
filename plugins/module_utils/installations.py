# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which BlueMind installation each host of a play belongs to, and the inventory mistakes that would
make two installations one cluster or leave a host between them.

An installation is the inventory group that its hosts' bluemind_firewall_cluster_group names. The
installations must partition the play: a host is a member of the group it names, every member of
that group names it, and no host is listed in the group of another installation unless that group
is a parent of its own (a parent group such as bluemind, that holds every installation, is fine as
long as no host names it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.bluemind.firewall.plugins.module_utils.messages import add_error, host_names
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import CLUSTER
from ansible_collections.bluemind.firewall.plugins.module_utils.server_roles import VARIABLE as ROLES_VARIABLE

VARIABLE = 'bluemind_firewall_cluster_group'
DEFAULT_GROUP = 'bluemind'
# The key of the hosts whose variable is not a group name at all.
UNNAMED = ''


class _Inventory(object):
    """The lookups partition() needs, each made once: a host's variable is read at most once, a
    group's member set built at most once, whatever the number of installations."""

    def __init__(self, groups, group_of):
        self.groups = groups
        self._group_of = group_of
        self._named = {}
        self._sets = {}
        self._groups_of = None
        self._installations = {}

    def named(self, host):
        if host not in self._named:
            self._named[host] = self._group_of(host)
        return self._named[host]

    def members(self, group):
        if group not in self._sets:
            self._sets[group] = frozenset(self.groups.get(group) or ())
        return self._sets[group]

    def groups_of(self, host):
        if self._groups_of is None:
            self._groups_of = {}
            for group, hosts in self.groups.items():
                if group not in ('all', 'ungrouped'):
                    for name in hosts:
                        self._groups_of.setdefault(name, []).append(group)
        return self._groups_of.get(host, [])

    def is_installation(self, group):
        """Whether a host of the group names it: once per group, not once per host listed in it."""
        if group not in self._installations:
            self._installations[group] = any(self.named(member) == group for member in self.groups.get(group) or ())
        return self._installations[group]


def partition(play_hosts, groups, group_of):
    """The installations of the play's hosts.

    play_hosts: the hosts of the play (after --limit); groups: the inventory's {group: [hosts]},
    --limit ignored (Ansible's groups); group_of(host): the installation the host's variables name.
    Returns {installation: {'play_hosts': [...], 'members': [...], 'errors': {host: message}}} for the
    installations that the play's hosts name (UNNAMED holds the hosts whose variable is no group
    name), and nothing about the others: their hosts' variables are read only where a host of the
    play is also listed in one of their groups.
    """
    inventory = _Inventory(groups, group_of)
    installations = {}
    bad_values = {}
    for host in play_hosts:
        name = inventory.named(host)
        if not isinstance(name, str) or not name:
            bad_values[host] = ('%s of %s: %r must be the name of the inventory group of its BlueMind '
                                'installation' % (VARIABLE, host, name))
            continue
        installations.setdefault(name, {'play_hosts': [], 'members': [], 'errors': {}})['play_hosts'].append(host)
    for name, installation in installations.items():
        _check_installation(inventory, name, installation)
    for name, installation in installations.items():
        for host in installation['play_hosts']:
            _check_host_groups(inventory, host, name, installation['errors'])
    if bad_values:
        installations[UNNAMED] = {'play_hosts': sorted(bad_values), 'members': [], 'errors': bad_values}
    return installations


def _check_installation(inventory, name, installation):
    errors = installation['errors']
    if name not in inventory.groups:
        known = sorted(group for group in inventory.groups if group not in ('all', 'ungrouped'))
        for host in installation['play_hosts']:
            add_error(errors, host, '%s of %s: %r is not a group of this inventory (its groups: %s).' % (
                VARIABLE, host, name, ', '.join(known) or 'none'))
        return
    members = sorted(inventory.members(name))
    installation['members'] = members
    for host in installation['play_hosts']:
        if host not in inventory.members(name):
            add_error(errors, host, '%s is not a member of the group %s, which its %s names: add it to that '
                                    'group, or name the group that holds it.' % (host, name, VARIABLE))
    elsewhere = {}
    for member in members:
        other = inventory.named(member)
        if other != name:
            elsewhere.setdefault(str(other), []).append(member)
    if not elsewhere:
        return
    others = '; '.join('%s (%s)' % (host_names(hosts), other) for other, hosts in sorted(elsewhere.items()))
    for host in installation['play_hosts']:
        if name == DEFAULT_GROUP:
            add_error(errors, host, (
                '%s is left on the installation %s (the default of %s), but the group %s also holds hosts '
                'of other installations: %s. Set %s for %s (in the variables of its own installation\'s '
                'group), or every installation would be one cluster.'
                % (host, name, VARIABLE, name, others, VARIABLE, host)))
        else:
            add_error(errors, host, (
                'the group %s of the installation %s (%s of %s) also holds hosts that name other '
                'installations: %s. Every member of an installation\'s group must name it, or two '
                'installations would share their internal ports.' % (name, name, VARIABLE, host, others)))


def _check_host_groups(inventory, host, name, errors):
    """A host listed in the group of another installation, beside its own, is refused: its peers
    would differ with the group its variable happens to take."""
    own = inventory.members(name)
    for group in sorted(inventory.groups_of(host)):
        if group == name or own <= inventory.members(group):
            # Its own group, or a parent of it (such as bluemind above every installation).
            continue
        if inventory.is_installation(group):
            add_error(errors, host, '%s is listed in two installations, %s (its %s) and %s: a host belongs to one '
                                    'installation; remove it from one of the two groups.' % (host, name, VARIABLE, group))


def differing_setting(name, members, value_of, variable, default):
    """The message that refuses an installation whose hosts set a per-installation setting (such as
    the BlueMind version) to different values, or None. value_of(host) is the host's value, or the
    default when it does not set it; values are compared as text, as -e gives them."""
    values = {}
    for member in members:
        values.setdefault(str(value_of(member, default)), []).append(member)
    if len(values) < 2:
        return None
    return ('the hosts of the installation %s set %s to different values: %s. It is one setting for the whole '
            'installation: set it in the variables of the group %s.' % (
                name, variable, '; '.join('%s on %s' % (value, host_names(hosts)) for value, hosts in sorted(values.items())),
                name))


# The settings the plan reads for every host of an installation at once, from each host's inventory
# variables (hostvars), with the value a host that does not set them gets. A play's, a role's or
# include_role's vars reach only the host's own tasks, never hostvars.
READ_FOR_EVERY_HOST = (('bluemind_firewall_address', None), ('bluemind_firewall_bluemind_version', None),
                       ('bluemind_firewall_flows', CLUSTER), (ROLES_VARIABLE, None))


def _as_text(value):
    """Values compared as -e gives them: 5 and '5' are one version; lists and mappings item by item."""
    if isinstance(value, (list, tuple)):
        return [_as_text(item) for item in value]
    if isinstance(value, dict):
        return dict((str(key), _as_text(item)) for key, item in value.items())
    return None if value is None else str(value)


def unseen_levels(read, seen):
    """The message that refuses a host whose own tasks see a setting of READ_FOR_EVERY_HOST otherwise
    than the plan read it for the whole installation, or None.

    read: {variable: value} as the plan read it from the host's inventory variables;
    seen: {variable: value} as the host's own tasks see it (every level of Ansible's precedence)."""
    for variable, default in READ_FOR_EVERY_HOST:
        if variable not in read:
            continue
        mine = seen.get(variable, default)
        if _as_text(mine) != _as_text(read[variable]):
            return ('%s is %s for this host\'s own tasks but %s in the inventory, where the plan reads it for every '
                    'host of the installation: it was set in a play\'s vars, a role\'s vars or include_role\'s vars, '
                    'which the other hosts\' plan does not see. Set it in the inventory (host or group variables) '
                    'or as an extra variable (-e).' % (variable, _as_text(mine), _as_text(read[variable])))
    return None
