"""The verify module as Ansible runs it, with nft, iptables-save, ip6tables-save and ip replaced by
scripts that print a recorded live state; and its probes against sockets of this machine."""

import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

from conftest import ROOT
from ansible_collections.bluemind.firewall.plugins.module_utils import probes, verification
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError

MODULE = os.path.join(ROOT, 'plugins', 'modules', 'verify.py')
LIVE = os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'live')
# Each tool prints what it printed on the recorded host; a call the module should not make fails.
FAKE_TOOL = '''#!/bin/sh
from_host() { python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$STATE/host.json" "$1"; }
show() { if [ -f "$STATE/$1" ]; then cat "$STATE/$1"; fi; }
case "$(basename "$0") $*" in
  "nft -j list ruleset") cat "$STATE/nft.json" ;;
  "nft list chains") show nft-chains.txt ;;
  "iptables-save --version") echo "iptables-save v1.8.9 (nf_tables)" ;;
  "iptables-save ") cat "$STATE/iptables-save.txt" ;;
  "ip6tables-save ") cat "$STATE/ip6tables-save.txt" ;;
  "ipset save") show ipset-save.txt ;;
  "ip -j address show") from_host address ;;
  "ip -j -4 route show table main") from_host route4 ;;
  "ip -j -6 route show table main") from_host route6 ;;
  "ip -j -d link show") from_host link ;;
  *) echo "unexpected: $0 $*" >&2; exit 2 ;;
esac
'''


# The module reads forwarding from /proc/sys: it is given the recorded host's values (host.json), not this
# machine's, which podman's networks change (a DNAT's verdict depends on it).
RECORDED_SYSCTLS = '''
import builtins, io, json, os, runpy, sys
with open(os.path.join(os.environ['STATE'], 'host.json')) as handle:
    forwarding = json.load(handle).get('forwarding') or {}
recorded = {'/proc/sys/net/ipv4/ip_forward': forwarding.get('4'),
            '/proc/sys/net/ipv6/conf/all/forwarding': forwarding.get('6')}
# The boot unit's note, when the test gives one (BOOT_NOTE), instead of this machine's.
recorded['/run/bluemind-firewall/boot-fallback'] = os.environ.get('BOOT_NOTE')
real_open = builtins.open
def recorded_open(path, *args, **kwargs):
    if str(path).endswith('/route_localnet'):
        raise IOError('not recorded: %s' % path)
    if path in recorded:
        if recorded[path] is None:
            raise IOError('not recorded: %s' % path)
        return io.StringIO('%s\\n' % recorded[path])
    return real_open(path, *args, **kwargs)
builtins.open = recorded_open
module = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(module, run_name='__main__')
'''


@pytest.fixture
def host(tmp_path):
    tools = tmp_path / 'bin'
    tools.mkdir()
    for name in ('nft', 'iptables-save', 'ip6tables-save', 'ip', 'ipset', 'iptables-legacy-save'):
        (tools / name).write_text(FAKE_TOOL)
        (tools / name).chmod(0o755)
    record = tmp_path / 'policy.json'
    shutil.copy(os.path.join(LIVE, 'policy.json'), str(record))
    return {'tmp': tmp_path, 'bin': tools, 'record': record}


def run(host, state='collection_only', check=False, boot_note=None, **args):
    args.setdefault('record_path', str(host['record']))
    args.update({'_ansible_check_mode': check, '_ansible_tmpdir': str(host['tmp'])})
    args_file = host['tmp'] / 'args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    env = dict(os.environ, STATE=os.path.join(LIVE, state), PATH='%s:/usr/bin:/bin' % host['bin'],
               PYTHONPATH=os.pathsep.join(sys.path))
    if boot_note is not None:
        env['BOOT_NOTE'] = boot_note
    done = subprocess.run([sys.executable, '-c', RECORDED_SYSCTLS, MODULE, str(args_file)], capture_output=True,
                          text=True, env=env, check=False)
    return json.loads(done.stdout)


def test_the_collections_rules_pass_and_nothing_changes(host):
    result = run(host)
    assert not result.get('failed'), result['msg']
    assert (result['compliant'], result['changed']) == (True, False)
    assert result['checks'] > 10
    assert result['exposed'] == result['blocked'] == result['unknown'] == result['redirects'] == []
    assert result['policy']['peers']['rec2'] == ['10.89.45.12', 'fd42:89:45::12']
    # What the host lets in, in words, first in Ansible's output.
    assert result['about'].startswith('open to everyone: 25, 443, 993; to the cluster: 24, 1110, ')
    assert result['about'].endswith('; to the admin sources: 22; extra rules: vrrp to 224.0.0.18 from the cluster, '
                                    'esp on eth0 from 198.51.100.0/24, udp 500, 4500 from 10.89.45.11, 10.89.45.12, '
                                    '192.0.2.0/24, 198.51.100.0/24 and 2 more')
    assert run(host, check=True)['compliant'] is True


