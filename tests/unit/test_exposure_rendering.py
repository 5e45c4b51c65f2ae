"""A limited or private service as nftables rules (checked by nft -c in a network namespace of its
own) and as ufw rules (ufw's limit, checked by ufw --dry-run on a private tree)."""

import os
import shutil
import subprocess

import pytest

from test_hostile_input import _usable_ufw_tree, ufw_command
from test_nftables_view import matches, render, sets
from ansible_collections.bluemind.firewall.plugins.module_utils import ufw_view
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import nftables_view
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import build_policy

PEERS = {'mx1': ['192.0.2.10', '2001:db8::10'], 'mx2': ['192.0.2.11']}
LIMITED = {'optional_services': ['submission', 'imaps'], 'ssh_connection': '203.0.113.9 50000 192.0.2.10 22',
           'exposure': {'submission': 'limited', 'imaps': {'mode': 'limited', 'rate': 20, 'ban_seconds': 60},
                        'https': {'mode': 'private', 'sources': ['198.51.100.0/24', '2001:db8:77::/48']}}}


def policy(port_table, **settings):
    return build_policy(port_table, settings, {'group': 'bluemind', 'hosts': PEERS})


def test_limited_ports_let_the_exempt_in_then_drop_the_banned_then_ban_who_goes_over(port_table):
    rules = matches(nftables_view(policy(port_table, **LIMITED)))
    v4 = [rule for rule in rules if 'ip6' not in rule and 'ipv6' not in rule]
    assert v4[:6] == [
        'ip saddr @cluster_hosts_v4 tcp dport { 22, 587, 993 }',
        'ip saddr { 203.0.113.9 } tcp dport 22',
        'meta nfproto ipv4 ip saddr . tcp dport @bans_v4',
        'meta nfproto ipv4 tcp dport { 22 } update @meters_v4 { ip saddr . tcp dport limit rate over 10/minute '
        'burst 5 packets } add @bans_v4 { ip saddr . tcp dport timeout 600s }',
        'meta nfproto ipv4 tcp dport { 993 } update @meters_v4 { ip saddr . tcp dport limit rate over 20/minute '
        'burst 20 packets } add @bans_v4 { ip saddr . tcp dport timeout 60s }',
        'meta nfproto ipv4 tcp dport { 587 } update @meters_v4 { ip saddr . tcp dport limit rate over 30/minute '
        'burst 20 packets } add @bans_v4 { ip saddr . tcp dport timeout 600s }',
    ]
    # IPv6 sources are metered and banned per /64.
    assert 'meta nfproto ipv6 ip6 saddr & ffff:ffff:ffff:ffff:: . tcp dport @bans_v6' in rules
    # Every accept comes after the protection.
    first_accept = rules.index('tcp dport 22')
    assert all('@bans_' not in rule and '@meters_' not in rule for rule in rules[first_accept:])
    named = sets(nftables_view(policy(port_table, **LIMITED)))
    assert named['private_1_hosts_v4']['elements'] == ['192.0.2.10', '192.0.2.11', '198.51.100.0/24']
    assert named['everyone_tcp_ports']['elements'] == ['25', '587', '993']
    assert 'ip saddr @private_1_hosts_v4 tcp dport @private_1_tcp_ports' in rules


def test_the_meter_and_ban_sets_are_bounded_and_expire(port_table):
    text = render(nftables_view(policy(port_table, **LIMITED)))
    for name, timeout in (('meters_v4', '120s'), ('meters_v6', '120s'), ('bans_v4', '600s'), ('bans_v6', '600s')):
        block = text.split('set %s {' % name)[1].split('}')[0]
        assert 'size 65536' in block and 'flags dynamic,timeout' in block and 'timeout %s' % timeout in block
    assert 'ipv6_addr . inet_service' in text.split('set bans_v6 {')[1].split('}')[0]


def test_without_a_limited_port_the_table_has_no_meters(port_table):
    text = render(nftables_view(policy(port_table, admin_sources=['198.51.100.0/24'])))
    assert 'meters_v4' not in text and 'bans_v4' not in text


def _namespaces():
    if os.geteuid() != 0 or not shutil.which('unshare') or not shutil.which('nft'):
        return False
    return subprocess.run(['unshare', '-n', 'true'], capture_output=True, check=False).returncode == 0


VARIANTS = {
    'ssh limited by default': {},
    'limited and private of every kind': LIMITED,
    'every optional service limited, ipv4 admin': {
        'admin_sources': ['0.0.0.0/0'],
        'optional_services': ['http', 'pop3', 'imap', 'smtps', 'submission', 'imaps', 'pop3s'],
        'exposure': dict((name, 'limited') for name in ('http', 'https', 'pop3', 'imap', 'smtps', 'submission', 'imaps',
                                                        'pop3s', 'smtp', 'ssh'))},
    'ssh limited with admin networks, private https': {
        'admin_sources': ['198.51.100.0/24', '2001:db8:ad::/48'], 'exposure': {
            'ssh': 'limited', 'https': {'mode': 'private', 'sources': ['10.8.0.0/16']}}},
}


