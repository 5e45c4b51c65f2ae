"""What firewall-cmd prints, read back; the commands that bring firewalld to the wanted policy, in
an order that opens nothing early; and the refusals of a host whose firewalld cannot take it."""

import pytest

from test_exposure_rendering import policy
from ansible_collections.bluemind.firewall.plugins.module_utils import backends, firewalld_live as live
from ansible_collections.bluemind.firewall.plugins.module_utils.firewalld_view import firewalld_view

# As firewalld 1.3's firewall-cmd --info-policy prints it (firewall/command.py, print_zone_policy_info).
INFO_POLICY = (
    'bluemind-firewall (active)\n'
    '  priority: -100\n'
    '  target: CONTINUE\n'
    '  ingress-zones: ANY\n'
    '  egress-zones: HOST\n'
    '  services: \n'
    '  ports: 25/tcp 443/tcp\n'
    '  protocols: \n'
    '  masquerade: no\n'
    '  forward-ports: \n'
    '  source-ports: \n'
    '  icmp-blocks: \n'
    '  rich rules: \n'
    '\trule family="ipv4" source ipset="bluemind-fw-cluster-v4" port port="8080" protocol="tcp" accept\n'
    '\trule priority="1" port port="8080" protocol="tcp" drop\n')
INFO_IPSET = ('bluemind-fw-cluster-v6\n'
              '  type: hash:net\n'
              '  options: family=inet6\n'
              '  entries: 2001:db8::10 2001:db8::11\n')
FIREWALL_CMD = '/usr/bin/firewall-cmd'


def test_a_policy_as_firewall_cmd_prints_it():
    state = live.policy_state(INFO_POLICY)
    assert state['priority'] == -100 and state['target'] == 'CONTINUE'
    assert state['ingress_zones'] == ['ANY'] and state['egress_zones'] == ['HOST']
    assert state['ports'] == ['25/tcp', '443/tcp'] and state['services'] == []
    assert state['rich_rules'] == [
        'rule family="ipv4" source ipset="bluemind-fw-cluster-v4" port port="8080" protocol="tcp" accept',
        'rule priority="1" port port="8080" protocol="tcp" drop']


def test_an_ipset_as_firewall_cmd_prints_it():
    assert live.ipset_state(INFO_IPSET) == {'type': 'hash:net', 'family': 'inet6',
                                            'entries': ['2001:db8::10', '2001:db8::11']}


def test_an_empty_policy_has_no_rules():
    assert live.policy_state(INFO_POLICY.split('  rich rules:', maxsplit=1)[0] + '  rich rules: \n')['rich_rules'] == []


def test_firewalld_conf_says_the_backend_and_nftables_is_the_default():
    assert live.config_backend('# comment\nFirewallBackend=iptables\n') == 'iptables'
    assert live.config_backend('DefaultZone=public\n') == 'nftables'


def _wanted(port_table, **settings):
    return firewalld_view(policy(port_table, backend='firewalld', **settings))


def test_a_new_policy_is_created_inert_then_every_rule_and_entry_added(port_table):
    wanted = _wanted(port_table)
    commands = live.skeleton_commands(FIREWALL_CMD, wanted['policy'], None, wanted['ipsets'], {})
    assert commands[0] == [FIREWALL_CMD, '--permanent', '--new-policy=bluemind-firewall']
    assert all('--permanent' in words for words in commands)
    assert not [words for words in commands if any('rich-rule' in word or 'add-port' in word for word in words)]
    policy = [FIREWALL_CMD, '--permanent', '--policy=bluemind-firewall']
    for option in ('--set-priority=-100', '--add-ingress-zone=ANY', '--add-egress-zone=HOST'):
        # firewall-cmd takes one kind of option a call.
        assert policy + [option] in commands
    assert [FIREWALL_CMD, '--permanent', '--new-ipset=bluemind-fw-cluster-v6', '--type=hash:net',
            '--family=inet6'] in commands
    changes = live.content_changes(wanted['policy'], None, wanted['ipsets'], {})
    assert len(changes['add']['rich_rules']) == len(wanted['policy']['rich_rules'])
    assert changes['add']['entries'] == {'bluemind-fw-cluster-v4': ['192.0.2.10', '192.0.2.11'],
                                         'bluemind-fw-cluster-v6': ['2001:db8::10']}


def test_an_unchanged_policy_needs_no_command(port_table):
    wanted = _wanted(port_table)
    current = dict(wanted['policy'], services=[], protocols=[])
    ipsets = dict((item['name'], dict(item, type='hash:net')) for item in wanted['ipsets'])
    assert live.content_changes(wanted['policy'], current, wanted['ipsets'], ipsets) is None
    assert live.skeleton_differs(wanted['policy'], dict(current, ingress_zones=['ANY'], egress_zones=['HOST'])) == []
    assert live.skeleton_commands(FIREWALL_CMD, wanted['policy'], current, wanted['ipsets'], ipsets) == []


