"""Files the collection keeps for boot survive a power cut: synced before and after the rename."""

import os

from ansible_collections.bluemind.firewall.plugins.module_utils import host_files


class FakeModule(object):
    def __init__(self, calls):
        self.calls = calls

    def atomic_move(self, source, destination):
        self.calls.append(('rename', os.path.basename(destination)))
        os.rename(source, destination)


def test_the_content_is_synced_before_the_rename_and_the_directory_after(tmp_path, monkeypatch):
    calls = []
    real_fsync = os.fsync

    def fsync(fd):
        target = os.readlink('/proc/self/fd/%d' % fd)
        calls.append(('fsync', 'directory' if os.path.isdir(target) else 'file'))
        real_fsync(fd)
    monkeypatch.setattr(os, 'fsync', fsync)
    path = tmp_path / 'etc' / 'bluemind_firewall.nft'
    host_files.write(FakeModule(calls), str(path), 'table inet t { }\n', 0o600)
    assert calls == [('fsync', 'file'), ('rename', 'bluemind_firewall.nft'), ('fsync', 'directory')]
    assert path.read_text() == 'table inet t { }\n' and oct(path.stat().st_mode & 0o777) == '0o600'
    assert os.listdir(str(path.parent)) == ['bluemind_firewall.nft']
