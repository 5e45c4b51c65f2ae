"""The nftables_table module against fake nft and systemctl commands that keep their state in files.

What is checked is the module's own logic: when it loads, in which order, what it leaves behind when
nft refuses a ruleset, and that check mode touches nothing. Real nft is exercised by molecule.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import boot_load_command

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
  # The file replaces the table: its first two lines ("table", "delete table") clear it.
  sed '1,2d' "$2" > "$FAKE/loaded"
  if [ -s "$FAKE/loaded" ]; then mv "$FAKE/loaded" "$FAKE/live"; else rm -f "$FAKE/loaded" "$FAKE/live"; fi
  exit 0
fi
exit 2
'''
FAKE_SYSTEMCTL = r'''#!/bin/sh
echo "systemctl $*" >> "$FAKE/calls"
case "$*" in *firewalld*) exit 3 ;; esac
case "$*" in
  *bluemind-firewall-rollback*)
    case "$1" in is-active) [ -f "$FAKE/timer" ] && exit 0; exit 3 ;; stop) rm -f "$FAKE/timer" ;; esac
    exit 0 ;;
esac
case "$1" in
  daemon-reload) [ -f "$FAKE/FAIL_DAEMON_RELOAD" ] && { echo "Failed to reload daemon" >&2; exit 1; } ;;
  is-enabled) [ -f "$FAKE/enabled" ] && echo enabled && exit 0; echo disabled; exit 1 ;;
  is-active) [ -f "$FAKE/active" ] && exit 0; exit 3 ;;
  enable) touch "$FAKE/enabled" ;;
  start) touch "$FAKE/active" ;;
esac
exit 0
'''
FAKE_SYSTEMD_RUN = r'''#!/bin/sh
echo "systemd-run $*" >> "$FAKE/calls"
touch "$FAKE/timer"
'''
TABLE = 'table inet bluemind_firewall { }\n'
RULESET = 'table inet bluemind_firewall\ndelete table inet bluemind_firewall\n' + TABLE


@pytest.fixture
def host(tmp_path):
    fake = tmp_path / 'fake'
    bin_dir = fake / 'bin'
    bin_dir.mkdir(parents=True)
    for name, script in (('nft', FAKE_NFT), ('systemctl', FAKE_SYSTEMCTL), ('systemd-run', FAKE_SYSTEMD_RUN)):
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    etc = tmp_path / 'etc'
    return {'fake': fake, 'bin': bin_dir, 'etc': etc, 'run': tmp_path / 'run',
            'ruleset': etc / 'bluemind-firewall' / 'bluemind_firewall.nft',
            'record': etc / 'bluemind-firewall' / 'policy.json',
            'unit': etc / 'systemd' / 'bluemind-firewall.service', 'system_config': etc / 'nftables.conf'}


def run(host, ruleset=RULESET, check=False, diff=False, record=None, module=MODULE, **extra):
    args = {'ruleset': ruleset, 'path': str(host['ruleset']), 'boot_unit': '[Unit]\n',
            'boot_unit_path': str(host['unit']), 'record': record or {'schema': 1},
            'record_path': str(host['record']), 'state_dir': str(host['run']),
            'system_config': str(host['system_config'])}
    if module != MODULE:
        args = {'state_dir': str(host['run'])}
    args.update(extra, _ansible_check_mode=check, _ansible_diff=diff, _ansible_tmpdir=str(host['fake']))
    args_file = host['fake'] / 'args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    (host['fake'] / 'calls').write_text('')
    env = dict(os.environ, FAKE=str(host['fake']), PATH='%s:%s' % (host['bin'], os.environ['PATH']),
               PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, module, str(args_file)], capture_output=True, text=True, env=env,
                          check=False)
    assert done.stdout.strip(), done.stderr
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
    assert (host['fake'] / 'live').read_text() == TABLE
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
    (host['fake'] / 'live').write_text(TABLE + '# edited\n')
    result = run(host)
    assert result['changed'] and result['reasons'] == ['live table differs from the one last loaded']
    assert len(loads(result)) == 1


def test_the_diff_of_a_repair_shows_the_lines_changed_by_hand(host):
    run(host)
    assert (host['ruleset'].parent / 'bluemind_firewall.nft.listing').read_text() == TABLE
    (host['fake'] / 'live').write_text(TABLE + 'tcp dport 3306 accept\n')
    result = run(host, check=True, diff=True)
    assert result['diff']['before'] == TABLE + 'tcp dport 3306 accept\n' and result['diff']['after'] == TABLE
    assert result['diff']['after_header'].startswith('table inet bluemind_firewall as loaded from ')


def test_a_record_only_change_shows_the_record_diff_and_when_it_was_applied(host):
    run(host, record={'schema': 2, 'cluster_group': 'bluemind', 'applied': {'collection_version': '0.4.0'}})
    written = json.loads(host['record'].read_text())
    assert written['applied']['collection_version'] == '0.4.0' and written['applied']['at'].endswith('Z')
    again = run(host, record={'schema': 2, 'cluster_group': 'bluemind', 'applied': {'collection_version': '0.4.1'}})
    assert not again['changed'] and json.loads(host['record'].read_text()) == written
    result = run(host, check=True, diff=True, record={'schema': 2, 'cluster_group': 'bm_paris'})
    assert result['reasons'] == ['record differs']
    assert '"cluster_group": "bluemind"' in result['diff']['before'] and '"cluster_group": "bm_paris"' in result['diff']['after']
    assert '"applied"' not in result['diff']['before'] + result['diff']['after']


def test_a_deleted_table_is_loaded_again(host):
    run(host)
    (host['fake'] / 'live').unlink()
    result = run(host)
    assert result['reasons'] == ['table inet bluemind_firewall is not loaded']
    assert (host['fake'] / 'live').read_text() == TABLE


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
    assert result['failed'] and 'kernel rejected' in result['msg'] and 'previous rules were restored' in result['msg']
    assert host['ruleset'].read_text() == RULESET
    assert host['record'].read_text() == record
    assert (host['fake'] / 'live').read_text() == TABLE
    assert [name for name in os.listdir(host['ruleset'].parent) if name.startswith('.')] == []


def test_a_changed_record_alone_is_rewritten_without_loading(host):
    run(host)
    result = run(host, record={'schema': 1, 'public': False})
    assert result['changed'] and result['reasons'] == ['record differs'] and loads(result) == []
    assert json.loads(host['record'].read_text())['public'] is False


# Commit-confirm: the fake systemd-run only records that a timer was started; "the timer fires" is
# running the rollback script the module wrote, as the timer would.
CONFIRM = os.path.join(ROOT, 'plugins', 'modules', 'confirm.py')
NEW = RULESET.replace('{ }', '{ chain input { } }')


def confirm(host, **extra):
    return run(host, module=CONFIRM, timeout=30, record_path=str(host['record']), **extra)


def restart(host):
    """What a reboot does: /run and the transient timer are gone, and the boot unit loads the
    ruleset file (no table when there is none)."""
    subprocess.run(['rm', '-rf', str(host['run'])], check=True)
    for name in ('timer', 'live'):
        if (host['fake'] / name).exists():
            (host['fake'] / name).unlink()
    if host['ruleset'].exists():
        (host['fake'] / 'live').write_text(host['ruleset'].read_text().split('\n', 2)[2])


def fire_timer(host):
    subprocess.run(['/bin/sh', str(host['run'] / 'rollback.sh'), 'the timer ran out'], check=True,
                   env=dict(os.environ, FAKE=str(host['fake'])))


def test_with_a_timeout_the_table_goes_live_and_the_rest_waits_for_confirmation(host):
    run(host)
    files = {path: host[path].read_text() for path in ('ruleset', 'record', 'unit')}
    result = run(host, ruleset=NEW, record={'schema': 1, 'new': True}, confirm_timeout=30)
    assert result['changed'] and result['pending'] and result['rollback_timeout'] == 30
    timer = [call for call in result['calls'] if call.startswith('systemd-run ')]
    assert len(timer) == 1 and '--on-active=30s' in timer[0] and '--timer-property=AccuracySec=1s' in timer[0]
    # the timer is armed before the new table is loaded
    assert result['calls'].index(timer[0]) < result['calls'].index(loads(result)[0])
    assert (host['fake'] / 'live').read_text() == NEW.split('\n', 2)[2]
    assert {path: host[path].read_text() for path in files} == files

    confirmed = confirm(host)
    assert confirmed['changed'] and confirmed['confirmed']
    assert 'systemctl stop bluemind-firewall-rollback.timer' in confirmed['calls']
    assert host['ruleset'].read_text() == NEW
    assert json.loads(host['record'].read_text())['new'] is True
    again = confirm(host)
    assert not again['changed'] and not again['confirmed'] and not again.get('failed')
    assert not run(host, ruleset=NEW, record={'schema': 1, 'new': True}, confirm_timeout=30)['changed']


def test_an_unconfirmed_change_is_rolled_back_by_the_timer_and_reported(host):
    run(host)
    files = {path: host[path].read_text() for path in ('ruleset', 'record', 'unit')}
    run(host, ruleset=NEW, confirm_timeout=30)
    fire_timer(host)
    assert (host['fake'] / 'live').read_text() == TABLE
    assert {path: host[path].read_text() for path in files} == files
    late = confirm(host)
    assert late['failed'] and 'rolled back' in late['msg'] and 'the timer ran out' in late['msg']
    assert host['ruleset'].read_text() == RULESET
    # the next run applies the change again
    assert run(host, ruleset=NEW, confirm_timeout=30)['pending']


def test_a_first_change_rolled_back_removes_the_table_it_loaded(host):
    result = run(host, confirm_timeout=30)
    assert result['pending'] and not result['recorded']
    fire_timer(host)
    assert not (host['fake'] / 'live').exists()
    assert not host['ruleset'].exists() and not host['record'].exists()


def test_a_confirmation_after_the_hosts_deadline_rolls_back(host):
    run(host)
    run(host, ruleset=NEW, confirm_timeout=30)
    pending = json.loads((host['run'] / 'pending.json').read_text())
    pending['deadline'] -= 31
    (host['run'] / 'pending.json').write_text(json.dumps(pending))
    result = confirm(host)
    assert result['failed'] and 'came' in result['msg'] and 'after the 30 s' in result['msg']
    assert (host['fake'] / 'live').read_text() == TABLE and host['ruleset'].read_text() == RULESET


def test_a_change_waiting_for_its_confirmation_blocks_another(host):
    run(host, confirm_timeout=30)
    result = run(host, ruleset=NEW, confirm_timeout=30)
    assert result['failed'] and 'waits for its confirmation' in result['msg'] and loads(result) == []


def test_a_change_interrupted_without_its_timer_is_rolled_back_before_the_next(host):
    run(host)
    run(host, ruleset=NEW, confirm_timeout=30)
    (host['fake'] / 'timer').unlink()  # the timer is gone but the change was never confirmed
    result = run(host, ruleset=NEW, confirm_timeout=30)
    assert result['pending']
    assert [call for call in result['calls'] if call.startswith('nft -f ')][0].endswith('previous.nft')


def test_a_timeout_below_ten_seconds_is_refused_before_any_change(host):
    result = run(host, confirm_timeout=5)
    assert result['failed'] and 'at least 10' in result['msg'] and result['calls'] == []


def test_absent_removes_table_unit_file_record_and_their_directory_only(host):
    run(host)
    other = host['ruleset'].parent / 'kept-by-the-admin'
    result = run(host, state='absent', confirm_timeout=30)
    assert result['changed'] and result['pending']
    assert not (host['fake'] / 'live').exists() and host['ruleset'].exists()
    assert 'systemctl disable bluemind-firewall.service' in confirm(host)['calls']
    assert not host['ruleset'].exists() and not host['record'].exists() and not host['unit'].exists()
    assert not host['ruleset'].parent.exists()
    run(host)
    other.write_text('x')
    run(host, state='absent')
    assert other.exists() and not host['ruleset'].exists()
    assert not run(host, state='absent')['changed']


def test_a_commit_step_that_fails_leaves_the_timer_to_restore_rules_and_committed_files(host):
    run(host)
    files = {path: host[path].read_text() for path in ('ruleset', 'record', 'unit')}
    result = run(host, ruleset=NEW, boot_unit='[Unit]\nDescription=new\n', record={'schema': 1, 'new': True},
                 confirm_timeout=30)
    assert result['pending']
    (host['fake'] / 'FAIL_DAEMON_RELOAD').write_text('')
    failed = confirm(host, armed_at=result['armed_at'])
    assert failed['failed'] and 'daemon-reload failed' in failed['msg']
    # The ruleset and unit files were written before daemon-reload failed; the timer is still armed.
    assert host['ruleset'].read_text() == NEW and host['unit'].read_text() == '[Unit]\nDescription=new\n'
    assert (host['fake'] / 'timer').exists() and (host['run'] / 'armed').exists()
    assert not [call for call in failed['calls'] if 'rollback.timer' in call and ' stop ' in ' %s ' % call]
    (host['fake'] / 'FAIL_DAEMON_RELOAD').unlink()
    fire_timer(host)
    assert 'systemctl daemon-reload' in (host['fake'] / 'calls').read_text().splitlines()
    assert (host['fake'] / 'live').read_text() == TABLE
    assert {path: host[path].read_text() for path in files} == files


def test_a_restart_inside_the_window_fails_the_confirmation_saying_what_is_in_force(host):
    run(host, record={'schema': 1, 'backend': 'nftables', 'ports': [
        {'proto': 'tcp', 'port': '25', 'allow': 'everyone'}, {'proto': 'tcp', 'port': '5432', 'allow': 'cluster'}]})
    result = run(host, ruleset=NEW, record={'schema': 1, 'new': True}, confirm_timeout=30)
    restart(host)
    lost = confirm(host, armed_at=result['armed_at'])
    assert lost['failed'] and lost['restarted'] and 'the change is lost' in lost['msg']
    assert 'In force now: the policy of the last confirmed change' in lost['msg']
    assert 'open to everyone: 25; to the cluster: 5432' in lost['msg']
    assert (host['fake'] / 'live').read_text() == TABLE and host['ruleset'].read_text() == RULESET
    # Reported once; the next run applies the change again and confirms it.
    assert not confirm(host, armed_at=result['armed_at']).get('failed')
    again = run(host, ruleset=NEW, record={'schema': 1, 'new': True}, confirm_timeout=30)
    assert again['pending'] and confirm(host, armed_at=again['armed_at'])['confirmed']
    assert host['ruleset'].read_text() == NEW and not (host['record'].parent / '.change').exists()


def test_a_restart_inside_the_window_of_a_first_change_says_no_rules_are_in_force(host):
    result = run(host, confirm_timeout=30)
    restart(host)
    lost = confirm(host, armed_at=result['armed_at'])
    assert lost['failed'] and 'this was the first change on this host' in lost['msg']
    assert not (host['fake'] / 'live').exists()


def test_a_rollback_is_still_reported_after_a_restart(host):
    run(host)
    result = run(host, ruleset=NEW, confirm_timeout=30)
    fire_timer(host)
    restart(host)
    late = confirm(host, armed_at=result['armed_at'])
    assert late['failed'] and 'rolled back' in late['msg'] and 'the timer ran out' in late['msg']


def test_a_confirmed_change_leaves_no_rollback_script_nor_marker(host):
    run(host)
    result = run(host, ruleset=NEW, confirm_timeout=30)
    assert (host['record'].parent / '.change').exists()
    assert confirm(host, armed_at=result['armed_at'])['confirmed']
    assert not (host['run'] / 'rollback.sh').exists() and not (host['record'].parent / '.change').exists()


def test_nftables_service_loads_the_table_again_after_its_start_and_stop_while_the_unit_is_active(host):
    result = run(host)
    dropin = host['unit'].parent / 'nftables.service.d' / 'bluemind-firewall-nftables.conf'
    text = dropin.read_text()
    command = ("systemctl is-active --quiet bluemind-firewall.service && exec %s --no-block reload "
               "bluemind-firewall.service || true" % (host['bin'] / 'systemctl'))
    assert "ExecStartPost=-/bin/sh -c '%s'" % command in text and "ExecStopPost=-/bin/sh -c '%s'" % command in text
    assert 'systemctl daemon-reload' in result['calls']
    assert not run(host)['changed']
    run(host, state='absent')
    assert not dropin.exists() and not dropin.parent.exists()


def test_the_ruleset_that_loaded_before_stays_beside_the_new_one(host):
    run(host)
    assert not (host['ruleset'].parent / 'bluemind_firewall.nft.previous').exists()
    run(host, ruleset=NEW)
    assert (host['ruleset'].parent / 'bluemind_firewall.nft.previous').read_text() == RULESET
    run(host, state='absent')
    assert not host['ruleset'].parent.exists()


FAKE_TOOL = r'''#!/bin/sh
# Records its call; fails when $FAKE/FAIL_<its name> exists.
echo "$(basename "$0") $*" >> "$FAKE/calls"
[ -f "$FAKE/FAIL_$(basename "$0")" ] && { echo "$(basename "$0"): failing (test)" >&2; exit 1; }
exit 0
'''
FALLBACK_TABLE = 'table inet bluemind_firewall { chain input { } }\n'
FALLBACK = 'table inet bluemind_firewall\ndelete table inet bluemind_firewall\n' + FALLBACK_TABLE


def boot(host, reload=False):
    """Run the boot unit's line against the fakes; (status, calls, note text or None)."""
    for name in ('iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore', 'ip'):
        (host['bin'] / name).write_text(FAKE_TOOL)
        (host['bin'] / name).chmod(0o755)
    if (host['fake'] / 'FAIL_nft').exists():
        # nft itself fails (missing, broken): every call exits 1.
        (host['bin'] / 'nft').write_text('#!/bin/sh\necho "nft $*" >> "$FAKE/calls"; exit 1\n')
    names = ('iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore', 'ip')
    tools = dict((name, str(host['bin'] / name)) for name in names)
    tools['ls'] = 'printf "lo\\neth0\\neth1\\n"'
    note = host['run'] / 'boot-fallback'
    command = boot_load_command(str(host['bin'] / 'nft'), str(host['ruleset']), note=str(note), tools=tools,
                                last_resort=not reload)
    assert '$' not in command and '%' not in command
    calls = host['fake'] / 'calls'
    if calls.exists():
        calls.unlink()
    done = subprocess.run(['/bin/sh', '-c', command], env=dict(os.environ, FAKE=str(host['fake'])), check=False)
    return (done.returncode, calls.read_text() if calls.exists() else '',
            note.read_text() if note.exists() else None)


