# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the role says at the end of a run, per BlueMind installation."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.bluemind.firewall.plugins.module_utils.installations import UNNAMED

# The role's registered results of its two apply steps (one per backend).
APPLIED = ('__bluemind_firewall_applied_nftables', '__bluemind_firewall_applied_ufw')


def _installations(resolved):
    try:
        return sorted(resolved['installations'].items())
    except (KeyError, TypeError, AttributeError):
        raise AnsibleFilterError('expects the result of bluemind.firewall.cluster_addresses')


def _label(name):
    return 'installation %s' % name if name != UNNAMED else 'hosts without a valid bluemind_firewall_cluster_group'


def _changed(hostvars, host):
    for name in APPLIED:
        try:
            result = hostvars[host][name]
        except (KeyError, TypeError):
            continue
        if isinstance(result, dict) and result.get('changed'):
            return True
    return False


def installation_recap(resolved, hostvars, active_hosts, check_mode=False):
    """One line per installation of the play: changed, unchanged, or stopped because one of its
    hosts failed (and what changed on its hosts before that)."""
    active = frozenset(active_hosts)
    verb = 'would change' if check_mode else 'changed'
    lines = []
    for name, installation in _installations(resolved):
        hosts = installation.get('play_hosts') or []
        changed = [host for host in hosts if _changed(hostvars, host)]
        failed = [host for host in hosts if host not in active]
        if failed:
            before = ('rules %s before the stop on %s' % (verb, ', '.join(changed))) if changed else 'no rule %s' % verb
            lines.append('%s: stopped, %s failed (the error is above) and the other hosts of the installation '
                         'stopped with it; %s' % (_label(name), ', '.join(failed), before))
        elif changed:
            unchanged = [host for host in hosts if host not in changed]
            rest = ('; unchanged on %s' % ', '.join(unchanged)) if unchanged else ''
            lines.append('%s: %s on %s%s' % (_label(name), verb, ', '.join(changed), rest))
        else:
            lines.append('%s: unchanged (%s)' % (_label(name), ', '.join(hosts)))
    return lines


class FilterModule(object):
    def filters(self):
        return {'installation_recap': installation_recap}
