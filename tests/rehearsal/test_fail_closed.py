"""The rehearsal touches nothing but its own containers (issue 25), run as a user would (make rehearsals):
an inventory that manages this machine (localhost in the group, ansible_connection: local) or that sets
the podman connection's variables is refused before anything starts, and nothing of the collection
appears on this machine; a rehearsal run amid podman settings pointing elsewhere (environment,
ansible.cfg, a localhost reached over SSH) makes every podman call, its own and the nested runs', on
this machine's podman without them. A fake podman earlier in PATH records each call, then runs the real
one. Every address named is this machine's or a unix socket that does not exist: nothing leaves it."""

import glob
import hashlib
import json
import os
import shutil
import stat
import subprocess
import time

import pytest
import yaml

# The same names as the other rehearsal tests (tests/unit/test_test_bed_names.py reads them there).
NAME = 'bmfw-test-rehearsal'
NOWHERE = 'unix:///nonexistent/podman.sock'
# Only what a rehearsal names (this test's and a user's): the other lane of make test creates and removes
# its own containers meanwhile.
REHEARSAL_PREFIXES = (NAME, 'bmfw-rehearsal')
# Resolved before the fake goes first in PATH, so the test's own look does not count as the rehearsal's calls.
REAL_PODMAN = shutil.which('podman')
# What the collection writes on a host it converges.
HOST_FILES = ['/etc/bluemind-firewall', '/etc/bluemind-firewall/*', '/etc/systemd/system/bluemind-firewall*',
              '/etc/systemd/system/*.d/bluemind-firewall*', '/run/bluemind-firewall', '/run/bluemind-firewall/*']
# What can point podman, or Ansible's podman connection, at another machine; and what the fake records.
POINTING_ELSEWHERE = ('CONTAINER_HOST', 'CONTAINER_CONNECTION', 'ANSIBLE_PODMAN_EXTRA_ARGS',
                      'ANSIBLE_PODMAN_EXECUTABLE')
WATCHED = POINTING_ELSEWHERE + ('ANSIBLE_CONFIG',)
FAKE = '''#!%(python)s
import json, os, sys
with open(%(log)r, 'a') as handle:
    handle.write(json.dumps({'argv': sys.argv[1:], 'env': dict((name, os.environ.get(name)) for name in %(watched)r)}) + '\\n')
os.execv(%(real)r, [%(real)r] + sys.argv[1:])
'''


def this_machine():
    """What the collection, or a rehearsal, could leave on this machine."""
    found = {}
    for pattern in HOST_FILES:
        for path in glob.glob(pattern):
            if os.path.isfile(path):
                with open(path, 'rb') as handle:
                    found[path] = hashlib.sha256(handle.read()).hexdigest()
            else:
                found[path] = 'directory'
    tables = subprocess.run(['nft', 'list', 'tables'], capture_output=True, text=True, check=True).stdout
    found['nft tables'] = sorted(line for line in tables.splitlines() if 'bluemind' in line)
    found['containers'] = podman_names('ps', '-a')
    found['networks'] = podman_names('network', 'ls')
    return found


def unpointed_environment():
    """The environment without the settings the last test points podman elsewhere with: the test looks at
    this machine's podman, whatever it has just set for the rehearsal."""
    return dict((name, value) for name, value in os.environ.items() if name not in POINTING_ELSEWHERE)


def podman_names(*argv):
    """The rehearsals' containers or networks. podman ps fails (125) when a container of another test
    disappears while it lists them: asked again."""
    for attempt in range(5):
        listed = subprocess.run([REAL_PODMAN] + list(argv) + ['--format', '{{.Name}}' if argv[0] == 'network'
                                                              else '{{.Names}}'],
                                capture_output=True, text=True, check=False, env=unpointed_environment())
        if listed.returncode == 0:
            return sorted(name for name in listed.stdout.split() if name.startswith(REHEARSAL_PREFIXES))
        time.sleep(1 + attempt)
    raise AssertionError('podman %s failed 5 times: %s' % (' '.join(argv), listed.stderr))


@pytest.fixture()
def bed(tmp_path, monkeypatch):
    """A state directory of the test's own, and a podman earlier in PATH that records its calls."""
    real = REAL_PODMAN
    fake = tmp_path / 'bin' / 'podman'
    fake.parent.mkdir()
    log = tmp_path / 'podman-calls.jsonl'
    fake.write_text(FAKE % {'python': shutil.which('python3'), 'log': str(log), 'watched': WATCHED, 'real': real})
    fake.chmod(stat.S_IRWXU)
    monkeypatch.setenv('PATH', '%s:%s' % (fake.parent, os.environ['PATH']))
    monkeypatch.setenv('BLUEMIND_FIREWALL_REHEARSAL_DIR', str(tmp_path / 'state'))
    monkeypatch.setenv('ANSIBLE_NOCOLOR', '1')
    monkeypatch.setenv('ANSIBLE_FORCE_COLOR', '0')
    before = this_machine()
    yield {'dir': tmp_path, 'log': log, 'fake': str(fake)}
    assert this_machine() == before