LAST_RESORT_NOTE = ('boot loaded the last-resort policy (nft, /etc/bluemind-firewall/bluemind_firewall.nft.fallback): '
                    '/etc/bluemind-firewall/bluemind_firewall.nft did not load at boot and no previous ruleset did')


def test_a_boot_on_the_last_resort_is_a_finding_of_its_own(host):
    # The live rules are the policy's here: the note alone makes the finding.
    result = run(host, boot_note=LAST_RESORT_NOTE + '\n')
    assert result['failed'] is True and result['compliant'] is False
    assert result['last_resort'] == LAST_RESORT_NOTE
    assert result['msg'].startswith('not compliant (last-resort boot, 0 exposed, 0 blocked, 0 unknown):\n'
                                    + LAST_RESORT_NOTE)
    reported = run(host, boot_note=LAST_RESORT_NOTE, fail_on=[])
    assert not reported.get('failed') and reported['compliant'] is False and LAST_RESORT_NOTE in reported['msg']
    # The previous ruleset loaded instead: a warning, not a finding.
    previous = run(host, boot_note='/x.nft did not load at boot; /x.nft.previous was loaded instead')
    assert not previous.get('failed') and previous['compliant'] is True and previous['last_resort'] is None
    assert previous['boot_fallback'].endswith('was loaded instead'), previous.get('warnings')
    assert run(host)['last_resort'] is None


def test_a_foreign_drop_fails_the_task_naming_port_and_culprit(host):
    result = run(host, 'foreign_table_drops_smtp')
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith('not compliant (0 exposed, 2 blocked, 0 unknown):')
    # eth0 is named (an extra rule is bound to it), so the finding says where the packets arrive.
    assert 'blocked tcp/25 ipv4 from any source (outsider, peer rec2, cluster source 192.0.2.0/24), in on eth0: ' \
        'closed (expected open) -- decided by inet foreign_mail_block' in result['msg']
    assert {item['port'] for item in result['blocked']} == {'25'}


def test_fail_on_narrows_and_an_empty_list_only_reports(host):
    assert not run(host, 'foreign_table_drops_smtp', fail_on=['exposed']).get('failed')
    flushed = run(host, 'flushed', fail_on=['blocked', 'unknown'])
    assert not flushed.get('failed') and flushed['compliant'] is False and flushed['exposed']
    reported = run(host, 'flushed', fail_on=[])
    assert not reported.get('failed') and reported['exposed'] == flushed['exposed']
    assert run(host, 'flushed', fail_on=['exposed'])['failed'] is True


def test_a_docker_dnat_to_a_closed_port_is_exposed_and_listed(host):
    result = run(host, 'docker_like', fail_on=['blocked', 'unknown'])
    assert not result.get('failed')
    assert [(item['port'], item['source_class']) for item in result['exposed']] == [('8080', 'outsider')]
    assert result['redirects'][0]['table'] == 'ip nat'
    assert run(host, 'docker_like')['failed'] is True


def test_the_device_of_an_ingress_chain_comes_from_nft_list_chains(host):
    result = run(host, 'device_chain', fail_on=[])
    assert [(item['port'], item['interfaces']) for item in result['blocked']] == [('25', ['eth1'])] * 2


def test_legacy_iptables_is_not_read_when_proc_lists_no_legacy_table(host):
    # The fake iptables-legacy-save fails if called; /proc/net/ip_tables_names on this machine is empty
    # or absent, so the module must not call it.
    with open('/proc/net/ip_tables_names') if os.path.exists('/proc/net/ip_tables_names') else open(os.devnull) as names:
        if names.read().strip():
            pytest.skip('this machine has legacy iptables tables')
    assert run(host, 'legacy_table', fail_on=[], record_path=os.path.join(LIVE, 'policy_ufw.json'))['checks'] > 0


def test_without_a_record_it_fails_saying_so(host):
    os.remove(str(host['record']))
    result = run(host)
    assert result['failed'] is True
    assert 'not configured by bluemind.firewall' in result['msg']


def test_an_explicit_policy_replaces_the_record(host):
    policy = json.loads(open(os.path.join(LIVE, 'policy.json')).read())
    os.remove(str(host['record']))
    assert run(host, policy=policy)['compliant'] is True
    policy['schema'] = 99
    assert 'schema 99' in run(host, policy=policy)['msg']


