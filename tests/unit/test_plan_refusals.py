"""The plan refuses, on each host before any host of its installation changes, a backend that could
not start beside the firewalls already running there (what the host_state step read); the apply steps
ask the same question again with the same words."""

import types

import pytest

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.bluemind.firewall.plugins.action import host_policy
from ansible_collections.bluemind.firewall.plugins.module_utils import backends

NOTHING = {'firewalld_active': False, 'firewalld_enabled': False, 'ufw_active': False, 'table_loaded': False}
UFW_ACTIVE = dict(NOTHING, ufw_active=True)
TABLE_LOADED = dict(NOTHING, table_loaded=True)
FIREWALLD_ACTIVE = dict(NOTHING, firewalld_active=True, firewalld_enabled=True)
FIREWALLD_ENABLED = dict(NOTHING, firewalld_enabled=True)
CLUSTER = {'group': 'customer_a', 'hosts': {'mx1': ['192.0.2.1'], 'mx2': ['192.0.2.2']}, 'errors': {}}


@pytest.mark.parametrize('state, backend, says', [
    (UFW_ACTIVE, 'nftables', 'ufw is active on this host and the chosen backend is nftables; nothing was changed'),
    (TABLE_LOADED, 'ufw', 'the nftables table inet bluemind_firewall of bluemind.firewall is loaded on this host '
                          'and the chosen backend is ufw; nothing was changed'),
    (FIREWALLD_ACTIVE, 'nftables', 'firewalld is active on this host'),
    (FIREWALLD_ACTIVE, 'ufw', 'firewalld is active on this host'),
    (FIREWALLD_ENABLED, 'nftables', 'firewalld is enabled (it starts at boot) on this host'),
])
def test_each_conflict_is_refused_with_what_to_do(state, backend, says):
    message = backends.refusal(state, backend, False, 'bluemind_firewall')
    assert says in message
    if 'firewalld' in says:
        assert 'systemctl disable --now firewalld' in message
    else:
        assert 'bluemind_firewall_backend_switch: true' in message


@pytest.mark.parametrize('state, backend', [
    (NOTHING, 'nftables'), (NOTHING, 'ufw'),
    # Its own backend already running is the normal second run.
    (TABLE_LOADED, 'nftables'), (UFW_ACTIVE, 'ufw'),
])
def test_nothing_to_refuse(state, backend):
    assert backends.refusal(state, backend, False, 'bluemind_firewall') is None


def test_the_switch_allows_the_other_backend_but_never_firewalld():
    assert backends.refusal(UFW_ACTIVE, 'nftables', True, 'bluemind_firewall') is None
    assert backends.refusal(TABLE_LOADED, 'ufw', True, 'bluemind_firewall') is None
    assert backends.refusal(FIREWALLD_ACTIVE, 'nftables', True, 'bluemind_firewall')


@pytest.fixture
def plan(monkeypatch, port_table):
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})

    def run(found, **settings):
        action = object.__new__(host_policy.ActionModule)
        args = dict(port_table=port_table, cluster=CLUSTER, nftables={'nft': '/usr/sbin/nft', 'ruleset_path': '/x.nft', 'ruleset_template': 'r.j2',
                                                                      'boot_unit_template': 'b.j2'},
                    ssh_connection='198.51.100.9 50000 192.0.2.1 22', firewalls_from='found', **settings)
        action._task = types.SimpleNamespace(args=args)
        action._render = lambda name, context: ''
        return action.run(task_vars={'inventory_hostname': 'mx1', 'ansible_play_hosts_all': ['mx1', 'mx2'],
                                     'found': found})
    return run


def test_the_plan_refuses_ufw_active_under_nftables_naming_the_installation(plan):
    with pytest.raises(AnsibleActionFail) as caught:
        plan(UFW_ACTIVE, backend='nftables')
    assert 'ufw is active on this host and the chosen backend is nftables' in str(caught.value)
    assert 'No host of the installation customer_a was changed' in str(caught.value)


def test_the_plan_refuses_firewalld_with_either_backend(plan):
    for backend in ('nftables', 'ufw'):
        with pytest.raises(AnsibleActionFail, match='firewalld is active on this host'):
            plan(FIREWALLD_ACTIVE, backend=backend)


def test_the_plan_goes_on_with_the_switch_or_on_a_clean_host(plan):
    assert plan(UFW_ACTIVE, backend='nftables', backend_switch=True)['policy_json']
    assert plan(NOTHING, backend='nftables')['policy_json']


def test_a_missing_probe_result_is_a_clear_error(plan):
    with pytest.raises(AnsibleActionFail, match='firewalls_from: found holds no result of bluemind.firewall.host_state'):
        plan(None, backend='nftables')
