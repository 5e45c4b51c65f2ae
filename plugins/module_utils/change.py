# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One change of a host's firewall: how to undo it, and what makes it permanent.

Before the first live change, the apply modules write a shell script that restores the rules in
force before it. That script runs at once when a step of the change fails; with commit-confirm, a
systemd timer runs it when nobody confirmed the change in time, with no Ansible connection needed.
What makes a change permanent (boot files, the record, removing a replaced backend) is kept aside
as data and carried out only on confirmation.

Everything lives under /run, which is emptied at boot together with the transient timer: after a
reboot within the window, the boot files, still the old ones, are the rollback. One small file
outside /run, the change marker beside the record, says that a change waits (or was rolled back):
a confirmation that finds it with nothing under /run knows the host restarted and lost the change.

The script and the modules take the same lock, so a confirmation and a timer firing at the same
moment cannot both win: whichever takes the lock first removes the "armed" file the other needs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import json
import os
import shlex
import shutil
import time

from ansible_collections.bluemind.firewall.plugins.module_utils import backends, host_files
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import MINIMUM_CONFIRM_TIMEOUT

STATE_DIR = '/run/bluemind-firewall'
TIMER_UNIT = 'bluemind-firewall-rollback'
MINIMUM_TIMEOUT = MINIMUM_CONFIRM_TIMEOUT

_SCRIPT = """#!/bin/sh
# Written by bluemind.firewall: restores the firewall rules in force before the change armed at
# {armed_at}, unless that change was confirmed first. $1 says why it runs.
exec 9>>{lock}
flock 9
[ -e {armed} ] || exit 0
rm -f {armed} {pending}
status=0
fallback=
{commands}
at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf '%s\\n%s\\n%s\\n' "$at" "${{1:-no reason given}}" "$status" > {marker}
{persist}exit $status
"""
# The change marker: its state, when the change was armed, and for a rollback when and why.
UNCONFIRMED = 'unconfirmed'
ROLLED_BACK = 'rolled-back'
MARKER_NAME = '.change'


def marker_path(record_path):
    """The change marker lives beside the record, in the collection's own directory, which survives
    a restart (/run does not)."""
    return os.path.join(os.path.dirname(record_path), MARKER_NAME)


def read_marker(path):
    """{state, armed_at, at, reason} of the change marker, or None."""
    text = host_files.read(path) if path else None
    if not text:
        return None
    lines = (text.splitlines() + ['', '', '', ''])[:4]
    try:
        armed_at = float(lines[1])
    except ValueError:
        armed_at = None
    return {'state': lines[0], 'armed_at': armed_at, 'at': lines[2], 'reason': lines[3]}


def check_timeout(module, timeout):
    if timeout and timeout < MINIMUM_TIMEOUT:
        module.fail_json(msg='confirm_timeout=%s: give 0 (no confirmation) or at least %d seconds, enough to open a new '
                             'connection; nothing was changed' % (timeout, MINIMUM_TIMEOUT))


class ChangeFailed(Exception):
    """A live step failed: the change is rolled back and the module fails with this message."""


def _quote(words):
    return ' '.join(shlex.quote(word) for word in words)