@pytest.mark.skipif(not _namespaces(), reason='nft -c in unshare -n needs root, nft and unshare')
@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_nft_accepts_the_protection_in_a_namespace_of_its_own(port_table, tmp_path, name):
    ruleset = tmp_path / 'ruleset.nft'
    ruleset.write_text(render(nftables_view(policy(port_table, **VARIANTS[name]))))
    check = subprocess.run(['unshare', '-n', 'nft', '-c', '-f', str(ruleset)], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, check.stderr


def test_ufw_limits_with_its_own_limit_after_the_exempt_and_opens_private_ports_to_their_sources(port_table):
    settings = dict(LIMITED, backend='ufw')
    settings['exposure'] = {'submission': 'limited', 'imaps': 'limited',
                            'https': {'mode': 'private', 'sources': ['198.51.100.0/24', '2001:db8:77::/48']}}
    rules = ufw_view.ufw_rules(policy(port_table, **settings))
    limits = [rule for rule in rules if rule.get('action') == 'limit']
    assert limits == [{'action': 'limit', 'proto': 'tcp', 'ports': '22,587,993', 'source': 'any',
                       'comment': 'bluemind-firewall limited'}]
    exempt = [rule['source'] for rule in rules[:rules.index(limits[0])]]
    assert exempt == ['192.0.2.10', '192.0.2.11', '2001:db8::10', '203.0.113.9']
    # Ansible's address only on SSH, the port it uses.
    assert rules[rules.index(limits[0]) - 1]['ports'] == '22'
    # No allow from everyone on a limited port: ufw takes the first rule that matches.
    assert not [rule for rule in rules if rule['source'] == 'any' and rule.get('action') != 'limit'
                and set(rule['ports'].split(',')) & set(['22', '587', '993'])]
    private = [rule['source'] for rule in rules if rule['comment'] == 'bluemind-firewall private:https']
    assert private == ['192.0.2.10', '192.0.2.11', '198.51.100.0/24', '2001:db8::10', '2001:db8:77::/48']
    assert ufw_view.command_text(ufw_view.add_command(limits[0])) == (
        "ufw limit proto tcp to any port 22,587,993 comment 'bluemind-firewall limited'")


def test_an_allow_that_becomes_a_limit_is_replaced(port_table):
    current = [{'family': 'ipv4', 'action': 'allow', 'proto': 'tcp', 'ports': '22', 'destination': '0.0.0.0/0',
                'source_ports': 'any', 'source': '0.0.0.0/0', 'direction': 'in', 'comment': 'bluemind-firewall ssh',
                'ours': True}]
    wanted = [{'action': 'limit', 'proto': 'tcp', 'ports': '22', 'source': 'any', 'comment': 'bluemind-firewall limited'}]
    add, delete = ufw_view.plan(wanted, current)
    assert add == wanted and delete == current
    kept = [dict(current[0], action='limit', comment='bluemind-firewall limited'),
            dict(current[0], action='limit', family='ipv6', source='::/0', destination='::/0',
                 comment='bluemind-firewall limited')]
    assert ufw_view.plan(wanted, kept) == ([], [])
    assert ufw_view.undo_add_commands(wanted[0])[0][:2] == ['delete', 'limit']


def test_ufw_dry_run_takes_the_limit_rule(port_table, tmp_path):
    tree, why_not = _usable_ufw_tree()
    if tree is None:
        pytest.skip(why_not)
    rule = ufw_view.ufw_rules(policy(port_table, backend='ufw'))
    limit = next(item for item in rule if item.get('action') == 'limit')
    done = subprocess.run(ufw_command(tree, ufw_view.add_command(limit)), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '-m recent' in done.stdout and 'ufw-user-limit' in done.stdout


def test_an_administrator_s_allow_with_the_match_of_a_limit_stands_untouched():
    # `ufw allow 22/tcp` by hand, and SSH limited by default: ufw keeps one rule a match, so adding the
    # limit would update the administrator's rule (its action and comment), which a removal would delete.
    admin = [{'family': family, 'action': 'allow', 'proto': 'tcp', 'ports': '22', 'destination': anywhere,
              'source_ports': 'any', 'source': anywhere, 'direction': 'in', 'comment': 'ssh, by hand', 'ours': False}
             for family, anywhere in (('ipv4', '0.0.0.0/0'), ('ipv6', '::/0'))]
    wanted = [{'action': 'limit', 'proto': 'tcp', 'ports': '22', 'source': 'any', 'comment': 'bluemind-firewall limited'}]
    assert ufw_view.plan(wanted, admin) == ([], [])
    assert ufw_view.owned(wanted, admin) == []
    warnings = ufw_view.overridden(wanted, admin)
    assert len(warnings) == 2 and 'allow 22/tcp' in warnings[0] and 'Delete it to let the collection limit' in warnings[0]
    # One family only by hand: the limit is added for the other.
    assert ufw_view.plan(wanted, admin[:1])[0] == [dict(wanted[0], source='::/0')]
    # A limit that matches: nothing to say.
    assert ufw_view.overridden(wanted, [dict(rule, action='limit') for rule in admin]) == []
