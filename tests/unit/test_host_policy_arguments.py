"""How the host_policy step takes the role's settings: from the host's variables, templating only the
values that hold a template, and this host's installation from the resolved installations."""

import types

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.bluemind.firewall.plugins.action import host_policy

try:
    # ansible-core 2.19 and later template only strings trusted as templates, as the inventory's are.
    from ansible.template import trust_as_template
except ImportError:
    def trust_as_template(value):
        return value

RESOLVED = {'installations': {'customer_a': {'group': 'customer_a', 'hosts': {'a1': ['192.0.2.1']}, 'errors': {}},
                              'customer_b': {'group': 'customer_b', 'hosts': {'b1': ['192.0.2.2']}, 'errors': {}}},
            'installation_of': {'a1': 'customer_a', 'b1': 'customer_b'}}


def plugin(args, task_vars):
    action = object.__new__(host_policy.ActionModule)
    action._task = types.SimpleNamespace(args=args)
    action._templar = Templar(loader=DataLoader(), variables=task_vars)
    return action


def test_settings_come_from_the_role_variables_and_only_templates_are_templated():
    table = [{'port': 25, 'service': 'smtp', 'note': trust_as_template('{{ never_templated }}')}]
    task_vars = {
        'inventory_hostname': 'b1',
        'office': ['198.51.100.0/24'],
        'bluemind_firewall_port_table': table,
        'bluemind_firewall_admin_sources': trust_as_template('{{ office }}'),
        'bluemind_firewall_optional_services': ['imaps'],
        'bluemind_firewall_backend': 'ufw',
        'ansible_port': 2222,
        '__bluemind_firewall_nft': '/usr/sbin/nft',
        '__bluemind_firewall_ruleset_path': '/etc/bluemind-firewall/bluemind_firewall.nft',
        '__bluemind_firewall_cluster': RESOLVED,
        'unrelated': 'not read',
    }
    args = plugin({'role_variables': True, 'installation_from': '__bluemind_firewall_cluster',
                   'nftables': {'ruleset_template': 'x.j2'}, 'backend': 'nftables'}, task_vars)._arguments(task_vars)
    assert args['admin_sources'] == ['198.51.100.0/24']
    assert args['optional_services'] == ['imaps'] and args['ansible_port'] == 2222
    # The port table is the role's data: passed as it is, never walked for templates.
    assert args['port_table'] is table
    # An option given in the task beats the variable.
    assert args['backend'] == 'nftables'
    assert args['nftables'] == {'ruleset_template': 'x.j2', 'nft': '/usr/sbin/nft',
                                'ruleset_path': '/etc/bluemind-firewall/bluemind_firewall.nft'}
    # This host's installation, not the other one.
    assert args['cluster'] is RESOLVED['installations']['customer_b']
    assert 'unrelated' not in args and 'role_variables' not in args and 'installation_from' not in args


def test_without_role_variables_nothing_is_read_from_the_host():
    task_vars = {'inventory_hostname': 'a1', 'bluemind_firewall_backend': 'ufw'}
    args = plugin({'backend': 'nftables', 'cluster': {'group': 'x'}}, task_vars)._arguments(task_vars)
    assert args == {'backend': 'nftables', 'cluster': {'group': 'x'}}


def test_a_host_missing_from_the_resolved_installations_is_a_clear_error():
    task_vars = {'inventory_hostname': 'c1', '__bluemind_firewall_cluster': RESOLVED}
    with pytest.raises(AnsibleActionFail, match='installation_from: __bluemind_firewall_cluster holds no installation of this host'):
        plugin({'installation_from': '__bluemind_firewall_cluster'}, task_vars)._arguments(task_vars)


def test_every_setting_option_of_the_module_is_read_from_its_role_variable():
    # The options the role used to pass one by one are all covered by role_variables.
    wanted = set(host_policy._SETTINGS + host_policy._SWITCHES + host_policy._FLOW_DATA
                 + ('port_table', 'allow_lockout')) - {'ssh_connection'}
    assert set(host_policy._ROLE_VARIABLES) == wanted
    assert all(variable == 'bluemind_firewall_' + key for key, variable in host_policy._ROLE_VARIABLES.items()
               if key != 'ansible_port')