def _lock(state_dir):
    fd = os.open(os.path.join(state_dir, 'lock'), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


class Change(object):
    """Collects restore commands, arms them, runs live steps and keeps the steps that commit."""

    def __init__(self, module, state_dir=STATE_DIR, marker=None):
        self.module = module
        self.dir = state_dir
        self.marker = marker
        self.restore = []
        self.commit_steps = []
        self._lock_fd = None
        self.timeout = 0
        self.armed_at = None

    def path(self, name):
        return os.path.join(self.dir, name)

    # -- before the change ---------------------------------------------------------------------
    def begin(self):
        """Take the lock; deal with what an interrupted earlier change left behind."""
        if not os.path.isdir(self.dir):
            os.makedirs(self.dir, 0o700)
        self._lock_fd = _lock(self.dir)
        pending = read_pending(self.dir)
        if pending is not None:
            if timer_active(self.module):
                self.release()
                self.module.fail_json(
                    msg='A firewall change armed at %s waits for its confirmation; unless confirmed it is rolled '
                        'back at %s. Nothing was changed: run again after that.'
                        % (time_text(pending.get('armed_at')), time_text(pending.get('deadline'))))
            # Left by a run that was interrupted with no timer to finish it: back to the rules before it.
            self.release()
            run_rollback(self.module, self.dir, 'an earlier change was interrupted before it was confirmed')
            self._lock_fd = _lock(self.dir)
        if self.marker and os.path.exists(self.marker):
            # What an earlier change left there (lost in a restart, or rolled back) was reported, or
            # is superseded: this change starts from the rules in force now.
            os.remove(self.marker)
        for name in ('rolled-back', 'saved'):
            target = self.path(name)
            if os.path.isdir(target):
                shutil.rmtree(target)
            elif os.path.exists(target):
                os.remove(target)
        os.makedirs(self.path('saved'), 0o700)

    def save_file(self, path):
        """Restoring puts back this file as it is now, or removes it if it does not exist. Returns the
        copy (None for a file that did not exist)."""
        if not os.path.exists(path):
            self.on_rollback(['rm', '-f', path])
            return None
        copy = self.path(os.path.join('saved', str(len(self.restore))))
        shutil.copy2(path, copy)
        self.on_rollback(['cp', '-p', copy, path])
        return copy

    def save_text(self, name, text):
        """A file in the state directory that a restore command reads."""
        target = self.path(os.path.join('saved', name))
        with open(target, 'w') as handle:
            handle.write(text)
        return target

    def on_rollback(self, words, mode='must'):
        """A restore command. mode: 'must' (its failure fails the rollback); 'undo' (a quick way back
        whose failure only calls for the 'fallback' commands); 'fallback' (run only if an 'undo' failed)."""
        self.restore.append((list(words), mode))

    def arm(self, timeout):
        """Write the rollback script and mark the change as in progress; with a timeout, start the
        timer that runs the script unless the change is confirmed within that many seconds."""
        self.timeout = timeout
        self.armed_at = time.time()
        self.write_script()
        with open(self.path('armed'), 'w') as handle:
            handle.write('%d\n' % self.armed_at)
        if timeout and self.marker:
            host_files.write(self.module, self.marker, '%s\n%r\n' % (UNCONFIRMED, self.armed_at), host_files.PRIVATE)
        if timeout:
            try:
                start_timer(self.module, self.path('rollback.sh'), timeout)
            except ChangeFailed as exc:
                _remove(self.path('armed'))
                self.release()
                self.module.fail_json(msg='%s; nothing was changed.' % exc)

    def write_script(self):
        """The rollback script for the restore commands so far (replaced in one rename, so that a
        timer firing while it is rewritten runs the old or the new one, whole)."""
        line = {'must': '%s || status=1', 'undo': '%s || fallback=1',
                'fallback': 'if [ -n "$fallback" ]; then %s || status=1; fi'}
        commands = '\n'.join(line[mode] % _quote(words) for words, mode in self.restore)
        persist = ''
        if self.marker and self.timeout:
            persist = "printf '%%s\\n%%s\\n%%s\\n%%s\\n' %s %s \"$at\" \"${1:-no reason given}\" > %s; sync\n" % (
                ROLLED_BACK, shlex.quote(repr(self.armed_at)), shlex.quote(self.marker))
        script = _SCRIPT.format(armed_at=time_text(self.armed_at), lock=shlex.quote(self.path('lock')),
                                armed=shlex.quote(self.path('armed')), pending=shlex.quote(self.path('pending.json')),
                                marker=shlex.quote(self.path('rolled-back')), commands=commands or ':',
                                persist=persist)
        staged = self.path('rollback.sh.new')
        with open(staged, 'w') as handle:
            handle.write(script)
        os.chmod(staged, 0o700)
        os.rename(staged, self.path('rollback.sh'))

    # -- during the change ---------------------------------------------------------------------
    def run(self, args, what=None):
        rc, out, err = self.module.run_command(args, environ_update={'LANG': 'C', 'LC_ALL': 'C'})
        if rc != 0:
            raise ChangeFailed('%s failed: %s' % (what or ' '.join(args), (err or out).strip()))
        return out

    def keep(self, step):
        """A step that makes the change permanent: see commit()."""
        self.commit_steps.append(step)

    def roll_back(self, reason):
        """Undo the change now (a live step failed) and fail the module, saying so."""
        self.release()
        stop_timer(self.module)
        status = run_rollback(self.module, self.dir, reason)
        outcome = ('the previous rules were restored' if status == 0 else
                   'restoring the previous rules also failed (see %s and %s)'
                   % (self.path('rollback.sh'), self.path('rolled-back')))
        self.module.fail_json(msg='%s; %s.' % (reason, outcome), rolled_back=status == 0)

    # -- after the change ----------------------------------------------------------------------
    def finish(self):
        """Commit at once without a timeout; otherwise leave the commit to the confirmation.
        Returns what the result says about a pending confirmation."""
        if not self.timeout:
            commit(self.module, self.commit_steps)
            _remove(self.path('armed'))
            self.release()
            return {'pending': False}
        # A commit that fails half-way leaves the timer armed: its rollback then also takes back
        # the files the commit had already written or removed.
        for step in self.commit_steps:
            if 'write' in step or 'remove' in step:
                self.save_file(step.get('write') or step.get('remove'))
        if any('run' in step and 'daemon-reload' in step['run'] for step in self.commit_steps):
            self.on_rollback([step['run'] for step in self.commit_steps if 'run' in step
                              and 'daemon-reload' in step['run']][0])
        self.write_script()
        pending = {'armed_at': self.armed_at, 'deadline': self.armed_at + self.timeout,
                   'timeout': self.timeout, 'steps': self.commit_steps}
        host_files.write(self.module, self.path('pending.json'), json.dumps(pending) + '\n', host_files.PRIVATE)
        self.release()
        return {'pending': True, 'armed_at': self.armed_at, 'rollback_timeout': self.timeout}

    def release(self):
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def time_text(epoch):
    if epoch is None:
        return 'an unknown time'
    return time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(epoch))


