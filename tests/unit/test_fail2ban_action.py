"""fail2ban's action into the collection's ban sets (bluemind_firewall_fail2ban_action): the policy and
its table, the program fail2ban runs, and, where root can make a network namespace, the action as
Debian's fail2ban renders it, run against the loaded table and read back as verify reads it."""

import glob
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import types

import pytest

import live_fixtures
from test_nftables_view import matches, render
from ansible_collections.bluemind.firewall.plugins.module_utils import exposure, fail2ban, verification
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import nftables_view
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError, build_policy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HELPER = os.path.join(ROOT, 'roles', 'host_firewall', 'files', 'bluemind-firewall-fail2ban')
# The peers of the recorded live states (collection_only's host is rec1).
PEERS = {'rec1': ['10.89.45.11', 'fd42:89:45::11'], 'rec2': ['10.89.45.12', 'fd42:89:45::12']}
ADMIN = ['198.51.100.0/24', '2001:db8:ad::/48']
SERVICES = {'smtp': 25, 'ssh': 22, 'submission': 587, 'imaps': 993}


def _helper():
    loader = importlib.machinery.SourceFileLoader('bluemind_firewall_fail2ban', HELPER)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


helper = _helper()


def services(name, proto):
    assert proto == 'tcp'
    if name not in SERVICES:
        raise OSError('service not found')
    return SERVICES[name]


def policy(port_table, **settings):
    settings.setdefault('admin_sources', ADMIN)
    return build_policy(port_table, settings, {'group': 'bluemind', 'hosts': PEERS})


# The policy and its table.

def test_off_by_default_nothing_changes(port_table):
    found = policy(port_table)
    assert found['protection'] == {'meters': {}, 'bans': {}, 'fail2ban': False}
    assert 'bans_v4' not in render(nftables_view(found))


def test_on_the_ban_sets_and_their_drop_exist_without_a_limited_port(port_table):
    found = policy(port_table, fail2ban_action=True)
    assert found['protection'] == {'meters': {}, 'bans': {'ipv4': 'bans_v4', 'ipv6': 'bans_v6'}, 'fail2ban': True}
    view = nftables_view(found)
    rules = matches(view)
    # First of the input chain's own rules: every accept that follows lets a banned source in no more.
    assert rules[:2] == ['meta nfproto ipv4 ip saddr . tcp dport @bans_v4',
                         'meta nfproto ipv6 ip6 saddr & ffff:ffff:ffff:ffff:: . tcp dport @bans_v6']
    assert [rule['verdict'] for rule in view['rules'][:2]] == ['drop', 'drop']
    assert not [rule for rule in rules if 'meters_' in rule]
    text = render(view)
    for name in ('bans_v4', 'bans_v6'):
        block = text.split('set %s {' % name)[1].split('}')[0]
        # No timeout of the set's own: fail2ban's permanent bans must not expire.
        assert 'size 65536' in block and 'flags dynamic,timeout' in block and 'timeout' not in block.replace(
            'dynamic,timeout', '')
    assert 'meters_v4' not in text


def test_on_with_a_limited_port_every_ban_carries_its_own_timeout(port_table):
    found = policy(port_table, fail2ban_action='yes', optional_services=['submission'],
                   exposure={'submission': {'mode': 'limited', 'ban_seconds': 120}})
    assert found['protection'] == {'meters': {'ipv4': 'meters_v4', 'ipv6': 'meters_v6'},
                                   'bans': {'ipv4': 'bans_v4', 'ipv6': 'bans_v6'}, 'fail2ban': True}
    text = render(nftables_view(found))
    assert 'timeout' not in text.split('set bans_v4 {')[1].split('}')[0].replace('dynamic,timeout', '')
    assert 'add @bans_v4 { ip saddr . tcp dport timeout 120s }' in text
    assert 'banned sources (limited ports, fail2ban) are dropped until their ban ends' in text


