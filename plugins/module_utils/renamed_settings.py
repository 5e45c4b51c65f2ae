# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's switches that had two names: one name each now, the old one still read for one release.

Each function returns the value in its current spelling and a list of deprecation messages, so the
caller (the host_policy action) both applies the setting and tells the user what to rename."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError
from ansible_collections.bluemind.firewall.plugins.module_utils.verification import FINDING_KINDS

# The release that stops reading the old spellings.
REMOVED_IN = '0.7.0'
BM_IPTABLES = ('keep', 'disabled')
# The module bluemind.firewall.bm_iptables says state=disabled: the role now says the same.
_OLD_BM_IPTABLES = {'disable': 'disabled'}


def bm_iptables(value):
    """bluemind_firewall_bm_iptables as keep or disabled; "disable" still means disabled."""
    if value in BM_IPTABLES:
        return value, []
    if value in _OLD_BM_IPTABLES:
        new = _OLD_BM_IPTABLES[value]
        return new, ['bluemind_firewall_bm_iptables: %s is now spelt %s (the bm_iptables module\'s state); '
                     '"%s" is read until %s.' % (value, new, value, REMOVED_IN)]
    raise PolicyError('bluemind_firewall_bm_iptables: %r must be one of %s'
                      % (value, ', '.join(BM_IPTABLES)))


def verify_fail_on(value, old_value=None):
    """bluemind_firewall_verify_fail_on, or the role's former bluemind_firewall_verify where the
    inventory still sets that one (it wins then: it is the one the user wrote)."""
    deprecations = []
    if old_value is not None:
        deprecations.append('bluemind_firewall_verify is now bluemind_firewall_verify_fail_on, the name the verify '
                            'playbook reads too; the old name is read until %s.' % REMOVED_IN)
        value, variable = old_value, 'bluemind_firewall_verify'
    else:
        variable = 'bluemind_firewall_verify_fail_on'
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise PolicyError('%s: %r must be a list of %s (a YAML list, for example [exposed, unknown])'
                          % (variable, value, ', '.join(FINDING_KINDS)))
    unknown = [kind for kind in value if kind not in FINDING_KINDS]
    if unknown:
        raise PolicyError('%s: %s not among %s' % (variable, ', '.join(repr(kind) for kind in unknown),
                                                   ', '.join(FINDING_KINDS)))
    return list(value), deprecations
