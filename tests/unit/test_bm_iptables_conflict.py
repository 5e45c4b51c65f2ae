"""The plan stops an installation before any change when keeping BlueMind's bm-iptables beside the
policy would make the check after the change fail, and says what to choose; what bm-iptables does is
read from the host (its unit, the chains INPUT jumps to, the sources bmhosts trusts)."""

import types

import pytest

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.bluemind.firewall.plugins.action import host_policy
from ansible_collections.bluemind.firewall.plugins.module_utils import bm_iptables_conflict as conflict

# As Debian's iptables prints BlueMind's chains (bm-iptables on a core trusting one edge).
INPUT_LISTING = """-P INPUT ACCEPT
-A INPUT -j bmhosts
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
"""
BMHOSTS_LISTING = """-N bmhosts
-A bmhosts -i lo -j ACCEPT
-A bmhosts -s 192.0.2.2/32 -j ACCEPT
-A bmhosts -m state --state NEW -j bmports
"""
STOCK = {'active': True, 'enabled': True, 'chains': ['bmhosts'], 'trusted': ['192.0.2.2/32']}
NOTHING = {'firewalld_active': False, 'firewalld_enabled': False, 'ufw_active': False, 'table_loaded': False}
DUAL_STACK = {'group': 'bluemind', 'hosts': {'core': ['192.0.2.1', '2001:db8::1'], 'edge': ['192.0.2.2', '2001:db8::2']},
              'errors': {}}
IPV4_ONLY = {'group': 'bluemind', 'hosts': {'core': ['192.0.2.1'], 'edge': ['192.0.2.2']}, 'errors': {}}
ALONE = {'group': 'bluemind', 'hosts': {'core': ['192.0.2.1', '2001:db8::1']}, 'errors': {}}


def policy(cluster, backend='nftables', cluster_sources=()):
    return {'backend': backend, 'peers': cluster['hosts'], 'cluster_sources': list(cluster_sources)}


def test_the_listings_give_the_jumps_and_the_trusted_sources():
    assert conflict._jumps(INPUT_LISTING) == {'bmhosts'}
    assert conflict._jumps('-A INPUT -g bmports\n-A INPUT -j ACCEPT\n-A FORWARD -j bmhosts\n') == {'bmports'}
    assert conflict._trusted(BMHOSTS_LISTING) == ['192.0.2.2/32']


def test_state_reads_unit_chains_and_sources_without_changing_anything():
    asked = []
    answers = {('systemctl', 'is-active'): (0, '', ''), ('systemctl', 'is-enabled'): (1, '', ''),
               ('iptables', 'INPUT'): (0, INPUT_LISTING, ''), ('iptables', 'bmhosts'): (0, BMHOSTS_LISTING, ''),
               ('ip6tables', 'INPUT'): (0, '-P INPUT ACCEPT\n', ''), ('ip6tables', 'bmhosts'): (1, '', 'No chain')}

    def run_command(argv, environ_update=None):
        asked.append(argv)
        tool = argv[0].rsplit('/', 1)[-1]
        return answers[(tool, argv[1] if tool == 'systemctl' else argv[-1])]
    module = types.SimpleNamespace(get_bin_path=lambda name: '/usr/sbin/' + name, run_command=run_command)
    assert conflict.state(module) == {'active': True, 'enabled': False, 'chains': ['bmhosts'], 'trusted': ['192.0.2.2/32']}
    assert all(argv[1] in ('is-active', 'is-enabled', '-w') for argv in asked)
    assert not any(flag in argv for argv in asked for flag in ('-D', '-F', '-X', 'stop', 'mask'))


@pytest.mark.parametrize('cluster, backend, kinds', [
    # bmhosts trusts the edge over IPv4 only: its IPv6 is dropped on the internal ports.
    (DUAL_STACK, 'nftables', {'blocked'}),
    # With ufw, bmhosts' accept of the edge also ends INPUT before ufw: every port is open to it.
    (DUAL_STACK, 'ufw', {'blocked', 'exposed'}),
    (IPV4_ONLY, 'nftables', set()),
    (IPV4_ONLY, 'ufw', {'exposed'}),
    # A single server has no peer for bm-iptables to trust or to drop.
    (ALONE, 'nftables', set()),
    (ALONE, 'ufw', set()),
])
def test_what_keeping_it_would_do(cluster, backend, kinds):
    assert set(conflict.predicted_findings(policy(cluster, backend), 'core', STOCK)) == kinds


