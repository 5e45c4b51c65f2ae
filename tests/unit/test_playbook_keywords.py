"""The playbooks keep their promises whatever ansible.cfg and the command line say: the plays that
plan and stop installations together run in lockstep even where the configured strategy is free, the
misspelt-group guard runs under --limit, and --list-tasks shows the role's steps."""

import os
import subprocess
import sys

import pytest
import yaml

from conftest import COLLECTIONS, ROOT

BIN = os.path.dirname(sys.executable)
PLAYBOOKS = ('site.yml', 'verify.yml')


def _ansible_playbook(tmp_path, *argv, **env):
    environment = dict(os.environ, ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_NOCOLOR='1',
                       ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, **env)
    return subprocess.run([os.path.join(BIN, 'ansible-playbook')] + list(argv), check=False,
                          capture_output=True, text=True, cwd=str(tmp_path), env=environment)


def _inventory(tmp_path):
    # A host that would be this machine: the tests below must stop before any task reaches it.
    path = tmp_path / 'inventory.yml'
    path.write_text(yaml.safe_dump({'bluemind': {'hosts': {'mx1': {'ansible_connection': 'local'}}}}))
    return str(path)


# Ansible's own loading of each playbook, in a process whose configuration says free (Play's default
# strategy is read from the configuration when Ansible is imported).
_STRATEGIES = """
import sys
from ansible.parsing.dataloader import DataLoader
from ansible.playbook import Playbook
from ansible.plugins.loader import init_plugin_loader
from ansible.vars.manager import VariableManager
init_plugin_loader()
loader = DataLoader()
for play in Playbook.load(sys.argv[1], variable_manager=VariableManager(loader=loader), loader=loader).get_plays():
    print('%s|%s' % (play.get_name(), play.strategy))
"""


@pytest.mark.parametrize('playbook', PLAYBOOKS)
def test_every_play_runs_linear_where_ansible_cfg_says_free(tmp_path, playbook):
    config = tmp_path / 'ansible.cfg'
    config.write_text('[defaults]\nstrategy = free\n')
    done = subprocess.run([sys.executable, '-c', _STRATEGIES, os.path.join(ROOT, 'playbooks', playbook)],
                          check=False, capture_output=True, text=True, cwd=str(tmp_path),
                          env=dict(os.environ, ANSIBLE_CONFIG=str(config), ANSIBLE_COLLECTIONS_PATH=COLLECTIONS))
    assert done.returncode == 0, done.stderr
    strategies = dict(line.rsplit('|', 1) for line in done.stdout.splitlines() if '|' in line)
    assert strategies and set(strategies.values()) == {'linear'}, strategies


def test_the_misspelt_group_guard_holds_under_limit(tmp_path):
    done = _ansible_playbook(tmp_path, '-i', _inventory(tmp_path), '--limit', 'mx1',
                             '-e', 'bluemind_firewall_cluster_group=bluemnid',
                             os.path.join(ROOT, 'playbooks', 'site.yml'))
    assert done.returncode != 0, done.stdout
    assert "The group 'bluemnid' holds no host of this inventory" in done.stdout
    # Stopped at the guard: the role's play never started.
    assert 'Configure the host firewall' not in done.stdout


def test_list_tasks_shows_every_step_of_the_role(tmp_path):
    done = _ansible_playbook(tmp_path, '-i', _inventory(tmp_path), '--list-tasks',
                             os.path.join(ROOT, 'playbooks', 'site.yml'))
    assert done.returncode == 0, done.stdout + done.stderr
    with open(os.path.join(ROOT, 'roles', 'host_firewall', 'tasks', 'present.yml')) as handle:
        present = yaml.safe_load(handle)

    def tasks(items):
        # Blocks are not listed, their tasks are.
        for item in items:
            if 'block' in item:
                yield from tasks(item['block'])
            elif 'import_tasks' not in str(item):
                yield item
    steps = [task['name'] for task in tasks(present)]
    assert 'Install it with apt, waiting for the package lock' in steps
    for name in steps:
        assert 'host_firewall : ' + name in done.stdout
