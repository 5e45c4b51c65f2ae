# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files and packages on the host, shared by the modules that apply a backend."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile


def read(path):
    """The file's text, or None when it does not exist or cannot be read."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def stage(path, content, mode):
    """A temporary copy beside path, on disk (synced), so that moving it into place is atomic."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, staged = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.')
    with os.fdopen(fd, 'w') as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(staged, mode)
    return staged


def sync_directory(directory):
    """A rename is on disk only once its directory is: after a power cut, the file is then either
    the old one or the new one, whole, never empty or cut short."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write(module, path, content, mode=0o644):
    module.atomic_move(stage(path, content, mode), path)
    sync_directory(os.path.dirname(path))


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
