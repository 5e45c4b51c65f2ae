"""A setting the plan reads for every host of an installation (the address, the BlueMind version, the
flows, the roles) is read the same way whatever level it is set at, or the host is refused naming it:
a play's, a role's or include_role's vars reach only the host's own tasks, never the other hosts'
plan. Real ansible-playbook runs of the role's plan alone, which changes nothing and contacts no host."""

import os
import subprocess
import sys

import pytest
import yaml

from conftest import COLLECTIONS, ROOT
from ansible_collections.bluemind.firewall.plugins.module_utils.installations import unseen_levels

BIN = os.path.dirname(sys.executable)
NO_FIREWALL = {'firewalld_active': False, 'firewalld_enabled': False, 'ufw_active': False, 'table_loaded': False}


def test_a_value_seen_only_by_the_hosts_own_tasks_is_named():
    read = {'bluemind_firewall_bluemind_version': 4, 'bluemind_firewall_address': None}
    message = unseen_levels(read, {'bluemind_firewall_bluemind_version': 5})
    assert message.startswith('bluemind_firewall_bluemind_version is 5 for this host\'s own tasks but 4 in the inventory')


def test_the_same_value_in_another_spelling_is_not_a_difference():
    assert unseen_levels({'bluemind_firewall_bluemind_version': '5'}, {'bluemind_firewall_bluemind_version': 5}) is None
    # Neither side sets it: both take the default.
    assert unseen_levels({'bluemind_firewall_flows': 'cluster'}, {}) is None
    assert unseen_levels({'bluemind_firewall_address': ['192.0.2.1']}, {'bluemind_firewall_address': ['192.0.2.1']}) is None


def _plan(tmp_path, where, variable, value):
    """The plan of two hosts of one installation, with one setting given at the level `where`."""
    hosts = {'a1': {'bluemind_firewall_address': ['192.0.2.1']}, 'a2': {'bluemind_firewall_address': ['192.0.2.2']}}
    group_vars = {'ansible_connection': 'local'}
    include_vars, play_vars, extra = {}, {'__bluemind_firewall_found': NO_FIREWALL}, []
    if where == 'inventory':
        group_vars[variable] = value
    elif where == 'include_role':
        include_vars[variable] = value
    elif where == 'play':
        play_vars[variable] = value
    else:
        extra = ['-e', yaml.safe_dump({variable: value}, default_flow_style=True).strip()]
    (tmp_path / 'inventory.yml').write_text(yaml.safe_dump({'bluemind': {'hosts': hosts, 'vars': group_vars}}))
    play = [{'name': 'Plan', 'hosts': 'bluemind', 'gather_facts': False, 'vars': play_vars, 'tasks': [
        {'name': 'Load the paths of the Debian family',
         'ansible.builtin.include_vars': {'file': os.path.join(ROOT, 'roles', 'host_firewall', 'vars', 'Debian.yml')}},
        {'name': 'Run the plan', 'ansible.builtin.include_role': {'name': 'bluemind.firewall.host_firewall',
                                                                  'tasks_from': 'plan'}, 'vars': include_vars}]}]
    (tmp_path / 'plan.yml').write_text(yaml.safe_dump(play))
    return subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', 'inventory.yml', 'plan.yml'] + extra,
                          check=False, capture_output=True, text=True, cwd=str(tmp_path),
                          env=dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false',
                                   ANSIBLE_COLLECTIONS_PATH=COLLECTIONS))


@pytest.mark.parametrize('variable, value', [('bluemind_firewall_bluemind_version', 5),
                                             ('bluemind_firewall_address', ['192.0.2.50'])])
@pytest.mark.parametrize('where', ['include_role', 'play'])
def test_a_level_the_plan_cannot_read_for_the_other_hosts_is_refused(tmp_path, where, variable, value):
    done = _plan(tmp_path, where, variable, value)
    assert done.returncode != 0, done.stdout
    text = ' '.join(done.stdout.split())
    assert '%s is %s for this host\'s own tasks' % (variable, value if variable.endswith('version') else "['192.0.2.50']") in text
    assert 'No host of the installation bluemind was changed' in text or 'no host of the installation bluemind was changed' in text


@pytest.mark.parametrize('where', ['inventory', 'extra'])
def test_the_levels_the_plan_reads_for_every_host_are_honoured(tmp_path, where):
    done = _plan(tmp_path, where, 'bluemind_firewall_bluemind_version', 5)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'a1 ' in done.stdout.split('PLAY RECAP')[-1] and 'failed=0' in done.stdout.split('PLAY RECAP')[-1]
