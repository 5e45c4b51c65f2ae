"""ansible-galaxy collection build ships the collection, not the development files."""

import os
import subprocess
import sys
import tarfile

from conftest import ROOT, load_yaml


def test_build_ships_only_the_collection(tmp_path):
    galaxy = os.path.join(os.path.dirname(sys.executable), 'ansible-galaxy')
    subprocess.run([galaxy, 'collection', 'build', '--output-path', str(tmp_path), ROOT],
                   check=True, capture_output=True)
    version = load_yaml('galaxy.yml')['version']
    archive = tmp_path / ('bluemind-firewall-%s.tar.gz' % version)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    tops = {name.split('/')[0] for name in names}
    assert tops == {'MANIFEST.json', 'FILES.json', 'README.md', 'CHANGELOG.rst', 'changelogs', 'meta',
                    'playbooks', 'plugins', 'roles', 'LICENSES'}
    # The licence every file header points to ships; the development cache of the changelog does not.
    assert 'LICENSES/GPL-3.0-or-later.txt' in names and 'roles/host_firewall/README.md' in names
    assert 'changelogs/.plugin-cache.yaml' not in names
    for needed in ('playbooks/site.yml', 'roles/host_firewall/vars/main.yml',
                   'roles/host_firewall/meta/argument_specs.yml', 'plugins/modules/nftables_table.py',
                   'plugins/module_utils/policy.py', 'meta/runtime.yml'):
        assert needed in names
    assert not [name for name in names if '__pycache__' in name or name.endswith('.pyc')]