def test_entries_are_added_first_and_removed_last_rules_added_before_others_go(port_table):
    before = _wanted(port_table)
    after = _wanted(port_table, optional_services=['imaps'], admin_sources=['198.51.100.0/24'])
    current = dict(before['policy'], services=['cockpit'], protocols=[])
    current_ipsets = dict((item['name'], dict(item, entries=item['entries'] + ['203.0.113.7']))
                          for item in before['ipsets'])
    changes = live.content_changes(after['policy'], current, after['ipsets'], current_ipsets)
    commands = live.change_commands(FIREWALL_CMD, changes)
    kinds = [words[1].split('=')[0] for words in commands]
    assert kinds[0] == '--ipset' and kinds[-1] == '--ipset'
    adding = [index for index, words in enumerate(commands) if any(w.startswith('--add-rich-rule') for w in words)]
    removing = [index for index, words in enumerate(commands) if any(w.startswith('--remove-rich-rule') for w in words)]
    assert adding and removing and max(adding) < min(removing)
    assert [FIREWALL_CMD, '--policy=bluemind-firewall', '--add-port=993/tcp'] in commands
    assert all(len(set(word.split('=')[0] for word in words[2:])) == 1 for words in commands)
    # A service added to the collection's policy by hand goes: the policy holds none of its own.
    assert [FIREWALL_CMD, '--policy=bluemind-firewall', '--remove-service=cockpit'] in commands
    assert commands[0] == [FIREWALL_CMD, '--ipset=bluemind-fw-admin-v4', '--add-entry=198.51.100.0/24']
    assert [FIREWALL_CMD, '--ipset=bluemind-fw-cluster-v4', '--remove-entry=203.0.113.7'] in commands
    assert all('--permanent' in words for words in live.change_commands(FIREWALL_CMD, changes, permanent=True))


def test_an_address_written_with_its_full_prefix_is_the_same_entry(port_table):
    wanted = _wanted(port_table)
    ipsets = dict((item['name'], dict(item, entries=[entry + ('/32' if ':' not in entry else '/128')
                                                     for entry in item['entries']])) for item in wanted['ipsets'])
    assert live.content_changes(wanted['policy'], dict(wanted['policy'], services=[], protocols=[]),
                                wanted['ipsets'], ipsets) is None


def test_only_the_collections_ipsets_are_its_own():
    assert live.owned_ipsets(['f2b-sshd', 'bluemind-fw-cluster-v4', 'libvirt']) == ['bluemind-fw-cluster-v4']


READY = {'firewalld_installed': True, 'firewalld_active': True, 'firewalld_enabled': True,
         'firewalld_backend': 'nftables', 'firewalld_policy': False, 'ufw_active': False, 'table_loaded': False}


@pytest.mark.parametrize('change, words', [
    ({'firewalld_installed': False, 'firewalld_active': False, 'firewalld_enabled': False}, 'not installed'),
    ({'firewalld_active': False}, 'not running'),
    ({'firewalld_enabled': False}, 'does not start at boot'),
    ({'firewalld_backend': 'iptables'}, 'iptables backend'),
    ({'ufw_active': True}, 'ufw is active'),
    ({'table_loaded': True}, 'table inet bluemind_firewall'),
])
def test_a_host_whose_firewalld_cannot_take_the_policy_is_refused_before_any_change(change, words):
    message = backends.refusal(dict(READY, **change), 'firewalld', False, 'bluemind_firewall')
    assert words in message and 'nothing was changed' in message.lower()


def test_a_ready_firewalld_and_a_switch_from_another_backend_are_accepted():
    assert backends.refusal(READY, 'firewalld', False, 'bluemind_firewall') is None
    assert backends.refusal(dict(READY, ufw_active=True), 'firewalld', True, 'bluemind_firewall') is None


def test_another_backend_beside_firewalld_is_refused_unless_switching_from_the_collections_policy():
    message = backends.refusal(READY, 'nftables', True, 'bluemind_firewall')
    assert 'Choose bluemind_firewall_backend: firewalld' in message
    held = dict(READY, firewalld_policy=True)
    assert 'bluemind_firewall_backend_switch: true' in backends.refusal(held, 'ufw', False, 'bluemind_firewall')
    assert backends.refusal(held, 'ufw', True, 'bluemind_firewall') is None


def _apply(state, commands):
    """What firewall-cmd would hold after the commands: {'policy': {option kind: set}, ipset: set}."""
    for words in commands:
        target = words[1].split('=', 1)[1]
        for word in words[2:]:
            option, value = word.split('=', 1)
            verb, kind = option[2:].split('-', 1)
            held = state.setdefault(target, {}).setdefault(kind, set())
            if verb == 'add':
                held.add(value)
            else:
                held.discard(value)
    return state


def test_the_undo_of_a_change_brings_back_the_rules_and_entries_before_it(port_table):
    before = _wanted(port_table)
    after = _wanted(port_table, optional_services=['imaps'], admin_sources=['198.51.100.0/24'])
    current = dict(before['policy'], services=[], protocols=[])
    ipsets = dict((item['name'], dict(item, type='hash:net')) for item in before['ipsets'])
    state = {'bluemind-firewall': {'port': set(before['policy']['ports']),
                                   'rich-rule': set(before['policy']['rich_rules'])}}
    for item in before['ipsets']:
        state[item['name']] = {'entry': set(item['entries'])}
    original = dict((key, dict((kind, set(values)) for kind, values in value.items())) for key, value in state.items())
    changes = live.content_changes(after['policy'], current, after['ipsets'], ipsets)
    _apply(state, live.change_commands(FIREWALL_CMD, changes))
    assert state['bluemind-firewall']['port'] == set(after['policy']['ports'])
    assert state['bluemind-firewall']['rich-rule'] == set(after['policy']['rich_rules'])
    _apply(state, live.change_commands(FIREWALL_CMD, live.inverse(changes)))
    assert dict((key, value) for key, value in state.items() if any(value.values())) == \
        dict((key, value) for key, value in original.items() if any(value.values()))
