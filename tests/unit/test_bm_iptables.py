"""Which INPUT rules the bm_iptables module deletes, and how removal gives bm-iptables back: the module
run against a fake systemctl that records its argv and keeps the unit's state in files."""

import json
import os
import stat
import subprocess
import sys

import pytest

from conftest import ROOT
from ansible_collections.bluemind.firewall.plugins.modules.bm_iptables import jump_rules

MODULE = os.path.join(ROOT, 'plugins', 'modules', 'bm_iptables.py')
LISTING = """-P INPUT ACCEPT
-A INPUT -j bmhosts
-A INPUT -i docker0 -j ACCEPT
-A INPUT -p tcp -m comment --comment "bmports -j bmhosts" -j ACCEPT
-A INPUT -s 192.0.2.0/24 -g bmports
-A INPUT -j ufw-before-input
"""


def test_only_jumps_and_gotos_to_its_chains_are_listed():
    assert jump_rules(LISTING, ['bmhosts', 'bmports']) == [['-j', 'bmhosts'], ['-s', '192.0.2.0/24', '-g', 'bmports']]


def test_nothing_when_the_chains_are_absent():
    assert jump_rules('-P INPUT ACCEPT\n-A INPUT -j ufw-before-input\n', ['bmhosts', 'bmports']) == []


# The unit's state: $FAKE/state holds what "is-enabled" says (enabled, disabled, masked; no file:
# not installed), $FAKE/active exists while it runs. Starting it writes its chains ($FAKE/chains).
FAKE_SYSTEMCTL = r'''#!/bin/sh
echo "systemctl $*" >> "$FAKE/calls"
state=$(cat "$FAKE/state" 2>/dev/null)
case "$1" in
  is-enabled) [ -n "$state" ] || { echo "Failed to get unit file state" >&2; exit 1; }; echo "$state"
              [ "$state" = enabled ] ;;
  show) if [ -z "$state" ]; then echo LoadState=not-found; echo FragmentPath=
        elif [ "$state" = masked ]; then echo LoadState=masked; echo FragmentPath=
        else echo LoadState=loaded; echo FragmentPath=/lib/systemd/system/bm-iptables.service; fi ;;
  is-active) [ -e "$FAKE/active" ] ;;
  stop) rm -f "$FAKE/active" ;;
  disable) [ "$state" = masked ] || echo disabled > "$FAKE/state" ;;
  mask) echo masked > "$FAKE/state" ;;
  unmask) [ "$state" = masked ] && echo disabled > "$FAKE/state"; true ;;
  enable) [ "$state" = masked ] && { echo "Unit is masked" >&2; exit 1; }; echo enabled > "$FAKE/state" ;;
  start) [ "$state" = masked ] && { echo "Unit is masked" >&2; exit 1; }; touch "$FAKE/active" "$FAKE/chains" ;;
  *) exit 2 ;;
esac
'''
FAKE_IPTABLES = r'''#!/bin/sh
echo "$(basename "$0") $*" >> "$FAKE/calls"
[ "$1" = -w ] && shift
case "$1 $2" in
  "-S INPUT") echo "-P INPUT ACCEPT"; [ -e "$FAKE/chains" ] && echo "-A INPUT -j bmhosts"; exit 0 ;;
  "-S bmhosts"|"-S bmports") [ -e "$FAKE/chains" ]; exit $? ;;
  "-X bmports") rm -f "$FAKE/chains" ;;
esac
exit 0
'''


@pytest.fixture
def host(tmp_path):
    fake = tmp_path / 'fake'
    bin_dir = fake / 'bin'
    bin_dir.mkdir(parents=True)
    for name, script in (('systemctl', FAKE_SYSTEMCTL), ('iptables', FAKE_IPTABLES), ('ip6tables', FAKE_IPTABLES)):
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    return {'fake': fake, 'bin': bin_dir, 'marker': tmp_path / 'etc' / 'bluemind-firewall' / 'bm-iptables.disabled'}


def bm_iptables_found(host, state='enabled', active=True):
    """bm-iptables as BlueMind leaves it: enabled, running, its chains written."""
    (host['fake'] / 'state').write_text(state + '\n')
    if active:
        (host['fake'] / 'active').write_text('')
        (host['fake'] / 'chains').write_text('')


def unit(host):
    return ((host['fake'] / 'state').read_text().strip(), (host['fake'] / 'active').exists(),
            (host['fake'] / 'chains').exists())


