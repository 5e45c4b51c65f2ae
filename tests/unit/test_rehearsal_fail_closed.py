"""The rehearsal touches nothing but its own containers (issue 25): what it refuses before anything
starts (a host that is this machine, podman connection variables in the inventory, a work directory
another user could change), and what it pins in the nested runs of the site and verify playbooks."""

import configparser
import os
import subprocess

import jinja2
import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.bluemind.firewall.plugins.filter.rehearsal import rehearsal_plan, rehearsal_probes
from ansible_collections.bluemind.firewall.plugins.module_utils import rehearsal
from ansible_collections.bluemind.firewall.plugins.module_utils.rehearsal import (
    RehearsalError, directory_problem, machine_names, nested_environment_argv, plan, podman_argv, work_directories)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = os.path.join(ROOT, 'roles', 'rehearsal', 'files')
TABLE = [{'port': 25, 'proto': 'tcp', 'service': 'smtp', 'class': 'required', 'versions': [4, 5]}]
MINE = ['192.0.2.2', 'fd00::2', 'fe80::fc:ff:fe00:1']
HOSTS_FILE = '127.0.0.1 localhost\n127.0.1.1 ctl.example.com ctl # this machine\n192.0.2.2 ctl-eth0\n' \
             '::1 ip6-localhost ip6-loopback\n10.0.0.9 mx9.example.com\n'
NAMES = machine_names(HOSTS_FILE, 'controller.example.com', MINE)


def refused(hosts):
    with pytest.raises(RehearsalError) as caught:
        plan(hosts, 'rh', MINE, NAMES)
    return str(caught.value)


@pytest.mark.parametrize('name, spec, reason', [
    ('localhost', {}, 'its name localhost: localhost is this machine'),
    ('LocalHost.', {}, 'its name LocalHost.: localhost is this machine'),
    ('mail.localhost', {}, 'a name under .localhost is this machine'),
    ('ctl', {}, 'the hosts file maps it to 127.0.1.1'),
    ('ctl.example.com', {}, 'the hosts file maps it to 127.0.1.1'),
    ('ctl-eth0', {}, 'the hosts file maps it to 192.0.2.2'),
    ('ip6-localhost', {}, 'the hosts file maps it to ::1'),
    ('controller', {}, "it is this machine's host name"),
    ('controller.example.com', {}, "it is this machine's host name"),
    ('127.0.0.5', {}, 'its name 127.0.0.5: it is an address of this machine'),
    ('mx1', {'ansible_host': 'localhost'}, 'ansible_host localhost: localhost is this machine'),
    ('mx1', {'ansible_host': '127.0.0.1'}, 'ansible_host 127.0.0.1: it is an address of this machine'),
    ('mx1', {'ansible_host': '::1'}, 'ansible_host ::1: it is an address of this machine'),
    ('mx1', {'ansible_host': '::ffff:127.0.0.1'}, 'it is an address of this machine'),
    ('mx1', {'ansible_host': '0.0.0.0'}, 'it is an address of this machine'),
    ('mx1', {'ansible_host': '192.0.2.2'}, 'ansible_host 192.0.2.2: it is an address of this machine'),
    ('mx1', {'ansible_host': 'fe80::fc:ff:fe00:1'}, 'it is an address of this machine'),
    ('mx1', {'ansible_connection': 'local'}, 'ansible_connection: local'),
    ('mx1', {'ansible_connection': 'ansible.builtin.local'}, 'ansible_connection: ansible.builtin.local'),
])
def test_a_host_that_is_this_machine_is_refused_before_anything_starts(name, spec, reason):
    message = refused({name: spec, 'mx2': {'ansible_host': '10.0.0.2'}})
    assert message.startswith('host %s is this machine (' % name), message
    assert reason in message
    assert 'bluemind_firewall_address' in message and 'mx2' not in message


def test_every_host_that_is_this_machine_is_named_at_once():
    message = refused({'localhost': {'ansible_connection': 'local'}, 'mx1': {'ansible_host': '127.0.0.1'}})
    assert 'host localhost is this machine (ansible_connection: local; its name localhost' in message
    assert 'host mx1 is this machine (ansible_host 127.0.0.1' in message


@pytest.mark.parametrize('address, words', [('127.0.0.1', 'is a loopback address'), ('::1', 'is a loopback address'),
                                            ('192.0.2.2', '192.0.2.2 is an address of this machine'),
                                            (['10.0.0.1', 'fd00::2'], 'fd00::2 is an address of this machine')])
def test_an_address_of_this_machine_given_to_a_host_is_refused_even_with_a_name_of_its_own(address, words):
    message = refused({'mx1': {'address': address}})
    assert message.startswith('host mx1: ') and words in message


