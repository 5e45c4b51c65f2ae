"""fail2ban's action with the ufw backend: its bans are ufw deny rules before all others, which the
collection's runs leave alone and verify reports as bans (a protected source's as blocked)."""

import copy

import pytest

import live_fixtures
from test_fail2ban_action import helper, services
from ansible_collections.bluemind.firewall.plugins.module_utils import fail2ban, verification

UFW = '/usr/sbin/ufw'


def test_a_ban_is_deny_rules_before_all_others_fifteen_ports_a_rule():
    assert helper.ufw_commands('ban', '203.0.113.7', 'smtp,465,submission', 'tcp', '600', 'postfix', services) == [
        [UFW, 'prepend', 'deny', 'from', '203.0.113.7', 'to', 'any', 'port', '25,465,587', 'proto', 'tcp',
         'comment', 'fail2ban postfix']]
    unban = helper.ufw_commands('unban', '2001:db8:7:7::31', '1000:1020', 'tcp', '600', 'x', services)
    assert [words[:5] for words in unban] == [[UFW, 'delete', 'deny', 'from', '2001:db8:7:7::/64']] * 2
    assert [len(words[8].split(',')) for words in unban] == [15, 6]
    with pytest.raises(helper.Refused, match='TCP ports only'):
        helper.ufw_commands('ban', '203.0.113.7', '53', 'udp', '600', 'dns', services)
    with pytest.raises(helper.Refused, match='more than the 256'):
        helper.ufw_commands('ban', '203.0.113.7', '0:65535', 'tcp', '600', 'recidive', services)


def test_the_program_takes_the_backend_last_and_refuses_another(capsys):
    assert helper.main(['x', 'ban', '203.0.113.7', '25', 'tcp', '600', 'postfix', 'firewalld']) == 2
    assert '[nftables|ufw]' in capsys.readouterr().err
    assert helper.main(['x', 'ban', '203.0.113.7', '25', 'udp', '600', 'postfix', 'ufw']) == 2
    assert 'TCP ports only' in capsys.readouterr().err


def test_the_action_passes_the_backend_to_the_program():
    for backend in fail2ban.BACKENDS:
        text = fail2ban.action_text(backend)
        assert 'actionban = %(_helper)s ban <ip> "<port>" "<protocol>" <bantime> "<name>" ' + backend in text
        assert 'actionunban = %(_helper)s unban <ip> "<port>" "<protocol>" <bantime> "<name>" ' + backend in text
    assert dict((path, text) for path, text, mode in fail2ban.files('print()', 'ufw'))[fail2ban.ACTION_PATH] == \
        fail2ban.action_text('ufw')


# ufw_backend recorded (rec1, the ufw backend), with the deny rules a ban puts first in ufw's user chains.
DENY_V4 = ('-A ufw-user-input -s 203.0.113.7/32 -p tcp -m multiport --dports 25,465,587 -j DROP\n'
           '-A ufw-user-input -s 10.89.45.12/32 -p tcp -m tcp --dport 2500 -j DROP\n')
DENY_V6 = '-A ufw6-user-input -s 2001:db8:7:7::/64 -p tcp -m multiport --dports 25,465,587 -j DROP\n'


def _findings(v4=DENY_V4, v6=DENY_V6, fail2ban_on=True):
    listings = live_fixtures.listings('ufw_backend')
    listings[1] = listings[1].replace('-A ufw-user-input ', v4 + '-A ufw-user-input ', 1)
    listings[2] = listings[2].replace('-A ufw6-user-input ', v6 + '-A ufw6-user-input ', 1)
    policy = copy.deepcopy(live_fixtures.policy('ufw_backend'))
    policy.setdefault('protection', {})['fail2ban'] = fail2ban_on
    found = verification.compare(verification.live_tables(*listings), verification.ExpectedPolicy(policy),
                                 live_fixtures.host('ufw_backend'))[1]
    return sorted((item['kind'], item['family'], item['port'], tuple(item['sources']), item.get('about'))
                  for item in found)


def test_deny_rules_from_a_few_sources_are_bans_and_a_peer_s_is_blocked_on_its_port_only():
    assert _findings() == [
        ('banned', 'ipv4', '25', ('203.0.113.7',),
         'fail2ban (ufw deny rules) chain ufw-user-input (ip filter): 1 address banned'),
        ('banned', 'ipv6', '25', ('2001:db8:7:7::/64',),
         'fail2ban (ufw deny rules) chain ufw6-user-input (ip6 filter): 1 source banned (an IPv6 source: a /64)'),
        ('blocked', 'ipv4', '2500', ('10.89.45.12',), None)]
    first_rule_only = DENY_V4.split('\n', maxsplit=1)[0] + '\n'
    assert set(finding[0] for finding in _findings(v4=first_rule_only)) == set(['banned'])


def test_without_the_action_recorded_they_are_said_to_be_ufw_s():
    assert _findings(v6='', fail2ban_on=False)[0][4] == 'ufw deny rules chain ufw-user-input (ip filter): 1 address banned'


def test_a_deny_of_most_of_the_internet_is_no_ban():
    found = _findings(v4='-A ufw-user-input -s 0.0.0.0/1 -p tcp -m tcp --dport 25 -j DROP\n', v6='')
    assert [finding[0] for finding in found] == ['blocked']


def test_the_collection_s_own_ufw_rules_stay_its_own():
    # An accept from a source, a limit's reject, a deny without a source: the collection's (or drift).
    from ansible_collections.bluemind.firewall.plugins.module_utils import bans
    for rule in ('-A ufw-user-input -s 10.89.45.12/32 -p tcp -m tcp --dport 2500 -j ACCEPT',
                 '-A ufw-user-limit -j REJECT --reject-with icmp-port-unreachable',
                 '-A ufw-user-input -p tcp -m tcp --dport 25 -j DROP'):
        assert bans.own({'table': 'ip filter', 'chain': rule.split()[1], 'rule': rule})
    assert not bans.own({'table': 'ip filter', 'chain': 'ufw-user-input',
                         'rule': '-A ufw-user-input -s 203.0.113.7/32 -p tcp -m tcp --dport 25 -j REJECT'})
