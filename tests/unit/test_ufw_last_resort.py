"""The ufw.service drop-in: a start that leaves no whole ufw fails, and a failed start loads the
last-resort policy (or takes the interfaces down); run with fake iptables, ip6tables and ip."""

import os
import re
import subprocess

import pytest

from ansible_collections.bluemind.firewall.plugins.modules import ufw_rules

# Each fake prints $FAKE/<name> -S output, fails when $FAKE/FAIL_<name> exists, and records its call.
FAKE = r'''#!/bin/sh
name=$(basename "$0")
echo "$name $*" >> "$FAKE/calls"
[ -f "$FAKE/FAIL_$name" ] && exit 1
if [ "$1" = -S ]; then
  [ -f "$FAKE/$name-$2" ] || exit 1
  cat "$FAKE/$name-$2"
fi
exit 0
'''
WHOLE = {'iptables-ufw-user-input': '-N ufw-user-input\n', 'ip6tables-ufw6-user-input': '-N ufw6-user-input\n',
         'iptables-INPUT': '-P INPUT DROP\n-A INPUT -j ufw-before-logging-input\n',
         'ip6tables-INPUT': '-P INPUT DROP\n-A INPUT -j ufw6-before-logging-input\n'}


def directive(name):
    """The shell line of a directive of the drop-in, as systemd passes it to /bin/sh ($$ is $)."""
    line = [line for line in ufw_rules.BOOT_DROPIN.splitlines() if line.startswith(name + '=')]
    assert len(line) == 1
    command = re.match(r"^%s=-?/bin/sh -c '(.*)'$" % name, line[0]).group(1)
    assert '%' not in command and re.search(r'(?<!\$)\$(?!\$)', command) is None
    return command.replace('$$', '$')


@pytest.fixture
def fake(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name in ('iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore', 'ip', 'ls'):
        (bin_dir / name).write_text(FAKE if name != 'ls' else '#!/bin/sh\nprintf "lo\\neth0\\n"\n')
        (bin_dir / name).chmod(0o755)
    return tmp_path


def run(fake, name, replacements=(), **env):
    command = directive(name)
    for old, new in replacements:
        command = command.replace(old, new)
    (fake / 'calls').write_text('')
    done = subprocess.run(['/bin/sh', '-c', command], capture_output=True, text=True, check=False,
                          env=dict(os.environ, FAKE=str(fake), PATH='%s:%s' % (fake / 'bin', os.environ['PATH']), **env))
    return done.returncode, (fake / 'calls').read_text()


def local(fake):
    """The drop-in's host paths moved under the test's directory."""
    return (('/etc/bluemind-firewall/', str(fake) + '/etc/'), ('/run/bluemind-firewall', str(fake) + '/run'),
            ('ls /sys/class/net', 'ls'))


@pytest.mark.parametrize('missing', [None] + sorted(WHOLE))
def test_a_start_that_leaves_no_whole_ufw_fails(fake, missing):
    for name, text in WHOLE.items():
        if name != missing:
            (fake / name).write_text(text)
    status, dummy = run(fake, 'ExecStartPost', local(fake))
    assert status == (0 if missing is None else 1)


def test_an_incoming_default_other_than_drop_fails_the_start_unless_switched_off(fake):
    for name, text in WHOLE.items():
        (fake / name).write_text(text.replace('-P INPUT DROP', '-P INPUT ACCEPT'))
    assert run(fake, 'ExecStartPost', local(fake))[0] == 1
    (fake / 'etc').mkdir()
    (fake / 'etc' / 'ufw-off').write_text('')
    assert run(fake, 'ExecStartPost', local(fake))[0] == 0


def test_a_failed_start_loads_the_last_resort_and_a_clean_stop_does_not(fake):
    note = fake / 'run' / 'boot-fallback'
    status, calls = run(fake, 'ExecStopPost', local(fake), SERVICE_RESULT='success')
    assert status == 0 and calls == '' and not note.exists()
    status, calls = run(fake, 'ExecStopPost', local(fake), SERVICE_RESULT='exit-code')
    assert status == 0
    assert calls.splitlines() == ['iptables-restore -n %s/etc/ufw-fallback.iptables' % fake,
                                  'ip6tables-restore -n %s/etc/ufw-fallback.ip6tables' % fake]
    assert note.read_text().startswith('boot loaded the last-resort policy (iptables-restore, ')


def test_when_the_last_resort_does_not_load_the_interfaces_go_down(fake):
    (fake / 'FAIL_ip6tables-restore').write_text('')
    status, calls = run(fake, 'ExecStopPost', local(fake), SERVICE_RESULT='exit-code')
    assert 'ip link set dev eth0 down' in calls and 'dev lo' not in calls
    assert 'every network interface but the loopback was taken down' in (fake / 'run' / 'boot-fallback').read_text()
