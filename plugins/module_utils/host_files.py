# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files and packages on the host, shared by the modules that apply a backend."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat
import tempfile


def read(path):
    """The file's text, or None when it does not exist or cannot be read."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


# The modes of the files the collection keeps. The ruleset, the record and the listing name the
# peers and the admin networks, and the scripts run as root: only root reads or writes them.
PRIVATE = 0o600
SCRIPT = 0o700
# systemd units and drop-ins: systemd's own tools read them as any user, and they hold nothing secret.
UNIT = 0o644
ROOT = (0, 0)


def stage(path, content, mode, owner=ROOT, context=None):
    """A temporary copy beside path, on disk (synced), so that moving it into place is atomic. Its
    mode and owner are set through its descriptor before its content is written and before the
    rename: under path, the file has its final attributes from its first moment, never looser ones."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, staged = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.')
    try:
        with os.fdopen(fd, 'w') as handle:
            os.fchown(handle.fileno(), owner[0], owner[1])
            os.fchmod(handle.fileno(), mode)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if context is not None:
            context(staged)
    except BaseException:
        os.unlink(staged)
        raise
    return staged


def sync_directory(directory):
    """A rename is on disk only once its directory is: after a power cut, the file is then either
    the old one or the new one, whole, never empty or cut short."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def wrong_attributes(path, mode, owner=ROOT):
    """How path's mode and owner differ from mode and owner ('mode 0666, not 0600'), or None when
    they do not (or path does not exist)."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    words = []
    if stat.S_IMODE(found.st_mode) != mode:
        words.append('mode %04o, not %04o' % (stat.S_IMODE(found.st_mode), mode))
    if (found.st_uid, found.st_gid) != tuple(owner):
        words.append('owner %d:%d, not %d:%d' % (found.st_uid, found.st_gid, owner[0], owner[1]))
    return ', '.join(words) or None


def loose(files):
    """(path, mode, how it differs) of each of files, (path, mode) pairs, whose mode or owner is not
    the one asked: a file loosened by hand (chmod 0666) is written again, content and all, by the
    next run, and that counts as a change."""
    return [(path, mode, wrong) for path, mode in files for wrong in [wrong_attributes(path, mode)] if wrong]


def keep_tightened(work, loose_files):
    """Commit steps (change.Change.keep) that write again each loose file that no other step writes."""
    written = set(step['write'] for step in work.commit_steps if 'write' in step)
    for path, mode, dummy in loose_files:
        content = read(path)
        if path not in written and content is not None:
            work.keep({'write': path, 'content': content, 'mode': mode})


def mode_of(path, default):
    """path's mode, for another program's file rewritten in place (ufw's), or default when it does not exist."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return default


def attributes_diff(path, mode, owner=ROOT):
    """Diff mode's view of a file whose content stays and whose mode or owner is set back."""
    found = os.stat(path)
    return {'before_header': '%s (mode, owner)' % path, 'after_header': '%s (mode, owner)' % path,
            'before': 'mode %04o owner %d:%d\n' % (stat.S_IMODE(found.st_mode), found.st_uid, found.st_gid),
            'after': 'mode %04o owner %d:%d\n' % (mode, owner[0], owner[1])}


def _selinux_context(module, path):
    """What AnsibleModule.atomic_move would give the file (the old file's SELinux context, or the
    policy's default for a new one), applied to the staged file before the rename; None without SELinux."""
    if not module.selinux_enabled():
        return None
    context = module.selinux_context(path) if os.path.exists(path) else module.selinux_default_context(path)
    return lambda staged: module.set_context_if_different(staged, context, False)


def write(module, path, content, mode, owner=ROOT):
    """Replace path with content, root-owned with mode (one of the constants above), in one rename.

    Not AnsibleModule.atomic_move: it gives the new file the old file's mode and owner (a file
    loosened by hand would stay loose) and a new file 0666 less the umask, after the rename."""
    os.rename(stage(path, content, mode, owner, _selinux_context(module, path)), path)
    sync_directory(os.path.dirname(path))
    wrong = wrong_attributes(path, mode, owner)
    if wrong:
        module.fail_json(msg='%s was written but is %s (a file system or ACL that overrides modes?): it may be '
                             'readable by others; fix it, then run again.' % (path, wrong))


def install_missing(module, binary, command):
    """(path of the binary, whether it was installed). The package manager runs only when the binary
    is missing, so that a host that has it costs no package-manager call; in check mode it does not
    run and the path is None."""
    path = module.get_bin_path(binary)
    if path:
        return path, False
    if not command:
        module.fail_json(msg='%s is not installed on this host, and no install_command was given' % binary)
    if module.check_mode:
        return None, True
    rc, out, err = module.run_command(command, environ_update={'DEBIAN_FRONTEND': 'noninteractive'})
    if rc != 0:
        module.fail_json(msg='installing %s failed: %s' % (binary, (err or out).strip()), rc=rc)
    return module.get_bin_path(binary, required=True), True