def test_a_host_that_is_this_machine_given_an_address_of_its_own_is_rehearsed_in_its_container():
    found = plan({'localhost': {'ansible_connection': 'local', 'address': '203.0.113.10'},
                  'mx1': {'ansible_host': '127.0.0.1', 'address': '203.0.113.11'}}, 'rh', MINE, NAMES)
    assert found['hosts']['localhost']['container'] == 'rh-localhost'
    assert found['hosts']['localhost']['ipv4'] == ['203.0.113.10']
    # An SSH tunnel's loopback ansible_host is no address of the container's.
    assert found['hosts']['mx1']['ipv4'] == ['203.0.113.11'] and found['hosts']['mx1']['ipv6'] == ['fd42:b1:e:1::2']


@pytest.mark.parametrize('name, spec', [
    ('mx9.example.com', {}),  # the hosts file maps it, to another machine's address
    ('localhost-mail', {}),
    ('mx1', {'ansible_host': 'mx1.example.com'}),
    ('mx1', {'ansible_host': '10.0.0.1', 'ansible_connection': 'ssh'}),
    ('mx1', {'ansible_connection': 'containers.podman.podman'}),
])
def test_other_hosts_are_not_this_machine(name, spec):
    assert name in plan({name: spec}, 'rh', MINE, NAMES)['hosts']


def test_dns_is_not_asked(monkeypatch):
    import socket

    def no_lookup(*args, **kwargs):
        raise AssertionError('looked up %r' % (args,))
    for function in ('getaddrinfo', 'gethostbyname', 'gethostbyname_ex', 'gethostbyaddr', 'getfqdn'):
        monkeypatch.setattr(socket, function, no_lookup)
    rehearsal_plan({'mx1': {'ansible_host': 'mx1.example.com'}}, ['mx1'], 'rh', MINE, TABLE)


# ---- the filter, from hostvars ----

def test_the_filter_reads_the_connection_and_this_machine_s_names():
    with pytest.raises(AnsibleFilterError, match=r'nothing was started: host localhost is this machine '
                                                 r'\(ansible_connection: local; its name localhost'):
        rehearsal_plan({'localhost': {'ansible_connection': 'local'}}, ['localhost'], 'rh', MINE, TABLE, '', 'ctl')
    with pytest.raises(AnsibleFilterError, match="host ctl is this machine \\(its name ctl: it is this machine's"):
        rehearsal_plan({'ctl': {}}, ['ctl'], 'rh', MINE, TABLE, '', 'ctl')
    with pytest.raises(AnsibleFilterError, match='the hosts file maps it to 127.0.1.1'):
        rehearsal_plan({'mx1': {}}, ['mx1'], 'rh', MINE, TABLE, '127.0.1.1 mx1\n', 'ctl')


def test_podman_connection_variables_in_the_inventory_are_refused_naming_each():
    hostvars = {'mx1': {'ansible_host': '10.0.0.1',
                        'ansible_podman_extra_args': '--remote --url unix:///nonexistent/podman.sock'},
                'mx2': {'ansible_host': '10.0.0.2', 'ansible_podman_executable': '/tmp/podman',
                        'ansible_podman_host': 'production'},
                'mx3': {'ansible_host': '10.0.0.3', 'ansible_port': 2222}}
    with pytest.raises(AnsibleFilterError) as caught:
        rehearsal_plan(hostvars, ['mx1', 'mx2', 'mx3'], 'rh', MINE, TABLE, '', 'ctl')
    message = str(caught.value)
    for host, variable in (('mx1', 'ansible_podman_extra_args'), ('mx2', 'ansible_podman_executable'),
                           ('mx2', 'ansible_podman_host')):
        assert 'host %s sets %s (in its host or group variables)' % (host, variable) in message
    assert 'mx3' not in message and 'nothing was started' in message


# ---- what the nested runs are given ----

def _connection_documentation():
    # The ansible package (make unit's venv) ships containers.podman; core-matrix venvs hold ansible-core alone.
    module = pytest.importorskip('ansible_collections.containers.podman.plugins.connection.podman')
    return yaml.safe_load(module.DOCUMENTATION)['options']


def _connection_variables():
    with open(os.path.join(FILES, 'connection.yml')) as handle:
        return yaml.safe_load(handle)


def test_every_variable_of_the_podman_connection_is_set_by_the_rehearsal():
    pinned = _connection_variables()
    options = _connection_documentation()
    assert set(options) >= {'remote_addr', 'remote_user', 'podman_extra_args', 'podman_executable'}
    for option in options.values():
        for variable in option.get('vars', []):
            # inventory_hostname is the host's name: the run gives the host its container by ansible_host.
            if variable['name'] != 'inventory_hostname':
                assert variable['name'] in pinned, variable['name']
    assert pinned['ansible_connection'] == 'containers.podman.podman'
    assert pinned['ansible_podman_extra_args'] == ''
    assert 'local' not in yaml.safe_dump(pinned)


