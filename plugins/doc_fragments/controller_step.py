# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The attributes of the role's controller-side steps, which compute and never change a host.
    DOCUMENTATION = r'''
attributes:
  check_mode:
    support: full
    description: Changes nothing, in any mode.
  diff_mode:
    support: none
    description: Nothing to show.
  platform:
    platforms: all
    support: full
    description: Runs on the controller.
'''
