# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of the modules that take part in a commit-confirmed change.
    DOCUMENTATION = r'''
options:
  state_dir:
    description:
      - Where a change keeps its rollback script, saved rules and pending steps until confirmed. Under
        C(/run), so that a reboot forgets them together with the timer.
    type: path
    default: /run/bluemind-firewall
'''
