"""The rollback script a change writes: what it runs, in which order, and what it reports."""

import os
import subprocess

import pytest

from ansible_collections.bluemind.firewall.plugins.module_utils import change


class FakeModule(object):
    def fail_json(self, **kwargs):
        raise AssertionError(kwargs)

    def get_bin_path(self, name, required=False):
        return None

    def run_command(self, args, **kwargs):
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        return done.returncode, done.stdout, done.stderr


@pytest.fixture
def work(tmp_path):
    work = change.Change(FakeModule(), str(tmp_path / 'run'))
    work.begin()
    work.log = tmp_path / 'log'
    return work


def log_command(work, text):
    return ['sh', '-c', 'echo %s >> %s' % (text, work.log)]


def roll_back(work, reason='because'):
    work.release()
    rc = subprocess.run(['/bin/sh', work.path('rollback.sh'), reason], check=False).returncode
    lines = work.log.read_text().split() if work.log.exists() else []
    return rc, lines, change.rolled_back(work.dir)


def test_undo_that_works_skips_the_fallback(work):
    work.on_rollback(log_command(work, 'undo'), mode='undo')
    work.on_rollback(log_command(work, 'files'))
    work.on_rollback(log_command(work, 'reload'), mode='fallback')
    work.arm(0)
    rc, lines, marker = roll_back(work)
    assert (rc, lines) == (0, ['undo', 'files'])
    assert marker['reason'] == 'because' and marker['status'] == '0'


def test_undo_that_fails_calls_for_the_fallback_and_still_succeeds(work):
    work.on_rollback(['false'], mode='undo')
    work.on_rollback(log_command(work, 'files'))
    work.on_rollback(log_command(work, 'reload'), mode='fallback')
    work.arm(0)
    assert roll_back(work)[:2] == (0, ['files', 'reload'])


def test_a_failing_must_command_fails_the_rollback_but_the_rest_still_runs(work):
    work.on_rollback(['false'])
    work.on_rollback(log_command(work, 'after'))
    work.arm(0)
    rc, lines, marker = roll_back(work)
    assert (rc, lines, marker['status']) == (1, ['after'], '1')


def test_saved_files_come_back_and_new_ones_go(work, tmp_path):
    existing, created = tmp_path / 'existing', tmp_path / 'created'
    existing.write_text('before\n')
    work.save_file(str(existing))
    work.save_file(str(created))
    work.arm(0)
    existing.write_text('after\n')
    created.write_text('new\n')
    roll_back(work)
    assert existing.read_text() == 'before\n' and not created.exists()


def test_a_change_no_longer_armed_is_not_rolled_back(work):
    work.on_rollback(log_command(work, 'ran'))
    work.arm(0)
    os.remove(work.path('armed'))
    assert roll_back(work)[:3] == (0, [], None)