def _remove(path):
    if os.path.exists(path):
        os.remove(path)


def read_pending(state_dir):
    """The pending change ({} when its details are unreadable), or None when none is armed."""
    if not os.path.exists(os.path.join(state_dir, 'armed')):
        return None
    try:
        return json.loads(host_files.read(os.path.join(state_dir, 'pending.json')) or '{}')
    except ValueError:
        return {}


def _systemctl(module, *words):
    return module.run_command([module.get_bin_path('systemctl', required=True)] + list(words))


def timer_active(module):
    rc, dummy, dummy = _systemctl(module, 'is-active', '--quiet', TIMER_UNIT + '.timer')
    return rc == 0


def stop_timer(module):
    _systemctl(module, 'stop', TIMER_UNIT + '.timer')
    _systemctl(module, 'reset-failed', TIMER_UNIT + '.timer', TIMER_UNIT + '.service')


def start_timer(module, script, timeout):
    """A transient timer: it needs no file in /etc, and a reboot forgets it together with /run.
    AccuracySec=1s: transient timers otherwise default to a one-minute accuracy and fired tens of
    seconds late when this was measured."""
    systemd_run = module.get_bin_path('systemd-run')
    if not systemd_run:
        raise ChangeFailed('commit-confirm needs systemd-run on the host for its rollback timer (or set '
                           'bluemind_firewall_confirm: false)')
    stop_timer(module)
    rc, out, err = module.run_command([
        systemd_run, '--unit', TIMER_UNIT, '--collect', '--on-active=%ds' % timeout,
        '--timer-property=AccuracySec=1s', '--description=Roll back an unconfirmed bluemind.firewall change',
        '/bin/sh', script, 'no new connection confirmed the change within %d seconds' % timeout])
    if rc != 0:
        raise ChangeFailed('systemd-run could not start the rollback timer (a host without systemd needs '
                           'bluemind_firewall_confirm: false): %s' % (err or out).strip())


