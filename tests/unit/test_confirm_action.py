"""The controller side of a confirmation: a new connection per attempt, retries until the deadline,
and what the run says when the host could only be reached after it rolled back, or not at all."""

import types

import pytest

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase

from ansible_collections.bluemind.firewall.plugins.action import confirm


class Clock(object):
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class SshLike(object):
    """A connection that implements reset(), as the ssh plugin does; connecting costs 5 s."""

    def __init__(self, clock, answers):
        self.clock, self.answers, self.resets = clock, list(answers), 0

    def reset(self):
        self.resets += 1


@pytest.fixture
def action(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(confirm, 'time', types.SimpleNamespace(time=clock.time, sleep=clock.sleep))
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})

    def make(answers, timeout=20, grace=30):
        plugin = object.__new__(confirm.ActionModule)
        plugin._task = types.SimpleNamespace(check_mode=False, args={'timeout': timeout, 'grace': grace})
        plugin._play_context = types.SimpleNamespace(remote_addr='mail')
        plugin._connection = SshLike(clock, answers)

        def execute(module_name, module_args, task_vars):
            assert module_name == 'bluemind.firewall.confirm'
            clock.now += 5
            answer = plugin._connection.answers.pop(0) if plugin._connection.answers else None
            if answer is None:
                raise AnsibleConnectionFailure('ssh: connect to host mail port 22: Connection timed out')
            return dict(answer)
        plugin._execute_module = execute
        return plugin
    return make


def test_confirmed_on_the_first_new_connection(action):
    plugin = action([{'changed': True, 'confirmed': True}])
    result = plugin.run(task_vars={})
    assert result['confirmed'] and result['attempts'] == 1 and plugin._connection.resets == 1


def test_every_attempt_opens_a_new_connection_until_one_gets_through(action):
    plugin = action([None, None, {'changed': True, 'confirmed': True}])
    result = plugin.run(task_vars={})
    assert result['confirmed'] and result['attempts'] == 3 and plugin._connection.resets == 3


def test_the_hosts_rollback_is_reported_with_the_connection_errors(action):
    rolled_back = {'failed': True, 'confirmed': False, 'rolled_back': {'at': 'T', 'reason': 'r'},
                   'msg': 'The firewall change was rolled back at T: no new connection confirmed the change within 20 seconds.'}
    plugin = action([None, None, None, None, rolled_back])
    result = plugin.run(task_vars={})
    assert result['failed'] and result['attempts'] == 5
    assert result['msg'].startswith('The firewall change was rolled back at T')
    assert '4 failed attempts' in result['msg'] and 'Connection timed out' in result['msg']


def test_a_host_that_never_answers_is_unreachable_after_timeout_and_grace(action):
    plugin = action([], timeout=20, grace=30)
    result = plugin.run(task_vars={})
    assert result['failed'] and result['unreachable'] and not result['confirmed']
    # one attempt every 6 s (5 s connect timeout + 1 s pause) for 50 s
    assert result['attempts'] == 9
    assert 'within 20 seconds' in result['msg'] and 'Connection timed out' in result['msg']


def test_check_mode_skips(action):
    plugin = action([])
    plugin._task.check_mode = True
    assert plugin.run(task_vars={})['skipped'] and plugin._connection.resets == 0