def test_a_cluster_source_it_does_not_trust_is_blocked():
    findings = conflict.predicted_findings(policy(IPV4_ONLY, cluster_sources=['198.51.100.0/24']), 'core', STOCK)
    assert '198.51.100.0/24' in findings['blocked']


def test_a_unit_not_loaded_yet_is_taken_to_trust_the_peers_ipv4_as_bluemind_writes_it():
    enabled_only = {'active': False, 'enabled': True, 'chains': [], 'trusted': None}
    assert set(conflict.predicted_findings(policy(DUAL_STACK, 'ufw'), 'core', enabled_only)) == {'blocked', 'exposed'}
    assert conflict.predicted_findings(policy(IPV4_ONLY), 'core', enabled_only) == {}


def test_an_edge_it_does_not_trust_is_blocked_over_both_families():
    untrusting = dict(STOCK, trusted=[])
    assert '192.0.2.2 (peer edge)' in conflict.predicted_findings(policy(IPV4_ONLY), 'core', untrusting)['blocked']


def test_refusal_only_when_kept_running_and_failing():
    stock_policy = policy(DUAL_STACK)
    message = conflict.refusal(STOCK, stock_policy, 'core', 'keep', ['exposed', 'blocked', 'unknown'])
    assert 'bm-iptables.service is active; INPUT jumps to bmhosts' in message
    assert '2001:db8::2 (peer edge)' in message
    assert 'Choose bluemind_firewall_bm_iptables: disabled' in message
    assert 'take blocked out of bluemind_firewall_verify_fail_on' in message
    assert conflict.refusal(STOCK, stock_policy, 'core', 'disabled', ['blocked']) is None
    assert conflict.refusal(STOCK, stock_policy, 'core', 'keep', ['exposed', 'unknown']) is None
    off = {'active': False, 'enabled': False, 'chains': [], 'trusted': None}
    assert conflict.refusal(off, stock_policy, 'core', 'keep', ['blocked']) is None
    assert conflict.refusal(None, stock_policy, 'core', 'keep', ['blocked']) is None


@pytest.fixture
def plan(monkeypatch, port_table):
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})

    def run(found_bm_iptables, **settings):
        action = object.__new__(host_policy.ActionModule)
        args = dict(port_table=port_table, cluster=DUAL_STACK, nftables={'nft': '/usr/sbin/nft', 'ruleset_path': '/x.nft',
                                                                         'ruleset_template': 'r.j2', 'boot_unit_template': 'b.j2'},
                    ssh_connection='198.51.100.9 50000 192.0.2.1 22', firewalls_from='found', **settings)
        action._task = types.SimpleNamespace(args=args)
        action._render = lambda name, context: ''
        return action.run(task_vars={'inventory_hostname': 'core', 'ansible_play_hosts_all': ['core', 'edge'],
                                     'found': dict(NOTHING, bm_iptables=found_bm_iptables)})
    return run


def test_the_default_turns_it_off_and_the_plan_goes_on(plan):
    result = plan(STOCK)
    assert result['switches']['bm_iptables'] == 'disabled'
    assert result['policy_json']


@pytest.mark.parametrize('backend', ['nftables', 'ufw'])
def test_keep_on_a_stock_cluster_stops_the_installation_in_the_plan(plan, backend):
    with pytest.raises(AnsibleActionFail) as caught:
        plan(STOCK, backend=backend, bm_iptables='keep')
    said = str(caught.value)
    assert "BlueMind's bm-iptables runs on this host" in said
    assert 'No host of the installation bluemind was changed' in said
    assert ('(exposed)' in said) == (backend == 'ufw')


def test_keep_goes_on_when_the_user_accepts_what_it_does(plan):
    assert plan(STOCK, backend='ufw', bm_iptables='keep', verify_fail_on=['unknown'])['policy_json']