def _render(value, host, containers):
    return jinja2.Template(value).render(inventory_hostname=host, __bmfw_rehearsal_containers=containers,
                                         __bmfw_rehearsal_podman_executable='/usr/bin/podman')


def test_each_host_is_reached_in_its_container_localhost_too_and_a_host_without_one_nowhere():
    pinned = _connection_variables()
    containers = {'localhost': 'rh-localhost', 'mx1': 'rh-mx1'}
    for host in ('localhost', 'mx1'):
        assert _render(pinned['ansible_host'], host, containers) == containers[host]
        assert _render(pinned['ansible_podman_host'], host, containers) == containers[host]
        assert _render(pinned['ansible_python_interpreter'], host, containers) == '/usr/bin/python3'
        assert _render(pinned['ansible_connection'], host, containers) == 'containers.podman.podman'
    assert _render(pinned['ansible_host'], 'mx9', containers) == 'bmfw-rehearsal-no-container'
    assert _render(pinned['ansible_podman_executable'], 'mx1', containers) == '/usr/bin/podman'


def test_no_ini_setting_of_the_podman_connection_is_in_the_rehearsal_s_configuration():
    config = configparser.ConfigParser()
    with open(os.path.join(FILES, 'ansible.cfg')) as handle:
        config.read_file(handle)
    for option in _connection_documentation().values():
        for ini in option.get('ini', []):
            assert not config.has_option(ini['section'], ini['key']), ini


def _environment_after(prefix, **environment):
    """What a command started with this prefix sees of the environment (env, run for real)."""
    run = subprocess.run(prefix + ['env'], env=dict(os.environ, **environment), capture_output=True, text=True,
                         check=True)
    return dict(line.split('=', 1) for line in run.stdout.splitlines() if '=' in line)


HOSTILE = {'CONTAINER_HOST': 'unix:///nonexistent/podman.sock', 'CONTAINER_CONNECTION': 'production',
           'ANSIBLE_PODMAN_EXTRA_ARGS': '--remote --url unix:///nonexistent/podman.sock',
           'ANSIBLE_PODMAN_EXECUTABLE': '/nonexistent/podman', 'ANSIBLE_REMOTE_USER': 'deploy',
           'ANSIBLE_CONFIG': '/nonexistent/ansible.cfg', 'ANSIBLE_VAULT_PASSWORD_FILE': '/nonexistent/vault'}


def test_the_nested_runs_get_none_of_the_podman_environment_and_the_rehearsal_s_configuration():
    prefix = nested_environment_argv('/collection/roles/rehearsal/files/ansible.cfg', {
        'COLLECTIONS_PATHS': ['/a/collections', '/b/collections'], 'INVENTORY_ENABLED': ['yaml', 'ini'],
        'DEFAULT_VAULT_IDENTITY_LIST': [], 'DEFAULT_VAULT_PASSWORD_FILE': None})
    seen = _environment_after(prefix, **HOSTILE)
    for option in _connection_documentation().values():
        for variable in option.get('env', []):
            assert variable['name'] not in seen, variable['name']
    assert 'CONTAINER_HOST' not in seen and 'CONTAINER_CONNECTION' not in seen
    assert seen['ANSIBLE_CONFIG'] == '/collection/roles/rehearsal/files/ansible.cfg'
    assert seen['ANSIBLE_COLLECTIONS_PATH'] == '/a/collections:/b/collections'
    assert seen['ANSIBLE_INVENTORY_ENABLED'] == 'yaml,ini'
    # Not set in this run: not inherited from the environment either.
    assert 'ANSIBLE_VAULT_PASSWORD_FILE' not in seen and 'ANSIBLE_VAULT_IDENTITY_LIST' not in seen


def test_the_rehearsal_s_own_podman_calls_get_none_of_podman_s_remote_environment():
    prefix = podman_argv('/usr/bin/env')
    assert prefix[-1] == '/usr/bin/env'
    seen = _environment_after(prefix[:-1], **HOSTILE)
    assert 'CONTAINER_HOST' not in seen and 'CONTAINER_CONNECTION' not in seen
    for wrong in ('', 'podman', None):
        with pytest.raises(RehearsalError, match='no podman on this machine'):
            podman_argv(wrong)