def run(host, state, check=False, diff=False):
    args = {'state': state, 'marker': str(host['marker']), '_ansible_check_mode': check, '_ansible_diff': diff,
            '_ansible_tmpdir': str(host['fake'])}
    args_file = host['fake'] / 'args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    (host['fake'] / 'calls').write_text('')
    env = dict(os.environ, FAKE=str(host['fake']), PATH='%s:%s' % (host['bin'], os.environ['PATH']),
               PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, MODULE, str(args_file)], capture_output=True, text=True, env=env, check=False)
    assert done.stdout.strip(), done.stderr
    result = json.loads(done.stdout)
    result['calls'] = [call for call in (host['fake'] / 'calls').read_text().splitlines()
                       if not call.startswith(('systemctl is-', 'systemctl show', 'iptables -w -S', 'ip6tables -w -S'))]
    return result


def test_disabling_leaves_a_root_only_marker_with_the_units_state_before(host):
    bm_iptables_found(host)
    result = run(host, 'disabled')
    assert result['changed'] and result['marker']
    assert result['calls'][:3] == ['systemctl stop bm-iptables.service', 'systemctl disable bm-iptables.service',
                                   'systemctl mask bm-iptables.service']
    assert unit(host) == ('masked', False, False)
    found = os.stat(str(host['marker']))
    assert (oct(stat.S_IMODE(found.st_mode)), found.st_uid, found.st_gid) == ('0o600', 0, 0)
    assert json.loads(host['marker'].read_text())['enabled'] == 'enabled'
    again = run(host, 'disabled')
    assert again['calls'] == [] and again['marker'], again
    assert not again['changed']


def test_removal_unmasks_enables_and_starts_what_the_collection_turned_off_and_says_so(host):
    bm_iptables_found(host)
    run(host, 'disabled')
    result = run(host, 'restored')
    assert result['changed'] and not result['marker']
    assert result['calls'] == ['systemctl unmask bm-iptables.service', 'systemctl enable bm-iptables.service',
                               'systemctl start bm-iptables.service']
    assert result['restored'] == result['calls']
    assert 'was unmasked, enabled and started: it writes its chains again' in result['msg']
    assert unit(host) == ('enabled', True, True)
    assert not host['marker'].exists()
    again = run(host, 'restored')
    assert not again['changed'] and again['calls'] == []


def test_a_unit_found_installed_but_stopped_comes_back_stopped(host):
    bm_iptables_found(host, state='disabled', active=False)
    run(host, 'disabled')
    result = run(host, 'restored')
    assert result['calls'] == ['systemctl unmask bm-iptables.service']
    assert unit(host) == ('disabled', False, False)


def test_check_mode_reports_the_restore_and_touches_nothing(host):
    bm_iptables_found(host)
    run(host, 'disabled')
    marker = host['marker'].read_text()
    result = run(host, 'restored', check=True, diff=True)
    assert result['changed'] and result['calls'] == []
    assert result['restored'] == ['systemctl unmask bm-iptables.service', 'systemctl enable bm-iptables.service',
                                  'systemctl start bm-iptables.service']
    assert result['diff']['before'].splitlines() == ['bm-iptables.service: masked, inactive', '%s: present' % host['marker']]
    assert result['diff']['after'].splitlines() == ['bm-iptables.service: enabled, active', '%s: absent' % host['marker']]
    assert unit(host) == ('masked', False, False) and host['marker'].read_text() == marker


def test_a_unit_masked_by_the_administrator_stays_masked_and_is_reported(host):
    bm_iptables_found(host, state='masked', active=False)
    disabled = run(host, 'disabled')
    assert not disabled['marker'] and not host['marker'].exists()
    result = run(host, 'restored')
    assert not result['changed'] and result['calls'] == [] and result['restored'] == []
    assert 'is masked, and not by bluemind.firewall' in result['msg']
    assert result['msg'] in json.dumps(result['warnings'])
    assert unit(host) == ('masked', False, False)


def test_no_marker_and_a_running_unit_is_left_alone(host):
    bm_iptables_found(host)
    result = run(host, 'restored')
    assert not result['changed'] and result['calls'] == [] and 'warnings' not in result
    assert unit(host) == ('enabled', True, True)


def test_a_marker_for_a_unit_no_longer_installed_is_removed(host):
    bm_iptables_found(host)
    run(host, 'disabled')
    (host['fake'] / 'state').unlink()
    result = run(host, 'restored')
    assert result['changed'] and result['calls'] == [] and 'is not installed any more' in result['msg']
    assert not host['marker'].exists()
