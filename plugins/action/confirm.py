# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Confirm a firewall change over a connection opened after it, or report that the host rolled it back."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure
from ansible.plugins.action import ActionBase
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

display = Display()

MODULE = 'bluemind.firewall.confirm'


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('timeout', 'grace', 'action', 'reason', 'armed_at', 'record_path', 'state_dir'))

    def _attempt(self, task_vars, args):
        """The module's result over a brand-new connection, or the connection error."""
        # A connection still open from before the change passes as "established" whatever the new
        # rules say; only a new one shows that the controller can still get in.
        if type(self._connection).reset is not ConnectionBase.reset:
            self._connection.reset()
        try:
            return self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars), None
        except AnsibleConnectionFailure as exc:
            return None, str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        if self._task.check_mode:
            result.update(skipped=True, msg='nothing is pending in check mode')
            return result
        args = dict(self._task.args)
        try:
            timeout, grace = int(args['timeout']), int(args.get('grace', 30))
        except (KeyError, TypeError, ValueError):
            raise AnsibleActionFail('timeout (seconds, an integer) is required')
        # The host decides: it confirms only before its own deadline, and its clock started before
        # ours (the change went live before the apply result reached us). Past our deadline, keep
        # trying for a while, to learn from the host that it rolled back.
        deadline = time.time() + timeout
        attempts, last_error, outcome = 0, None, None
        while outcome is None and time.time() < deadline + grace:
            if attempts:
                display.vvv('confirm: no new connection yet (%s), retrying' % last_error,
                            host=self._play_context.remote_addr)
                time.sleep(1)
            attempts += 1
            outcome, error = self._attempt(task_vars, args)
            last_error = error or last_error
        result['attempts'] = attempts
        if outcome is None:
            result.update(failed=True, unreachable=True, confirmed=False,
                          msg='No new connection to the host could be made within %d seconds after the firewall '
                              'change, nor in the %d seconds after that (last error: %s). The host restores the '
                              'previous rules by itself when its timer runs out; check it from its console.'
                              % (timeout, grace, last_error))
            return result
        result.update(outcome)
        if outcome.get('failed') and outcome.get('rolled_back') and last_error:
            result['msg'] = '%s The controller could not open a new connection before (%d failed attempts, last: %s).' % (
                outcome['msg'], attempts - 1, last_error)
        return result