def calls(bed):
    if not bed['log'].exists():
        return []
    return [json.loads(line) for line in bed['log'].read_text().splitlines()]


def rehearse(bed, inventory, *arguments, **kwargs):
    path = bed['dir'] / 'inventory.yml'
    path.write_text(yaml.safe_dump(inventory))
    return subprocess.run(['ansible-playbook', '-i', str(path), 'bluemind.firewall.rehearse',
                           '-e', 'bluemind_firewall_rehearsal_name=%s' % NAME] + list(arguments),
                          capture_output=True, text=True, check=False, cwd=kwargs.get('cwd'))


def refused_before_anything(bed, run, words):
    assert run.returncode != 0
    assert 'Cannot rehearse this inventory, nothing was started: %s' % words in run.stdout, run.stdout[-3000:]
    # Not one podman call: no container, bridge or exec, not even a removal.
    assert calls(bed) == []
    assert not glob.glob(str(bed['dir'] / 'state' / '*'))


def test_an_inventory_that_manages_this_machine_is_refused_before_anything_starts(bed):
    inventory = {'bluemind': {'hosts': {
        'localhost': {'ansible_connection': 'local', 'bluemind_firewall_admin_sources': ['192.0.2.0/24']},
        'mx2': {'ansible_host': '10.5.0.2'}}}}
    # An image that does not exist: were the refusal gone, the rehearsal would stop there, having started nothing.
    run = rehearse(bed, inventory, '-e', 'bluemind_firewall_rehearsal_image=localhost/bmfw-test-no-such-image')
    refused_before_anything(bed, run, 'host localhost is this machine (ansible_connection: local; its name '
                                      'localhost: localhost is this machine)')


def test_podman_connection_variables_in_the_inventory_are_refused_before_anything_starts(bed):
    inventory = {'bluemind': {'hosts': {
        'mx1': {'ansible_host': '10.5.0.1', 'ansible_podman_extra_args': '--remote --url %s' % NOWHERE},
        'mx2': {'ansible_host': '10.5.0.2'}}}}
    run = rehearse(bed, inventory, '-e', 'bluemind_firewall_rehearsal_image=localhost/bmfw-test-no-such-image')
    refused_before_anything(bed, run, 'host mx1 sets ansible_podman_extra_args (in its host or group variables)')
    assert 'mx2 sets' not in run.stdout


def test_every_podman_call_is_this_machine_s_podman_without_the_settings_pointing_elsewhere(bed, monkeypatch):
    # Everything that could point podman, or the podman connection, elsewhere, short of the inventory's
    # ansible_podman_* (refused above): environment, an ansible.cfg, and a localhost reached over SSH.
    config = bed['dir'] / 'ansible.cfg'
    config.write_text('[defaults]\npodman_extra_args = --remote --url %s\nremote_user = nobody\n' % NOWHERE)
    monkeypatch.setenv('ANSIBLE_CONFIG', str(config))
    monkeypatch.setenv('CONTAINER_HOST', NOWHERE)
    monkeypatch.setenv('CONTAINER_CONNECTION', 'bmfw-test-nowhere')
    monkeypatch.setenv('ANSIBLE_PODMAN_EXTRA_ARGS', '--remote --url %s' % NOWHERE)
    monkeypatch.setenv('ANSIBLE_PODMAN_EXECUTABLE', '/nonexistent/podman')
    inventory = {'all': {'children': {
        'bluemind': {'hosts': {'mx1': {'ansible_host': '10.5.0.1'}}},
        # The rehearsal's own play runs on this machine, never through this.
        'others': {'hosts': {'localhost': {'ansible_connection': 'ssh', 'ansible_host': '127.0.0.2',
                                           'ansible_port': 1}}}}}}
    run = rehearse(bed, inventory, cwd=str(bed['dir']))
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    seen = calls(bed)
    nested = [call for call in seen if call['env']['ANSIBLE_CONFIG'] != str(config)]
    own = [call for call in seen if call['env']['ANSIBLE_CONFIG'] == str(config)]
    # The rehearsal's own calls (run, exec, probes, rm) and the site and verify runs' podman connection.
    assert [call for call in own if call['argv'][:1] == ['run']] and [call for call in own if call['argv'][:1] == ['rm']]
    assert [call for call in nested if call['argv'][:1] == ['exec'] and '%s-mx1' % NAME in call['argv']], nested[:3]
    assert all(call['env']['ANSIBLE_CONFIG'].endswith('/roles/rehearsal/files/ansible.cfg') for call in nested)
    for call in seen:
        # No global option (--remote, --url, --connection) before the subcommand, nothing of the settings.
        assert not call['argv'][0].startswith('-') and not [word for word in call['argv'] if 'nonexistent' in word], call
        assert call['env']['CONTAINER_HOST'] is None and call['env']['CONTAINER_CONNECTION'] is None, call
    for call in nested:
        assert call['env']['ANSIBLE_PODMAN_EXTRA_ARGS'] is None and call['env']['ANSIBLE_PODMAN_EXECUTABLE'] is None
    assert not [name for name in podman_names('ps', '-a') if name.startswith(NAME)]