def run_rollback(module, state_dir, reason):
    """Run the rollback script now (it does nothing when the change is no longer armed)."""
    script = os.path.join(state_dir, 'rollback.sh')
    if not os.path.exists(script):
        return 0
    rc, dummy, dummy = module.run_command(['/bin/sh', script, reason])
    return rc


def rolled_back(state_dir):
    """{at, reason, status} of the last rollback, or None."""
    text = host_files.read(os.path.join(state_dir, 'rolled-back'))
    if text is None:
        return None
    lines = (text.splitlines() + ['', '', ''])[:3]
    return {'at': lines[0], 'reason': lines[1], 'status': lines[2]}


def commit(module, steps):
    """Carry out the steps kept by Change.keep(), in order. A step is a mapping: write (path, with
    content and mode, root-owned), remove (path), remove_directory (when empty), run (argv), remove_ufw,
    remove_nftables (table, unit_path, ruleset_path)."""
    for step in steps:
        if 'write' in step:
            # Every step names its mode; one without (kept by an earlier version) gets the strictest.
            host_files.write(module, step['write'], step['content'], int(step.get('mode', host_files.PRIVATE)))
        elif 'remove' in step:
            _remove(step['remove'])
        elif 'remove_directory' in step:
            directory = step['remove_directory']
            if os.path.isdir(directory) and set(os.listdir(directory)) <= set([MARKER_NAME]):
                _remove(os.path.join(directory, MARKER_NAME))
                os.rmdir(directory)
        elif 'run' in step:
            rc, out, err = module.run_command(step['run'])
            if rc != 0:
                module.fail_json(msg='committing the change: %s failed: %s'
                                     % (' '.join(step['run']), (err or out).strip()))
        elif 'remove_ufw' in step:
            backends.remove_ufw(module)
        elif 'remove_nftables' in step:
            args = step['remove_nftables']
            backends.remove_nftables(module, args['table'], args['unit_path'], args['ruleset_path'])
        else:
            module.fail_json(msg='unknown commit step %r' % (step,))


class Confirmation(object):
    """The host's side of a confirmation: commit a pending change, or roll it back on request."""

    def __init__(self, module, state_dir=STATE_DIR, marker=None):
        self.module = module
        self.dir = state_dir
        self.marker = marker

    def confirm(self):
        """The pending change, committed; None when there is none. A confirmation that arrives after
        the host's own deadline rolls the change back instead: the timer is due, and a controller
        that needed that long did not show that the new rules let it in.

        Committed first, the timer stopped after: a commit step that fails leaves the timer to
        restore the rules and the files already committed."""
        if not os.path.isdir(self.dir):
            return None
        fd = _lock(self.dir)
        try:
            pending = read_pending(self.dir)
            if pending is None:
                return None
            deadline = pending.get('deadline')
            late = time.time() - deadline if deadline is not None and time.time() > deadline else None
            if late is None:
                commit(self.module, pending.get('steps') or [])
                if self.marker:
                    _remove(self.marker)
                _remove(os.path.join(self.dir, 'pending.json'))
                _remove(os.path.join(self.dir, 'armed'))
                stop_timer(self.module)
                _remove(os.path.join(self.dir, 'rollback.sh'))
                return pending
        finally:
            os.close(fd)
        self.roll_back('the first new connection came %.0f s after the %s s the change had to be confirmed in'
                       % (late, pending.get('timeout', '?')))
        return None

    def roll_back(self, reason):
        stop_timer(self.module)
        return run_rollback(self.module, self.dir, reason)

    def lost(self, armed_at=None):
        """What the change marker says of a change that nothing under /run knows any more (the host
        restarted, or /run was emptied), or None. The marker is removed: it is reported once."""
        marker = read_marker(self.marker)
        if marker is None or self.marker is None:
            return None
        if armed_at is not None and marker['armed_at'] is not None and abs(marker['armed_at'] - armed_at) > 0.01:
            return None
        fd = _lock(self.dir) if os.path.isdir(self.dir) else None
        try:
            if read_pending(self.dir) is not None:
                return None
            _remove(self.marker)
        finally:
            if fd is not None:
                os.close(fd)
        return marker
