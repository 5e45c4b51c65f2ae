"""The pre-flight check that a policy keeps Ansible's own SSH connection allowed."""

import pytest

from ansible_collections.bluemind.firewall.plugins.module_utils.lockout import lockout, ssh_client
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError, build_policy

CLUSTER = {'group': 'bluemind', 'hosts': {'mx1': ['192.0.2.10', '2001:db8::10'], 'mx2': ['192.0.2.11']}}


def policy(port_table, **settings):
    return build_policy(port_table, settings, CLUSTER)


@pytest.mark.parametrize('admin, connection', [
    (None, '203.0.113.5 50000 192.0.2.10 22'),
    (['198.51.100.0/24'], '198.51.100.9 50000 192.0.2.10 22'),
    (['2001:db8:aa::/48'], '2001:db8:aa::5 50000 2001:db8::10 22'),
    (['198.51.100.0/24'], '::ffff:198.51.100.9 50000 ::ffff:192.0.2.10 22'),
    (['198.51.100.0/24'], ''),  # not over SSH: nothing to check
])
def test_allowed_connections_pass(port_table, admin, connection):
    settings = {} if admin is None else {'admin_sources': admin}
    assert lockout(policy(port_table, **settings), connection) is None


def test_a_controller_outside_the_admin_sources_is_refused_with_the_override_named(port_table):
    problem = lockout(policy(port_table, admin_sources=['198.51.100.0/24']), '203.0.113.5 50000 192.0.2.10 22')
    assert '203.0.113.5' in problem and '198.51.100.0/24' in problem
    assert 'bluemind_firewall_allow_lockout' in problem and 'Nothing was changed' in problem


def test_ssh_kept_on_another_port_than_the_one_ansible_uses_is_refused(port_table):
    problem = lockout(policy(port_table, ssh_port=2222), '203.0.113.5 50000 192.0.2.10 22')
    assert problem and 'to port 22' in problem and 'SSH (port 2222)' in problem


def test_a_cluster_peer_as_controller_is_refused_when_not_an_admin_source(port_table):
    # Peers reach the internal ports, not SSH.
    assert lockout(policy(port_table, admin_sources=['198.51.100.0/24']), '192.0.2.11 50000 192.0.2.10 22')


def test_ssh_connection_parsing():
    assert ssh_client('192.0.2.1 1 192.0.2.2 2222') == ('192.0.2.1', 2222)
    assert ssh_client('fe80::1%eth0 1 fe80::2%eth0 22') == ('fe80::1', 22)
    assert ssh_client('') is None and ssh_client('a b') is None
    with pytest.raises(PolicyError):
        ssh_client('not-an-address 1 192.0.2.2 22')