@pytest.fixture
def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(('127.0.0.1', 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def free_port():
    probe_socket = socket.socket()
    probe_socket.bind(('127.0.0.1', 0))
    port = probe_socket.getsockname()[1]
    probe_socket.close()
    return port


def test_probes_classify_open_and_refused(host, listener):
    closed = free_port()
    result = run(host, static=False, fail_on=['exposed'], targets=[
        {'address': '127.0.0.1', 'ports': [listener], 'expect': 'open'},
        {'address': '127.0.0.1', 'name': 'local', 'ports': [closed], 'expect': 'filtered'}])
    assert result['failed'] is True
    assert [(p['port'], p['state'], p['kind']) for p in result['probes']] == [
        (listener, 'open', None), (closed, 'refused', 'exposed')]
    assert result['probe_mismatches'][0]['name'] == 'local'
    assert 'exposed tcp/%d on local 127.0.0.1 from 127.0.0.1: refused (expected filtered)' % closed in result['msg']
    assert result['policy'] is None and result['checks'] == 0


def test_a_probe_without_answer_is_filtered():
    # A listener whose accept queue is full drops further SYNs: the probe gets no answer, as from a
    # firewall that drops.
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(('127.0.0.1', 0))
    server.listen(0)
    port = server.getsockname()[1]
    filler = socket.create_connection(('127.0.0.1', port), timeout=1)
    try:
        assert probes.probe('127.0.0.1', port, 0.3) == ('filtered', 'no answer in 0.3 s')
    finally:
        filler.close()
        server.close()


def test_probe_plan_expects_what_the_targets_policy_gives_the_source():
    expected = verification.ExpectedPolicy(json.loads(open(os.path.join(LIVE, 'policy.json')).read()))
    from_peer = dict((port, expect) for port, expect, dummy in verification.probe_plan(expected, '10.89.45.12'))
    from_outsider = dict((port, expect) for port, expect, dummy in verification.probe_plan(expected, '203.0.113.7'))
    internal = [port for proto, first, last, allow, dummy in expected.ports if allow == 'cluster'
                for port in range(first, last + 1)]
    assert internal and all(from_peer[p] == 'reachable' and from_outsider[p] == 'filtered' for p in internal)
    everyone = [first for proto, first, last, allow, dummy in expected.ports if allow == 'everyone']
    assert all(from_outsider[p] == 'reachable' for p in everyone)
    assert from_outsider[3306] == 'filtered'


@pytest.mark.parametrize('expect,state,kind', [
    ('reachable', 'open', None), ('reachable', 'refused', None), ('reachable', 'filtered', 'blocked'),
    ('filtered', 'filtered', None), ('filtered', 'refused', 'exposed'), ('filtered', 'open', 'exposed'),
    ('open', 'refused', 'blocked'), ('closed', 'refused', None), ('closed', 'open', 'exposed'),
    ('refused', 'open', 'exposed'),
])
def test_probe_differences(expect, state, kind):
    assert verification.probe_difference(expect, state) == kind


@pytest.mark.parametrize('policy,message', [
    ([], 'expected the mapping'),
    ({'schema': 4}, 'schema 4 is not one this version reads'),
    ({'schema': 1, 'ports': []}, 'has no ports'),
    ({'schema': 1, 'ports': [{'first': 1}]}, 'lacks first, last, proto or allow'),
    ({'schema': 1, 'ports': [{'first': 1, 'last': 1, 'proto': 'tcp', 'allow': 'friends'}]}, 'allow'),
    ({'schema': 1, 'ports': [{'first': 1, 'last': 1, 'proto': 'tcp', 'allow': 'admin'}],
      'sources': {'admin': {'ipv4': ['10.0.0.0/33']}}}, 'sources.admin.ipv4'),
])
def test_a_bad_policy_is_refused_with_the_reason(policy, message):
    with pytest.raises(PolicyError, match=message):
        verification.ExpectedPolicy(policy)


def test_wide_ranges_are_checked_at_edges_and_middle_and_neighbours_are_checked():
    expected = verification.ExpectedPolicy({'schema': 1, 'ports': [
        {'first': 10000, 'last': 20000, 'proto': 'tcp', 'allow': 'everyone'},
        {'first': 7000, 'last': 7002, 'proto': 'udp', 'allow': 'everyone'}]})
    ports = set(expected.checked_ports())
    assert {('tcp', p) for p in (9999, 10000, 10001, 15000, 19999, 20000, 20001)} <= ports
    assert ('tcp', 12345) not in ports
    assert {('udp', p) for p in (6999, 7000, 7001, 7002, 7003)} <= ports
    assert ('tcp', 7000) in ports


def test_differences_that_do_not_fail_are_warned_about(host):
    result = run(host, 'foreign_table_drops_smtp', fail_on=['exposed'])
    assert not result.get('failed')
    # ansible-core 2.19 wraps each warning in a WarningSummary.
    assert 'blocked tcp/25 ipv4 from any source' in json.dumps(result['warnings'])
    assert 'warnings' not in run(host, 'foreign_table_drops_smtp', fail_on=[])


def test_sources_are_judged_on_the_interface_their_route_uses(host):
    # A rule opening 3306 on eth1, an interface no route of the host leads to and the host lacks:
    # every source is judged on it anyway (a rule names it), and on eth0 for sources routed there.
    policy = json.loads(open(os.path.join(LIVE, 'policy.json')).read())
    result = run(host, 'wildcard_interface', fail_on=[], policy=policy)
    assert {tuple(item['interfaces']) for item in result['exposed']} == {('eth0', 'eth*')}


def test_a_probe_from_an_address_the_records_do_not_give_this_host_is_a_finding(host, listener):
    # The target's record trusts 192.0.2.11 (this host as its peers know it) for the port; the probe
    # really leaves from 127.0.0.1, which the prober's record does not list: the silent outage of a
    # host whose traffic leaves from a second network. The probe expects what the policy intends for
    # 192.0.2.11 (reachable), and the source itself is a finding naming the variable.
    policy = {'schema': 2, 'peers': {'edge': ['192.0.2.11'], 'core': ['127.0.0.1']},
              'sources': {'admin': {'ipv4': ['0.0.0.0/0'], 'ipv6': []}, 'cluster': {'ipv4': ['192.0.2.11'], 'ipv6': []}},
              'ports': [{'first': listener, 'last': listener, 'proto': 'tcp', 'allow': 'cluster', 'service': 'db'}]}
    target = {'address': '127.0.0.1', 'name': 'core', 'policy': policy, 'ports': [listener]}
    result = run(host, static=False, fail_on=['blocked'], targets=[target],
                 prober={'name': 'edge', 'addresses': ['192.0.2.11']})
    assert result['failed'] is True
    assert result['source_mismatches'] == [{'kind': 'blocked', 'prober': 'edge', 'source': '127.0.0.1',
                                            'recorded': ['192.0.2.11'], 'name': 'core', 'address': '127.0.0.1'}]
    assert ("blocked edge reaches core (127.0.0.1) from 127.0.0.1, which is not one of its recorded addresses "
            "(192.0.2.11): core drops what edge sends from there. List it in edge's bluemind_firewall_address "
            "(for example {ipv4: [192.0.2.11, 127.0.0.1]})") in result['msg']
    assert [(p['port'], p['expected'], p['state']) for p in result['probes']] == [(listener, 'reachable', 'open')]
    # Without the prober, the probe expects what the record says of 127.0.0.1 (not a peer: filtered),
    # and the open port reads as exposed, not as the outage it hides.
    alone = run(host, static=False, fail_on=[], targets=[target])
    assert alone['source_mismatches'] == [] and alone['probes'][0]['expected'] == 'filtered'
    # A prober whose records list the source it uses has nothing to report.
    known = run(host, static=False, fail_on=['blocked'], targets=[target],
                prober={'name': 'edge', 'addresses': ['192.0.2.11', '127.0.0.1']})
    assert known['source_mismatches'] == [] and not known.get('failed')


@pytest.mark.parametrize('state', ['fail2ban_nftables', 'fail2ban_iptables'])
def test_a_host_whose_only_findings_are_bans_is_compliant_and_says_so(host, state):
    result = run(host, state)
    assert not result.get('failed'), result['msg']
    assert result['compliant'] is True and result['blocked'] == []
    assert sorted((item['family'], item['banned']) for item in result['banned']) == [('ipv4', 2), ('ipv6', 2)]
    assert result['msg'].startswith('compliant, with 4 ban(s) by other software: ')
    assert 'fail2ban ' in result['msg'] and ': 2 addresses banned' in result['msg']


def test_banned_in_fail_on_makes_a_ban_fail(host):
    result = run(host, 'fail2ban_iptables', fail_on=['exposed', 'blocked', 'unknown', 'banned'])
    assert result['failed'] is True and result['compliant'] is False
    assert result['msg'].startswith('not compliant (0 exposed, 0 blocked, 0 unknown, 2 banned):')


def test_a_ban_of_a_declared_outsider_fails_as_blocked(host):
    result = run(host, 'fail2ban_nftables', outsiders=['203.0.113.7', '2001:db8::/32'])
    assert result['failed'] is True and result['banned'] == []
    assert sorted(item['family'] for item in result['blocked']) == ['ipv4', 'ipv6']
