"""The AWX / Automation Platform project of examples/awx-project works as written: its requirements
install the collection (from git and from an archive), and its wrapper playbook resolves to the
collection's site playbook."""

import os
import subprocess
import sys

import yaml

from conftest import ROOT, load_yaml

PROJECT = os.path.join(ROOT, 'examples', 'awx-project')
BIN = os.path.dirname(sys.executable)


def _run(*argv, **kwargs):
    # Only the fresh collections path: where the suite's own ANSIBLE_COLLECTIONS_PATH (the checkout)
    # is seen, ansible-galaxy counts the collection as installed already and skips it.
    kwargs.setdefault('env', dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.devnull))
    done = subprocess.run(argv, check=False, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _requirements(tmp_path, entry):
    path = tmp_path / 'requirements.yml'
    path.write_text(yaml.safe_dump({'collections': [entry]}))
    return str(path)


def _wrapper_tasks(collections):
    inventory = os.path.join(ROOT, 'demo', 'inventory.yml')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections)
    return _run(os.path.join(BIN, 'ansible-playbook'), '-i', inventory, '--list-tasks', 'site.yml',
                cwd=PROJECT, env=env).stdout


def test_the_git_entry_installs_and_the_wrapper_runs_the_site_playbook(tmp_path):
    git_entry = load_yaml('examples', 'awx-project', 'collections', 'requirements.yml')['collections'][0]
    assert git_entry['type'] == 'git' and git_entry['name'].endswith('/bluemind.firewall.git')
    # The same entry, pointed at this checkout instead of the placeholder address.
    local = dict(git_entry, name='file://' + ROOT, version='HEAD')
    collections = str(tmp_path / 'collections')
    _run(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '-r', _requirements(tmp_path, local),
         '-p', collections, env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections))
    assert os.path.exists(os.path.join(collections, 'ansible_collections', 'bluemind', 'firewall', 'MANIFEST.json'))
    tasks = _wrapper_tasks(collections)
    assert 'Configure the host firewall of the BlueMind installations' in tasks
    assert 'bluemind.firewall.host_firewall : Install nftables if missing and load the firewall table' in tasks


def test_the_archive_entry_installs(tmp_path):
    with open(os.path.join(PROJECT, 'collections', 'requirements.yml')) as handle:
        text = handle.read()
    # The commented alternative, uncommented, names the archive make build writes.
    archive_lines = [line.replace('# ', '', 1) for line in text.splitlines()
                     if line.lstrip().startswith('# - name: files/') or line.lstrip().startswith('#   type: file')]
    entry = yaml.safe_load('\n'.join(line.strip() for line in archive_lines).replace('type', '  type'))[0]
    version = load_yaml('galaxy.yml')['version']
    assert entry == {'name': 'files/bluemind-firewall-%s.tar.gz' % version, 'type': 'file'}
    _run(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(tmp_path / 'files'), ROOT)
    collections = str(tmp_path / 'collections')
    _run(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '-r', _requirements(tmp_path, entry),
         '-p', collections, cwd=str(tmp_path), env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections))
    assert 'Configure the host firewall of the BlueMind installations' in _wrapper_tasks(collections)


def test_the_execution_environment_needs_nothing_beyond_ansible_core():
    metadata = load_yaml('meta', 'execution-environment.yml')
    assert metadata == {'version': 1, 'dependencies': {}}
