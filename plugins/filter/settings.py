# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's switches read the way Ansible reads booleans and integers, from the command line too."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError, confirm_timeout as _timeout


def confirm_timeout(confirm, timeout):
    """The seconds a change has to be confirmed in, 0 without confirmation."""
    try:
        return _timeout(confirm, timeout)
    except PolicyError as exc:
        raise AnsibleFilterError('Invalid firewall settings, nothing was changed. %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'confirm_timeout': confirm_timeout}