def test_the_probes_run_the_pinned_podman():
    found = rehearsal_plan({'mx1': {'ansible_host': '10.0.0.1'}, 'mx2': {'ansible_host': '10.0.0.2'}},
                           ['mx1', 'mx2'], 'rh', MINE, TABLE, '', 'ctl')
    prefix = podman_argv('/usr/bin/podman')
    for command in rehearsal_probes(found, prefix):
        assert command['argv'][:len(prefix) + 1] == prefix + ['exec']


def test_the_rehearsal_s_own_tasks_run_on_this_machine_whatever_the_inventory_says_of_localhost():
    with open(os.path.join(ROOT, 'roles', 'rehearsal', 'vars', 'main.yml')) as handle:
        pinned = yaml.safe_load(handle)
    assert pinned['ansible_connection'] == 'local'
    assert pinned['ansible_python_interpreter'] == '{{ ansible_playbook_python }}'


# ---- the work directory ----

def test_a_directory_of_this_user_or_root_not_writable_by_others_or_sticky_is_accepted(tmp_path):
    uid = os.getuid()
    base = tmp_path / 'base'
    base.mkdir(mode=0o700)
    assert directory_problem(str(base), uid) is None
    os.chmod(str(base), 0o755)
    assert directory_problem(str(base), uid) is None
    os.chmod(str(base), 0o1777)
    assert directory_problem(str(base), uid) is None


@pytest.mark.parametrize('mode, words', [(0o777, 'writable by its group or others (mode 0777) and not sticky'),
                                         (0o770, 'writable by its group or others (mode 0770)'),
                                         (0o702, 'mode 0702')])
def test_a_directory_others_can_write_is_refused(tmp_path, mode, words):
    base = tmp_path / 'base'
    base.mkdir()
    os.chmod(str(base), mode)
    assert words in directory_problem(str(base), os.getuid())


def test_a_directory_of_another_user_or_no_directory_is_refused(tmp_path):
    if os.getuid() != 0:
        pytest.skip('chown needs root')
    base = tmp_path / 'base'
    base.mkdir(mode=0o700)
    os.chown(str(base), 4242, 4242)
    assert 'belongs to uid 4242, not to this user (uid 0) nor root' in directory_problem(str(base), 0)
    # Root's directory, for another user: accepted (root can change anything anyway).
    os.chown(str(base), 0, 0)
    assert directory_problem(str(base), 4242) is None
    (tmp_path / 'file').write_text('')
    assert 'is not a directory' in directory_problem(str(tmp_path / 'file'), 0)
    assert 'No such file or directory' in directory_problem(str(tmp_path / 'missing'), 0)


def test_only_this_user_s_0700_work_directories_of_the_inventory_are_used(tmp_path):
    uid = os.getuid()
    made = []
    import tempfile
    import time
    for dummy in range(2):
        made.append(tempfile.mkdtemp(prefix='work-abc-', dir=str(tmp_path)))
        time.sleep(0.01)
    os.utime(made[0], (1, 1))
    loose = tempfile.mkdtemp(prefix='work-abc-', dir=str(tmp_path))
    os.chmod(loose, 0o755)
    tempfile.mkdtemp(prefix='work-def-', dir=str(tmp_path))
    os.symlink(made[1], str(tmp_path / 'work-abc-link'))
    (tmp_path / 'work-abc-file').write_text('')
    assert work_directories(str(tmp_path), 'abc', uid) == made
    assert directory_problem(made[0], uid, base=False) is None
    assert 'is not a work directory of this user' in directory_problem(loose, uid, base=False)
    assert 'is not a directory' in directory_problem(str(tmp_path / 'work-abc-link'), uid, base=False)
    if uid == 0:
        os.chown(made[1], 4242, 4242)
        assert work_directories(str(tmp_path), 'abc', uid) == made[:1]
    assert work_directories(str(tmp_path / 'missing'), 'abc', uid) == []


def test_the_role_makes_its_work_directory_with_mkdtemp_and_reads_the_extra_variables_from_it_only():
    with open(os.path.join(ROOT, 'roles', 'rehearsal', 'tasks', 'up.yml')) as handle:
        up = yaml.safe_load(handle)
    made = [task for task in up if 'ansible.builtin.tempfile' in task]
    assert len(made) == 1 and made[0]['ansible.builtin.tempfile']['state'] == 'directory'
    assert made[0]['ansible.builtin.tempfile']['path'] == '{{ __bmfw_rehearsal_base }}'
    with open(os.path.join(ROOT, 'roles', 'rehearsal', 'tasks', 'run.yml')) as handle:
        argv = handle.read()
    assert "'--extra-vars=@' ~ __bmfw_rehearsal_work ~ '/containers.json'" in argv
    assert rehearsal.WORK_PREFIX == 'work-'
