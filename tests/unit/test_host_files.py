"""Files the collection keeps for boot survive a power cut (synced before and after the rename), and
only root reads them: mode and owner are set on the staged file before the rename, checked after."""

import os
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bluemind.firewall.plugins.module_utils import change, host_files


class Failed(Exception):
    pass


class FakeModule(object):
    check_mode = False
    # Ansible's own, for the record: it keeps a loosened file's mode and owner (see the tests below).
    atomic_move = AnsibleModule.atomic_move

    def selinux_enabled(self):
        return False

    def cleanup(self, path):
        pass

    def fail_json(self, **kwargs):
        raise Failed(kwargs['msg'])


def attributes(path):
    found = os.stat(str(path))
    return oct(stat.S_IMODE(found.st_mode)), found.st_uid, found.st_gid


@pytest.fixture
def renames(monkeypatch):
    """Each rename host_files does, with the staged file's mode and owner at that moment."""
    seen = []
    real_rename = os.rename

    def rename(source, destination):
        seen.append((os.path.basename(os.fsdecode(destination)),) + attributes(os.fsdecode(source)))
        real_rename(source, destination)
    monkeypatch.setattr(host_files.os, 'rename', rename)
    return seen


def test_the_content_is_synced_before_the_rename_and_the_directory_after(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_rename = os.fsync, os.rename

    def fsync(fd):
        target = os.readlink('/proc/self/fd/%d' % fd)
        calls.append(('fsync', 'directory' if os.path.isdir(target) else 'file'))
        real_fsync(fd)

    def rename(source, destination):
        calls.append(('rename', os.path.basename(os.fsdecode(destination))))
        real_rename(source, destination)
    monkeypatch.setattr(os, 'fsync', fsync)
    monkeypatch.setattr(host_files.os, 'rename', rename)
    path = tmp_path / 'etc' / 'bluemind_firewall.nft'
    host_files.write(FakeModule(), str(path), 'table inet t { }\n', host_files.PRIVATE)
    assert calls == [('fsync', 'file'), ('rename', 'bluemind_firewall.nft'), ('fsync', 'directory')]
    assert path.read_text() == 'table inet t { }\n'
    assert os.listdir(str(path.parent)) == ['bluemind_firewall.nft']


@pytest.mark.parametrize('mode', [host_files.PRIVATE, host_files.SCRIPT, host_files.UNIT])
def test_a_new_file_has_its_mode_and_root_owner_before_the_rename_whatever_the_umask(tmp_path, renames, mode):
    path = tmp_path / 'etc' / 'file'
    old_umask = os.umask(0)
    try:
        host_files.write(FakeModule(), str(path), 'x\n', mode)
    finally:
        os.umask(old_umask)
    assert renames == [('file', oct(mode), 0, 0)]
    assert attributes(path) == (oct(mode), 0, 0)


def test_a_loosened_file_is_tightened_by_the_next_write(tmp_path, renames):
    path = tmp_path / 'policy.json'
    path.write_text('{}\n')
    os.chmod(str(path), 0o666)
    os.chown(str(path), 1000, 1000)
    assert host_files.wrong_attributes(str(path), host_files.PRIVATE) == 'mode 0666, not 0600, owner 1000:1000, not 0:0'
    host_files.write(FakeModule(), str(path), '{}\n', host_files.PRIVATE)
    # AnsibleModule.atomic_move would have copied 0666 and 1000:1000 onto the staged file.
    assert renames == [('policy.json', '0o600', 0, 0)]
    assert attributes(path) == ('0o600', 0, 0)
    assert host_files.wrong_attributes(str(path), host_files.PRIVATE) is None


def test_a_file_that_does_not_end_with_its_mode_fails_loudly(tmp_path, monkeypatch):
    """As when something between the rename and the check (atomic_move, a default ACL) sets it."""
    real_rename = os.rename

    def rename_then_loosen(source, destination):
        real_rename(source, destination)
        os.chmod(os.fsdecode(destination), 0o644)
    monkeypatch.setattr(host_files.os, 'rename', rename_then_loosen)
    with pytest.raises(Failed, match=r'policy.json was written but is mode 0644, not 0600'):
        host_files.write(FakeModule(), str(tmp_path / 'policy.json'), '{}\n', host_files.PRIVATE)


def test_a_write_that_fails_leaves_no_staged_file(tmp_path, monkeypatch):
    def refuse(fd, uid, gid):
        raise OSError(1, 'Operation not permitted')
    monkeypatch.setattr(host_files.os, 'fchown', refuse)
    with pytest.raises(OSError):
        host_files.write(FakeModule(), str(tmp_path / 'policy.json'), '{}\n', host_files.PRIVATE)
    assert os.listdir(str(tmp_path)) == []


class Work(object):
    def __init__(self, steps):
        self.commit_steps = steps

    def keep(self, step):
        self.commit_steps.append(step)


def test_only_loose_files_that_no_other_step_writes_are_written_again(tmp_path):
    files = {}
    for name, mode in (('ruleset', 0o666), ('record', 0o644), ('unit', 0o644), ('script', 0o755), ('gone', None)):
        files[name] = str(tmp_path / name)
        if mode:
            (tmp_path / name).write_text(name + '\n')
            os.chmod(files[name], mode)
    loose = host_files.loose([(files['ruleset'], host_files.PRIVATE), (files['record'], host_files.PRIVATE),
                              (files['unit'], host_files.UNIT), (files['script'], host_files.SCRIPT),
                              (files['gone'], host_files.PRIVATE)])
    assert [(os.path.basename(path), wrong) for path, mode, wrong in loose] == [
        ('ruleset', 'mode 0666, not 0600'), ('record', 'mode 0644, not 0600'), ('script', 'mode 0755, not 0700')]
    work = Work([{'write': files['record'], 'content': 'new record\n', 'mode': host_files.PRIVATE}])
    host_files.keep_tightened(work, loose)
    assert work.commit_steps[1:] == [{'write': files['ruleset'], 'content': 'ruleset\n', 'mode': 0o600},
                                     {'write': files['script'], 'content': 'script\n', 'mode': 0o700}]


def test_commit_writes_each_step_with_its_mode_and_the_strictest_without_one(tmp_path):
    unit, record = str(tmp_path / 'unit'), str(tmp_path / 'policy.json')
    change.commit(FakeModule(), [{'write': unit, 'content': '[Unit]\n', 'mode': host_files.UNIT},
                                 {'write': record, 'content': '{}\n'}])
    assert attributes(unit) == ('0o644', 0, 0) and attributes(record) == ('0o600', 0, 0)