def write_files(host, current, previous, fallback=True):
    host['ruleset'].parent.mkdir(parents=True, exist_ok=True)
    host['ruleset'].write_text(current)
    if previous is not None:
        (host['ruleset'].parent / 'bluemind_firewall.nft.previous').write_text(previous)
    if fallback:
        for suffix, content in (('', FALLBACK), ('.iptables', '*filter\nCOMMIT\n'), ('.ip6tables', '*filter\nCOMMIT\n')):
            (host['ruleset'].parent / ('bluemind_firewall.nft.fallback' + suffix)).write_text(content)


@pytest.mark.parametrize('current,previous,status,loaded', [
    (RULESET, None, 0, RULESET),
    ('', RULESET, 3, RULESET),                                   # emptied by a power cut
    (NEW[:len(NEW) // 2], RULESET, 3, RULESET),                  # cut short
    ('', None, 4, FALLBACK),                                     # nothing whole: the last resort
    (NEW[:len(NEW) // 2], None, 4, FALLBACK),                    # the first install, cut short
])
def test_at_boot_a_ruleset_file_that_is_not_whole_falls_back_to_the_previous_one(host, current, previous, status, loaded):
    write_files(host, current, previous)
    done, calls, note = boot(host)
    assert done == status
    live = host['fake'] / 'live'
    assert (live.read_text() if live.exists() else None) == loaded.split('\n', 2)[2]
    assert (note is not None) == (status != 0)
    assert ('boot loaded the last-resort policy (nft, ' in (note or '')) == (status == 4)
    assert 'iptables' not in calls and ' link ' not in calls


def test_a_reload_never_loads_the_last_resort(host):
    write_files(host, '', None)
    done, calls, note = boot(host, reload=True)
    assert done == 1 and not (host['fake'] / 'live').exists() and 'fallback' not in calls


def test_when_nft_fails_at_boot_iptables_loads_the_last_resort_then_a_good_start_removes_it(host):
    write_files(host, RULESET, None)
    (host['fake'] / 'FAIL_nft').touch()
    done, calls, note = boot(host)
    fallback = str(host['ruleset']) + '.fallback'
    assert done == 5, calls
    assert 'iptables-restore -n %s.iptables\n' % fallback in calls
    assert 'ip6tables-restore -n %s.ip6tables\n' % fallback in calls
    assert ' link ' not in calls
    assert note.startswith('boot loaded the last-resort policy (iptables-restore, ') and 'nft failed' in note
    # nft repaired: the next start (a converge) loads the ruleset and takes the iptables chain out.
    (host['fake'] / 'FAIL_nft').unlink()
    (host['bin'] / 'nft').write_text(FAKE_NFT)
    done, calls, note = boot(host)
    assert done == 0 and note is None
    for tool in ('iptables', 'ip6tables'):
        for words in ('-D INPUT -j bluemind-fallback', '-F bluemind-fallback', '-X bluemind-fallback'):
            assert '%s %s\n' % (tool, words) in calls
    # An ordinary boot runs no iptables command (on a host without iptables' tables, it could create them).
    done, calls, note = boot(host)
    assert done == 0 and 'iptables' not in calls


@pytest.mark.parametrize('failing', ['iptables-restore', 'ip6tables-restore'])
def test_when_nothing_loads_at_boot_every_interface_but_the_loopback_goes_down(host, failing):
    write_files(host, '', None)
    (host['fake'] / 'FAIL_nft').touch()
    (host['fake'] / ('FAIL_' + failing)).touch()
    done, calls, note = boot(host)
    assert done == 6
    assert [line for line in calls.splitlines() if ' link ' in line] == [
        'ip link set dev eth0 down', 'ip link set dev eth1 down']
    assert note.startswith('boot could not load the last-resort policy either') and 'last-resort' in note


def test_a_unit_stopped_by_hand_is_started_again_by_the_next_converge(host):
    run(host)
    for name in ('active', 'live'):      # systemctl stop bluemind-firewall: the unit's ExecStop deleted the table
        (host['fake'] / name).unlink()
    result = run(host)
    assert result['changed'] and 'table inet bluemind_firewall is not loaded' in result['reasons']
    assert 'systemctl start bluemind-firewall.service' in result['calls']
    (host['fake'] / 'active').unlink()   # stopped while the table stayed (an older unit without ExecStop)
    assert run(host)['reasons'] == ['boot unit not active']
    assert not run(host)['changed']


def test_the_boot_unit_stops_by_removing_its_table_but_not_at_shutdown():
    import jinja2
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROOT, 'roles', 'host_firewall', 'templates')),
                                     undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    unit = environment.get_template('bluemind-firewall.service.j2').render(
        table='bluemind_firewall', nft='/usr/sbin/nft', ruleset_path='/etc/bluemind-firewall/bluemind_firewall.nft',
        include_link='/run/bluemind-firewall/include/bluemind_firewall.nft',
        load=boot_load_command('/usr/sbin/nft', '/etc/bluemind-firewall/bluemind_firewall.nft'),
        reload=boot_load_command('/usr/sbin/nft', '/etc/bluemind-firewall/bluemind_firewall.nft', last_resort=False))
    stop = [line for line in unit.splitlines() if line.startswith('ExecStop=')]
    assert stop == ["ExecStop=/bin/sh -c 'rm -f /run/bluemind-firewall/include/bluemind_firewall.nft; "
                    "systemctl is-system-running | grep -q stopping "
                    "|| /usr/sbin/nft delete table inet bluemind_firewall 2>/dev/null || true'"]
    assert 'PartOf=' not in unit and 'ReloadPropagatedFrom=nftables.service' in unit
    assert '$' not in unit and '%' not in unit
    # The last resort is a failure (systemctl --failed), the previous ruleset is not; reloads never load it.
    assert 'SuccessExitStatus=3\n' in unit and 'exit 4' in unit and 'exit 6' in unit
    reload = [line for line in unit.splitlines() if line.startswith('ExecReload=')]
    assert len(reload) == 1 and '.nft.fallback' not in reload[0] and 'link set' not in reload[0]
    # Before every network manager: they all start after network-pre.target, which this unit pulls in.
    assert 'DefaultDependencies=no\n' in unit and 'Wants=network-pre.target\n' in unit
    assert 'Before=network-pre.target cloud-init-local.service shutdown.target\n' in unit


def test_the_last_resort_files_are_root_only(host):
    run(host, fallback={'nft': FALLBACK, 'ipv4': '*filter\nCOMMIT\n', 'ipv6': '*filter\nCOMMIT\n'})
    for suffix in ('', '.iptables', '.ip6tables'):
        assert os.stat(str(host['ruleset']) + '.fallback' + suffix).st_mode & 0o777 == 0o600


def test_the_last_resort_files_are_written_checked_and_removed(host):
    fallback = {'nft': FALLBACK, 'ipv4': '*filter\nCOMMIT\n', 'ipv6': '*filter\nCOMMIT\n'}
    result = run(host, fallback=fallback)
    base = str(host['ruleset']) + '.fallback'
    for path, content in ((base, FALLBACK), (base + '.iptables', fallback['ipv4']), (base + '.ip6tables', fallback['ipv6'])):
        assert open(path).read() == content
    assert not run(host, fallback=fallback)['changed']
    changed = dict(fallback, ipv4='*filter\n# other\nCOMMIT\n')
    result = run(host, fallback=changed)
    assert result['reasons'] == ['last-resort policy differs'] and loads(result) == []
    assert [call for call in result['calls'] if call.startswith('nft -c -f ')]
    assert open(base + '.iptables').read() == changed['ipv4']
    # A last resort nft refuses is not written: the run fails before any change.
    refused = run(host, fallback=dict(fallback, nft=FALLBACK + '# REJECT_CHECK\n'))
    assert refused.get('failed') and 'nft -c' in refused['msg'] and open(base).read() == FALLBACK
    run(host, state='absent')
    assert not host['ruleset'].parent.exists()


ADMIN_CONFIG = '#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n\tchain input { type filter hook input priority 0; }\n}\n'


def test_the_system_configuration_includes_the_table_keeping_the_admins_lines_and_mode(host):
    host['system_config'].parent.mkdir(parents=True)
    host['system_config'].write_text(ADMIN_CONFIG.rstrip('\n'))    # no newline at its end
    host['system_config'].chmod(0o755)
    result = run(host)
    text = host['system_config'].read_text()
    assert text.startswith(ADMIN_CONFIG) and text.endswith('include "/run/bluemind-firewall/include/*.nft"\n')
    assert len(text.splitlines()) == len(ADMIN_CONFIG.splitlines()) + 2
    assert os.stat(str(host['system_config'])).st_mode & 0o777 == 0o755
    assert '%s does not include the table' % host['system_config'] in result['reasons']
    assert not run(host)['changed']
    # The stop: one transaction that flushes every table but the included one.
    dropin = (host['unit'].parent / 'nftables.service.d' / 'bluemind-firewall-nftables.conf').read_text()
    stop = host['ruleset'].parent / 'nftables-stop.nft'
    assert dropin.endswith('ExecStop=\nExecStop=%s -f %s\n' % (host['bin'] / 'nft', stop))
    assert stop.read_text().endswith('flush ruleset\ninclude "/run/bluemind-firewall/include/*.nft"\n')
    run(host, state='absent')
    assert host['system_config'].read_text() == ADMIN_CONFIG and not stop.exists()
    assert os.stat(str(host['system_config'])).st_mode & 0o777 == 0o755


def test_without_a_system_configuration_none_is_written(host):
    run(host)
    assert not host['system_config'].exists()


def test_the_boot_unit_links_what_it_loaded_for_nftables_services_include(host):
    link = host['run'] / 'include' / 'bluemind_firewall.nft'
    write_files(host, RULESET, None)
    assert boot(host)[0] == 0 and os.readlink(str(link)) == str(host['ruleset'])
    write_files(host, '', RULESET)
    assert boot(host)[0] == 3 and os.readlink(str(link)) == str(host['ruleset']) + '.previous'
    write_files(host, '', None)
    (host['ruleset'].parent / 'bluemind_firewall.nft.previous').unlink()
    assert boot(host)[0] == 4 and os.readlink(str(link)) == str(host['ruleset']) + '.fallback'


def _network_namespaces():
    """Whether this process may make a network namespace (root in a container without SYS_ADMIN may not)."""
    if os.geteuid() != 0 or not shutil.which('unshare'):
        return False
    return subprocess.run(['unshare', '-n', 'true'], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _network_namespaces(), reason='needs root and unshare -n')
def test_nftables_services_flush_and_the_included_table_are_one_transaction(tmp_path):
    """With real nft in an empty network namespace: the stop file and a configuration with the include
    leave the linked table (and only it) loaded; without the link they flush everything."""
    nft = shutil.which('nft')
    if not nft:
        pytest.skip('needs nft')
    sys.path.insert(0, os.path.dirname(MODULE))
    from ansible_collections.bluemind.firewall.plugins.modules.nftables_table import STOP_CONFIG, with_include
    glob = '/run/bluemind-firewall/include/*.nft'
    include = tmp_path / 'include'
    include.mkdir()
    table = tmp_path / 'bluemind_firewall.nft'
    table.write_text(RULESET.replace('{ }', '{\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}'))
    (tmp_path / 'stop.nft').write_text(STOP_CONFIG.replace(glob, str(include / '*.nft')))
    (tmp_path / 'conf.nft').write_text(with_include(ADMIN_CONFIG).replace(glob, str(include / '*.nft')))
    script = ('nft add table inet docker_like && nft -f {0}/conf.nft && nft list tables && echo -- && '
              'nft add table inet docker_like && nft -f {0}/stop.nft && nft list tables && echo -- && '
              'rm {0}/include/t.nft && nft -f {0}/stop.nft && nft list tables').format(tmp_path)
    os.symlink(str(table), str(include / 't.nft'))
    done = subprocess.run(['unshare', '-n', 'sh', '-c', script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split('--\n') == ['table inet filter\ntable inet bluemind_firewall\n',
                                         'table inet bluemind_firewall\n', '']