def test_with_ufw_it_is_recorded_without_sets_and_a_bad_value_is_refused(port_table):
    # ufw keeps fail2ban's bans in deny rules: no set; the record says the action is on (verify names it).
    assert policy(port_table, backend='ufw', fail2ban_action=True)['protection'] == {
        'meters': {}, 'bans': {}, 'fail2ban': True}
    with pytest.raises(PolicyError, match='bluemind_firewall_fail2ban_action'):
        policy(port_table, fail2ban_action='perhaps')
    assert 'is for the nftables and ufw backends' in fail2ban.refusal(True, 'firewalld', True)


def test_a_host_without_fail2ban_is_refused():
    assert fail2ban.refusal(False, 'nftables', False) is None
    assert fail2ban.refusal(True, 'nftables', True) is None
    said = fail2ban.refusal(True, 'nftables', False)
    assert 'not installed' in said and 'Nothing was changed' in said


def _namespaces():
    if os.geteuid() != 0 or not shutil.which('unshare') or not shutil.which('nft'):
        return False
    return subprocess.run(['unshare', '-n', 'true'], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _namespaces(), reason='nft -c in unshare -n needs root, nft and unshare')
def test_nft_accepts_the_table_with_fail2ban_on(port_table, tmp_path):
    for settings in ({'fail2ban_action': True}, {'fail2ban_action': True, 'admin_sources': ['0.0.0.0/0', '::/0']}):
        ruleset = tmp_path / 'ruleset.nft'
        ruleset.write_text(render(nftables_view(policy(port_table, **settings))))
        check = subprocess.run(['unshare', '-n', 'nft', '-c', '-f', str(ruleset)], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr


# The program fail2ban runs.

def test_a_jail_s_ports_become_one_element_each():
    assert helper.ports('smtp,465,submission', services) == [25, 465, 587]
    assert helper.ports('ssh', services) == [22]
    assert helper.ports(' 8000:8002, 8001-8003 ', services) == [8000, 8001, 8002, 8003]
    assert helper.ports('25,smtp', services) == [25]


@pytest.mark.parametrize('text, why', [
    ('0:65535', 'more than the 256'), ('1:300', 'more than the 256'), ('nosuchservice', 'no TCP service name'),
    ('9:3', 'not FIRST:LAST'), ('', 'no port'), ('70000', 'outside'), ('1:2:3', 'not a number')])
def test_ports_it_cannot_hold_are_refused(text, why):
    with pytest.raises(helper.Refused, match=why):
        helper.ports(text, services)


def test_an_ipv6_ban_holds_the_address_s_64_as_the_limited_ports_bans_do():
    assert helper.source('2001:db8:1:2:3:4:5:6') == (6, '2001:db8:1:2::')
    assert helper.source('203.0.113.7') == (4, '203.0.113.7')
    assert helper.source('::ffff:203.0.113.7') == (4, '203.0.113.7')
    assert exposure.IPV6_SOURCE_PREFIX == helper.IPV6_PREFIX
    assert helper.SETS == {4: 'bans_v4', 6: 'bans_v6'}
    with pytest.raises(helper.Refused):
        helper.source('not-an-address')


def test_a_ban_lasts_the_jail_s_bantime_and_a_permanent_one_has_no_end_of_its_own():
    assert helper.timeout('600') == 600
    assert helper.timeout('3600.0') == 3600
    assert helper.timeout('0') == 1
    assert helper.timeout('-1') is None
    assert helper.timeout(str(helper.LONGEST_TIMEOUT + 1)) is None
    with pytest.raises(helper.Refused):
        helper.timeout('<bantime>')


def test_ban_and_unban_commands():
    ban = helper.commands('ban', '203.0.113.7', 'smtp,submission', 'tcp', '600', 'postfix', services)
    assert ban == ['add element inet bluemind_firewall bans_v4 { 203.0.113.7 . 25 timeout 600s comment '
                   '"fail2ban postfix", 203.0.113.7 . 587 timeout 600s comment "fail2ban postfix" }']
    assert helper.commands('ban', '2001:db8::7', 'ssh', 'tcp', '-1', 'sshd', services) == [
        'add element inet bluemind_firewall bans_v6 { 2001:db8:: . 22 comment "fail2ban sshd" }']
    assert helper.commands('unban', '203.0.113.7', 'smtp,submission', 'tcp', '600', 'postfix', services) == [
        'delete element inet bluemind_firewall bans_v4 { 203.0.113.7 . 25 }',
        'delete element inet bluemind_firewall bans_v4 { 203.0.113.7 . 587 }']
    # A jail name cannot break out of the comment.
    assert '"fail2ban a_b_c"' in helper.commands('ban', '203.0.113.7', '25', 'tcp', '5', 'a"b c', services)[0]
    with pytest.raises(helper.Refused, match='TCP ports only'):
        helper.commands('ban', '203.0.113.7', '53', 'udp', '600', 'dns', services)


def test_the_program_refuses_with_a_message_and_exit_2(capsys):
    assert helper.main(['x', 'ban', '203.0.113.7', '0:65535', 'tcp', '600', 'recidive']) == 2
    assert 'refused' in capsys.readouterr().err
    assert helper.main(['x', 'ban']) == 2


def test_the_installed_files():
    with open(HELPER) as handle:
        installed = fail2ban.files(handle.read())
    # Installed with its interpreter line, executable.
    assert installed[0][1].startswith('#!/usr/bin/python3\n') and installed[0][2] == 0o755
    paths = [path for path, dummy, dummy in installed]
    assert paths == ['/usr/local/sbin/bluemind-firewall-fail2ban', '/etc/fail2ban/action.d/bluemind-firewall.conf',
                     '/etc/fail2ban/jail.d/zz-bluemind-firewall.local']
    assert '[DEFAULT]\nbanaction = bluemind-firewall\n' in fail2ban.DROPIN_TEXT
    # The drop-in selects the action and nothing else.
    assert [line for line in fail2ban.DROPIN_TEXT.splitlines() if line and not line.startswith('#')] == [
        '[DEFAULT]', 'banaction = bluemind-firewall']
    # Starting and stopping a jail leave the collection's table alone.
    definition = fail2ban.action_text('nftables').split('[Definition]')[1].split('[Init]')[0]
    for tag in ('actionstart', 'actionstop', 'actioncheck'):
        assert '\n%s =\n' % tag in definition


def test_kept_bans_keep_fail2ban_s_elements_on_any_port_while_its_action_is_on():
    record = {'ports': [{'proto': 'tcp', 'first': 587, 'last': 587, 'exposure': 'limited'}],
              'protection': {'fail2ban': True}}
    listing = json.dumps({'nftables': [{'set': {'name': 'bans_v4', 'elem': [
        {'elem': {'val': {'concat': ['203.0.113.7', 25]}, 'timeout': 600, 'expires': 512, 'comment': 'fail2ban postfix'}},
        {'elem': {'val': {'concat': ['203.0.113.8', 22]}, 'comment': 'fail2ban sshd'}},
        {'elem': {'val': {'concat': ['203.0.113.9', 587]}, 'timeout': 120, 'expires': 100}},
        {'elem': {'val': {'concat': ['203.0.113.10', 993]}, 'timeout': 120, 'expires': 100}},
        {'elem': {'val': {'concat': ['203.0.113.11', 993]}, 'comment': 'by hand'}},
    ]}}]})
    assert exposure.kept_bans('bluemind_firewall', 'bans_v4', listing, record) == [
        'add element inet bluemind_firewall bans_v4 { 203.0.113.7 . 25 timeout 512s comment "fail2ban postfix" }\n',
        'add element inet bluemind_firewall bans_v4 { 203.0.113.8 . 22 comment "fail2ban sshd" }\n',
        'add element inet bluemind_firewall bans_v4 { 203.0.113.9 . 587 timeout 100s }\n']
    # Turned off: fail2ban's elements go with its action; the limited port's stay.
    record['protection']['fail2ban'] = False
    assert exposure.kept_bans('bluemind_firewall', 'bans_v4', listing, record) == [
        'add element inet bluemind_firewall bans_v4 { 203.0.113.9 . 587 timeout 100s }\n']


# Debian's fail2ban rendering the action, run against the loaded table, read back as verify reads it.

def _fail2ban_package(tmp_path):
    debs = sorted(glob.glob(os.path.join(ROOT, '.cache', 'debs', 'fail2ban_*.deb')))
    if not debs or not shutil.which('dpkg-deb'):
        return None
    unpacked = tmp_path / 'pkg'
    subprocess.run(['dpkg-deb', '-x', debs[-1], str(unpacked)], check=True)
    return unpacked


def _rendered(package, jail, ports, bans):
    """{'ban': [commands], 'unban': [commands]} as fail2ban runs them for bans [(address, bantime)]."""
    config = package / 'etc' / 'fail2ban'
    (config / 'action.d' / 'bluemind-firewall.conf').write_text(fail2ban.action_text('nftables'))
    script = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
from fail2ban.client.actionreader import ActionReader
from fail2ban.server.action import CommandAction
reader = ActionReader('bluemind-firewall', sys.argv[3], {'port': sys.argv[4], 'protocol': 'tcp'}, basedir=sys.argv[2])
assert reader.read()
reader.getOptions({})
properties = {}
for item in reader.convert():
    if item[0] == 'multi-set':
        properties.update(dict(item[4]))
found = {}
for tag in ('actionstart', 'actionstop', 'actionban', 'actionunban'):
    found[tag] = []
    for address, bantime in json.loads(sys.argv[5]):
        text = CommandAction.replaceTag(properties[tag], properties, conditional='family=inet4')
        found[tag].append(CommandAction.replaceDynamicTags(text, {'ip': address, 'bantime': bantime}))
print(json.dumps(found))
'''
    done = subprocess.run([sys.executable, '-c', script, str(package / 'usr' / 'lib' / 'python3' / 'dist-packages'),
                           str(config), jail, ports, json.dumps(bans)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(not _namespaces(), reason='a network namespace needs root, nft and unshare')
def test_fail2ban_s_bans_land_in_the_ban_sets_and_verify_reports_them(port_table, tmp_path):
    package = _fail2ban_package(tmp_path)
    if package is None:
        pytest.skip('no fail2ban package in .cache/debs (make bootstrap downloads it)')
    found = policy(port_table, fail2ban_action=True)
    commands = _rendered(package, 'postfix', 'smtp,465,submission',
                         [('203.0.113.7', 600), ('2001:db8:7:7::9', -1), ('10.89.45.12', 600)])
    assert commands['actionstart'] == [''] * 3 and commands['actionstop'] == [''] * 3
    assert commands['actionban'][0] == (
        '%s ban 203.0.113.7 "smtp,465,submission" "tcp" 600 "postfix" nftables' % fail2ban.HELPER_PATH)
    (tmp_path / 'ruleset.nft').write_text(render(nftables_view(found)))
    run = '\n'.join(line.replace(fail2ban.HELPER_PATH, '%s %s' % (sys.executable, HELPER))
                    for line in commands['actionban'])
    (tmp_path / 'bans.sh').write_text('set -e\n' + run + '\n')
    unban = '\n'.join(line.replace(fail2ban.HELPER_PATH, '%s %s' % (sys.executable, HELPER))
                      for line in commands['actionunban'])
    (tmp_path / 'unbans.sh').write_text('set -e\n' + unban + '\n')
    done = subprocess.run(['unshare', '-n', 'bash', '-c', '''
        set -e
        ip link set lo up
        nft -f ruleset.nft
        bash bans.sh
        nft -j list ruleset > banned.json
        bash unbans.sh
        bash unbans.sh
        nft -j list set inet bluemind_firewall bans_v4 > unbanned4.json
        nft -j list set inet bluemind_firewall bans_v6 > unbanned6.json
        '''], cwd=str(tmp_path), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    listing = (tmp_path / 'banned.json').read_text()
    named = dict((item['set']['name'], item['set']) for item in json.loads(listing)['nftables'] if 'set' in item)
    v4 = sorted((e['elem']['val']['concat'][0], e['elem']['val']['concat'][1], e['elem'].get('timeout'),
                 e['elem']['comment']) for e in named['bans_v4']['elem'])
    assert v4 == [('10.89.45.12', 25, 600, 'fail2ban postfix'), ('10.89.45.12', 465, 600, 'fail2ban postfix'),
                  ('10.89.45.12', 587, 600, 'fail2ban postfix'), ('203.0.113.7', 25, 600, 'fail2ban postfix'),
                  ('203.0.113.7', 465, 600, 'fail2ban postfix'), ('203.0.113.7', 587, 600, 'fail2ban postfix')]
    v6 = sorted((e['elem']['val']['concat'][0], e['elem']['val']['concat'][1], 'timeout' in e['elem'])
                for e in named['bans_v6']['elem'])
    assert v6 == [('2001:db8:7:7::', 25, False), ('2001:db8:7:7::', 465, False), ('2001:db8:7:7::', 587, False)]

    # Verify: the outsider's bans are bans, on smtp (the port the policy opens of the jail's three), by fail2ban;
    # the peer's is blocked.
    tables = verification.live_tables(listing)
    differences = verification.compare(tables, verification.ExpectedPolicy(found), live_fixtures.host('collection_only'))[1]
    by = dict(((item['kind'], item['family']), item) for item in differences)
    assert sorted(by) == [('banned', 'ipv4'), ('banned', 'ipv6'), ('blocked', 'ipv4')]
    assert by['banned', 'ipv4']['about'] == 'smtp: 1 source banned now (fail2ban, set bans_v4)'
    assert by['banned', 'ipv4']['sources'] == ['203.0.113.7']
    assert by['banned', 'ipv6']['about'] == 'smtp: 1 source banned now (fail2ban, set bans_v6)'
    assert by['banned', 'ipv6']['sources'] == ['2001:db8:7:7::/64']
    assert by['blocked', 'ipv4']['sources'] == ['10.89.45.12']
    assert by['blocked', 'ipv4']['source_class'] == 'peer rec2'

    # A converge keeps them: the permanent one without a timeout, the others with the time they have left.
    listed = json.dumps({'nftables': [{'set': named['bans_v6']}]})
    kept = exposure.kept_bans('bluemind_firewall', 'bans_v6', listed, found)
    line = 'add element inet bluemind_firewall bans_v6 { 2001:db8:7:7:: . %d comment "fail2ban postfix" }\n'
    assert sorted(kept) == [line % port for port in (25, 465, 587)]

    # fail2ban's unban took every element out (a second unban of gone elements is no error).
    for name in ('unbanned4.json', 'unbanned6.json'):
        listed = json.loads((tmp_path / name).read_text())['nftables']
        assert [item['set'].get('elem', []) for item in listed if 'set' in item] == [[]]


def test_who_banned_is_said_from_the_record():
    from ansible_collections.bluemind.firewall.plugins.module_utils import bans
    record = {'ports': [{'proto': 'tcp', 'first': 587, 'last': 587, 'exposure': 'limited'}],
              'protection': {'fail2ban': False}}
    assert bans.own_banner([587], record) == 'limited port'
    record['protection']['fail2ban'] = True
    assert bans.own_banner([587], record) == 'limited port or fail2ban'
    assert bans.own_banner([25], record) == 'fail2ban'


# fail2ban's own server, in a network namespace: the admin's jail, then the drop-in and the action as
# the module installs them and restarts the jails, failed logins, the bans in the ban sets; then the
# files removed and the jails restarted again: the jail bans through its own banaction once more.

SERVER_SCRIPT = r'''
set -e
client() { python3 "$PKG/usr/bin/fail2ban-client" -c "$CONF" "$@"; }
# The server leaves the shell behind (a daemon): stopped whatever happens, else it would outlive the test.
trap 'client stop >/dev/null 2>&1 || true' EXIT
ip link set lo up
nft -f ruleset.nft
client start >/dev/null
for try in $(seq 50); do client status postfix >/dev/null 2>&1 && break; sleep 0.2; done
client get postfix actions > actions-before.txt
cp action.conf "$CONF/action.d/bluemind-firewall.conf"
cp dropin.local "$CONF/jail.d/zz-bluemind-firewall.local"
client $RELOAD >/dev/null
client get postfix actions > actions-on.txt
for try in 1 2 3 4; do
  for address in 203.0.113.7 2001:db8:7:7::9; do
    reject="554 5.7.1 <a@example.org>: Relay access denied; from=<b@example.net> to=<a@example.org> proto=ESMTP helo=<c>"
    echo "$(date '+%b %e %H:%M:%S') mail postfix/smtpd[42]: NOQUEUE: reject: RCPT from unknown[$address]: $reject" >> mail.log
  done
done
for try in $(seq 50); do
  [ "$(nft -j list ruleset | grep -o 'fail2ban postfix' | wc -l)" = 6 ] && break; sleep 0.2
done
nft -j list ruleset > banned.json
rm "$CONF/action.d/bluemind-firewall.conf" "$CONF/jail.d/zz-bluemind-firewall.local"
client $RELOAD >/dev/null
client get postfix actions > actions-off.txt
nft -j list ruleset > after.json
'''


@pytest.mark.skipif(not _namespaces() or not shutil.which('iptables'),
                    reason='a network namespace needs root, nft, iptables and unshare')
def test_fail2ban_s_server_bans_through_the_action_once_its_jails_restart(port_table, tmp_path):
    package = _fail2ban_package(tmp_path)
    if package is None:
        pytest.skip('no fail2ban package in .cache/debs (make bootstrap downloads it)')
    conf = tmp_path / 'conf'
    shutil.copytree(str(package / 'etc' / 'fail2ban'), str(conf))
    (conf / 'fail2ban.local').write_text(
        '[Definition]\nlogtarget = %(d)s/fail2ban.log\nsocket = %(d)s/fail2ban.sock\npidfile = %(d)s/fail2ban.pid\n'
        'dbfile = %(d)s/fail2ban.sqlite3\n' % {'d': tmp_path})
    # The admin's jail, with the banaction Debian's jail.conf gives (iptables-multiport).
    (conf / 'jail.d' / 'bmfw-admin.local').write_text(
        '[sshd]\nenabled = false\n\n[postfix]\nenabled = true\nbackend = polling\nlogpath = %s/mail.log\n'
        'maxretry = 3\nbantime = 300\n' % tmp_path)
    (tmp_path / 'mail.log').write_text('')
    (tmp_path / 'ruleset.nft').write_text(render(nftables_view(policy(port_table, fail2ban_action=True))))
    (tmp_path / 'action.conf').write_text(fail2ban.action_text('nftables').replace(
        fail2ban.HELPER_PATH, '%s %s' % (sys.executable, HELPER)))
    (tmp_path / 'dropin.local').write_text(fail2ban.DROPIN_TEXT)
    environment = dict(os.environ, PKG=str(package), CONF=str(conf), RELOAD=' '.join(fail2ban.RESTART_JAILS),
                       PYTHONPATH=str(package / 'usr' / 'lib' / 'python3' / 'dist-packages'))
    done = subprocess.run(['timeout', '60', 'unshare', '-n', 'bash', '-c', SERVER_SCRIPT], cwd=str(tmp_path),
                          env=environment, capture_output=True, text=True, check=False)
    log = (tmp_path / 'fail2ban.log').read_text() if (tmp_path / 'fail2ban.log').exists() else ''
    assert done.returncode == 0, done.stderr + log[-3000:]
    assert 'iptables-multiport' in (tmp_path / 'actions-before.txt').read_text()
    on = (tmp_path / 'actions-on.txt').read_text()
    assert 'bluemind-firewall' in on and 'iptables-multiport' not in on, on
    named = dict((item['set']['name'], item['set']) for item in json.loads((tmp_path / 'banned.json').read_text())['nftables']
                 if 'set' in item)
    found = sorted((e['elem']['val']['concat'][0], e['elem']['val']['concat'][1], e['elem']['timeout'])
                   for name in ('bans_v4', 'bans_v6') for e in named[name].get('elem', []))
    assert found == [('2001:db8:7:7::', 25, 300), ('2001:db8:7:7::', 465, 300), ('2001:db8:7:7::', 587, 300),
                     ('203.0.113.7', 25, 300), ('203.0.113.7', 465, 300), ('203.0.113.7', 587, 300)], log[-3000:]
    # Off again: the jail bans through its own banaction, its bans moved there, out of the ban sets.
    off = (tmp_path / 'actions-off.txt').read_text()
    assert 'iptables-multiport' in off and 'bluemind-firewall' not in off, off
    after = dict((item['set']['name'], item['set']) for item in json.loads((tmp_path / 'after.json').read_text())['nftables']
                 if 'set' in item)
    assert after['bans_v4'].get('elem', []) == [] and after['bans_v6'].get('elem', []) == []


# The plan, on the controller, before any host changes.

@pytest.fixture
def plan(monkeypatch, port_table):
    from ansible.plugins.action import ActionBase
    from ansible_collections.bluemind.firewall.plugins.action import host_policy
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    cluster = {'group': 'bluemind', 'hosts': {'core': ['192.0.2.1', '2001:db8::1']}, 'errors': {}}

    def run(programs, **settings):
        action = object.__new__(host_policy.ActionModule)
        args = dict(port_table=port_table, cluster=cluster, nftables={'nft': '/usr/sbin/nft', 'ruleset_path': '/x.nft',
                                                                      'ruleset_template': 'r.j2', 'boot_unit_template': 'b.j2'},
                    ssh_connection='198.51.100.9 50000 192.0.2.1 22', admin_sources=ADMIN, firewalls_from='found',
                    **settings)
        action._task = types.SimpleNamespace(args=args)
        action._render = lambda name, context: ''
        found = {'firewalld_active': False, 'firewalld_enabled': False, 'ufw_active': False, 'table_loaded': False,
                 'bm_iptables': None, 'programs': programs}
        return action.run(task_vars={'inventory_hostname': 'core', 'ansible_play_hosts_all': ['core'], 'found': found})
    return run


def test_the_plan_refuses_the_setting_where_fail2ban_is_missing(plan):
    from ansible.errors import AnsibleActionFail
    with pytest.raises(AnsibleActionFail) as caught:
        plan({'nftables': True, 'ufw': False, 'fail2ban': False}, fail2ban_action=True)
    said = str(caught.value)
    assert 'bluemind_firewall_fail2ban_action: true installs an action for fail2ban, which is not installed' in said
    assert 'No host of the installation bluemind was changed' in said
    # With ufw too (its bans are deny rules), and there it is taken where fail2ban is installed.
    with pytest.raises(AnsibleActionFail, match='which is not installed'):
        plan({'nftables': True, 'ufw': True, 'fail2ban': False}, fail2ban_action=True, backend='ufw')
    assert plan({'nftables': True, 'ufw': True, 'fail2ban': True}, fail2ban_action=True,
                backend='ufw')['switches']['fail2ban_action'] is True


def test_the_plan_hands_the_setting_to_the_apply_steps(plan):
    on = plan({'nftables': True, 'ufw': False, 'fail2ban': True}, fail2ban_action=True)
    assert on['switches']['fail2ban_action'] is True
    assert json.loads(on['policy_json'])['protection']['fail2ban'] is True
    # Off, fail2ban installed or not: nothing refused, the step removes what an earlier run installed.
    off = plan({'nftables': True, 'ufw': False, 'fail2ban': False})
    assert off['switches']['fail2ban_action'] is False
