"""The nftables_table module against fake nft and systemctl commands that keep their state in files.

What is checked is the module's own logic: when it loads, in which order, what it leaves behind when
nft refuses a ruleset, and that check mode touches nothing. Real nft is exercised by molecule.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

MODULE = os.path.join(ROOT, 'plugins', 'modules', 'nftables_table.py')

FAKE_NFT = r'''#!/bin/sh
# State: $FAKE/live (the loaded table). "REJECT_CHECK" in a file fails nft -c, "REJECT_LOAD" fails nft -f.
echo "nft $*" >> "$FAKE/calls"
case "$1 $2" in
  "-s list") [ -f "$FAKE/live" ] && cat "$FAKE/live" && exit 0; echo "No such file" >&2; exit 1 ;;
  "-c -f") grep -q REJECT_CHECK "$3" && { echo "syntax error" >&2; exit 1; }; exit 0 ;;
esac
if [ "$1" = "-f" ]; then
  grep -q REJECT_LOAD "$2" && { echo "Operation not supported" >&2; exit 1; }
  cp "$2" "$FAKE/live"; exit 0
fi
exit 2
'''
FAKE_SYSTEMCTL = r'''#!/bin/sh
echo "systemctl $*" >> "$FAKE/calls"
case "$*" in *firewalld*) exit 3 ;; esac
case "$1" in
  is-enabled) [ -f "$FAKE/enabled" ] && echo enabled && exit 0; echo disabled; exit 1 ;;
  is-active) [ -f "$FAKE/active" ] && exit 0; exit 3 ;;
  enable) touch "$FAKE/enabled" ;;
  start) touch "$FAKE/active" ;;
esac
exit 0
'''
RULESET = 'table inet bluemind_firewall\ndelete table inet bluemind_firewall\ntable inet bluemind_firewall { }\n'


@pytest.fixture
def host(tmp_path):
    fake = tmp_path / 'fake'
    bin_dir = fake / 'bin'
    bin_dir.mkdir(parents=True)
    for name, script in (('nft', FAKE_NFT), ('systemctl', FAKE_SYSTEMCTL)):
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    etc = tmp_path / 'etc'
    return {'fake': fake, 'bin': bin_dir, 'etc': etc,
            'ruleset': etc / 'bluemind-firewall' / 'bluemind_firewall.nft',
            'record': etc / 'bluemind-firewall' / 'policy.json',
            'unit': etc / 'systemd' / 'bluemind-firewall.service'}


def run(host, ruleset=RULESET, check=False, diff=False, record=None):
    args = {'ruleset': ruleset, 'path': str(host['ruleset']), 'boot_unit': '[Unit]\n',
            'boot_unit_path': str(host['unit']), 'record': record or {'schema': 1},
            'record_path': str(host['record']), '_ansible_check_mode': check, '_ansible_diff': diff,
            '_ansible_tmpdir': str(host['fake'])}
    args_file = host['fake'] / 'args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    (host['fake'] / 'calls').write_text('')
    env = dict(os.environ, FAKE=str(host['fake']), PATH='%s:%s' % (host['bin'], os.environ['PATH']),
               PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, MODULE, str(args_file)], capture_output=True, text=True, env=env,
                          check=False)
    result = json.loads(done.stdout)
    result['calls'] = (host['fake'] / 'calls').read_text().splitlines()
    return result


def loads(result):
    return [call for call in result['calls'] if call.startswith('nft -f ')]


def test_first_run_checks_then_loads_and_persists(host):
    result = run(host)
    assert result['changed'] and result['loaded']
    checks = [i for i, call in enumerate(result['calls']) if call.startswith('nft -c -f ')]
    assert checks and len(loads(result)) == 1
    assert checks[0] < result['calls'].index(loads(result)[0])
    assert host['ruleset'].read_text() == RULESET
    assert (host['fake'] / 'live').read_text() == RULESET
    assert 'systemctl enable bluemind-firewall.service' in result['calls']
    assert 'systemctl start bluemind-firewall.service' in result['calls']
    record = json.loads(host['record'].read_text())
    assert record['schema'] == 1 and len(record['nftables']['listing_sha256']) == 64


def test_second_run_changes_nothing(host):
    run(host)
    result = run(host)
    assert not result['changed'] and result['reasons'] == []
    assert loads(result) == []


def test_a_live_table_edited_by_hand_is_loaded_again(host):
    run(host)
    (host['fake'] / 'live').write_text('table inet bluemind_firewall { }\n# edited\n')
    result = run(host)
    assert result['changed'] and result['reasons'] == ['live table differs from the one last loaded']
    assert len(loads(result)) == 1


def test_a_deleted_table_is_loaded_again(host):
    run(host)
    (host['fake'] / 'live').unlink()
    result = run(host)
    assert result['reasons'] == ['table inet bluemind_firewall is not loaded']
    assert (host['fake'] / 'live').read_text() == RULESET


def test_check_mode_reports_and_touches_nothing(host):
    run(host)
    before = {path: host[path].read_text() for path in ('ruleset', 'record', 'unit')}
    new = RULESET.replace('{ }', '{ chain input { } }')
    result = run(host, ruleset=new, check=True, diff=True)
    assert result['changed'] and result['reasons'] == ['ruleset file differs']
    assert result['diff']['before'] == RULESET and result['diff']['after'] == new
    assert any(call.startswith('nft -c -f ') for call in result['calls'])
    assert loads(result) == []
    assert {path: host[path].read_text() for path in before} == before


def test_a_ruleset_nft_rejects_is_not_loaded_nor_written(host):
    run(host)
    result = run(host, ruleset=RULESET + '# REJECT_CHECK\n')
    assert result['failed'] and 'nft -c' in result['msg'] and 'nothing was changed' in result['msg']
    assert loads(result) == []
    assert host['ruleset'].read_text() == RULESET


def test_a_ruleset_the_kernel_rejects_leaves_file_record_and_table(host):
    run(host)
    record = host['record'].read_text()
    result = run(host, ruleset=RULESET + '# REJECT_LOAD\n', record={'schema': 1, 'other': True})
    assert result['failed'] and 'running table was kept' in result['msg']
    assert host['ruleset'].read_text() == RULESET
    assert host['record'].read_text() == record
    assert (host['fake'] / 'live').read_text() == RULESET
    assert [name for name in os.listdir(host['ruleset'].parent) if name.startswith('.')] == []


def test_a_changed_record_alone_is_rewritten_without_loading(host):
    run(host)
    result = run(host, record={'schema': 1, 'public': False})
    assert result['changed'] and result['reasons'] == ['record differs'] and loads(result) == []
    assert json.loads(host['record'].read_text())['public'] is False
