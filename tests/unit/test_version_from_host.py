"""The BlueMind version read from the host's packages when the variable is not set; a variable that
the packages contradict, or an installation that mixes versions, refused naming both; and the
cluster_addresses step carrying each host's version and where it came from."""

import types

import pytest

from ansible.plugins.action import ActionBase

from ansible_collections.bluemind.firewall.plugins.action import cluster_addresses
from ansible_collections.bluemind.firewall.plugins.module_utils.bluemind_packages import (
    installation_versions, planned_version, read_dpkg, read_rpm)
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import parse_bluemind_version

# dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Status}\n' on a BlueMind 5 core (bm-ldap-role
# removed, its configuration left: not installed).
DPKG = 'bm-core\t5.1.3-1\tinstalled\nbm-full\t5.1.3-1\tinstalled\nbm-ldap-role\t4.9.2\tconfig-files\n'
RPM = 'bm-core\t4.9.2\npackage bm-full is not installed\n'


def test_dpkg_and_rpm_listings_give_the_installed_packages_only():
    assert read_dpkg(DPKG) == {'bm-core': '5.1.3-1', 'bm-full': '5.1.3-1'}
    assert read_rpm(RPM) == {'bm-core': '4.9.2'}
    assert read_dpkg('') == {} and read_dpkg('nginx\t1.22\tinstalled\n') == {}


@pytest.mark.parametrize('value, packages, planned', [
    (None, {'bm-core': '5.1.3-1'}, (5, 'package', None)),
    (None, {'bm-edge-role': '1:4.9.2-3'}, (4, 'package', None)),
    (5, {'bm-core': '5.0.0'}, (5, 'inventory', None)),
    ('5', {}, (5, 'inventory', None)),
    # Outside the play: not read, nothing known.
    (None, None, (None, None, None)),
])
def test_the_version_and_where_it_came_from(value, packages, planned):
    assert planned_version(value, packages, parse_bluemind_version) == planned


def test_no_bluemind_and_no_variable_is_4_with_a_warning():
    version, origin, warning = planned_version(None, {}, parse_bluemind_version)
    assert (version, origin) == (4, 'default')
    assert 'BlueMind is not installed' in warning and 'bluemind_firewall_bluemind_version' in warning


def test_a_variable_the_packages_contradict_is_refused_naming_both():
    with pytest.raises(ValueError) as caught:
        planned_version(4, {'bm-core': '5.1.3-1'}, parse_bluemind_version)
    assert 'bluemind_firewall_bluemind_version is 4 but the host runs BlueMind 5 (package bm-core 5.1.3-1)' in str(caught.value)


def test_an_unknown_bluemind_version_is_refused():
    with pytest.raises(ValueError, match='BlueMind 6.0.1 .package bm-core., a version bluemind.firewall does not know'):
        planned_version(None, {'bm-core': '6.0.1'}, parse_bluemind_version)


def test_an_installation_mixing_versions_is_refused_on_every_host_with_each_origin():
    packages = {'a1': {'bm-core': '5.1.3'}, 'a2': {}}
    versions, errors, warnings = installation_versions('customer_a', ['a1', 'a2'], lambda host: None,
                                                       packages.get, parse_bluemind_version)
    assert set(errors) == {'a1', 'a2'}
    assert ('5 on a1 (its installed packages); 4 on a2 (the default, BlueMind not installed)'
            in errors['a1'])
    assert len(warnings) == 1 and warnings[0].startswith('a2: BlueMind is not installed')


def _resolved(hostvars, play_hosts):
    plugin = object.__new__(cluster_addresses.ActionModule)
    plugin.validate_argument_spec = lambda argument_spec: (None, {'default_group': 'bluemind'})
    plugin._task = types.SimpleNamespace(args={})
    return plugin.run(task_vars={'hostvars': hostvars, 'groups': {'bluemind': sorted(hostvars)},
                                 'ansible_play_hosts_all': play_hosts})


def _host(address, packages=None, **variables):
    found = None if packages is None else {'bluemind_packages': packages}
    return dict(variables, bluemind_firewall_address=[address], __bluemind_firewall_found=found)


def test_the_plan_carries_each_hosts_version_read_from_its_packages(monkeypatch):
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    result = _resolved({'a1': _host('192.0.2.1', {'bm-core': '5.1.3-1', 'bm-full': '5.1.3-1'}),
                        'a2': _host('192.0.2.2', {'bm-edge-role': '5.1.3-1'})}, ['a1', 'a2'])
    installation = result['installations']['bluemind']
    assert installation['errors'] == {}
    assert installation['versions'] == {'a1': {'version': 5, 'from': 'package'}, 'a2': {'version': 5, 'from': 'package'}}


def test_a_host_outside_the_play_is_judged_by_its_variable_only(monkeypatch):
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    # a2 is outside --limit: not read, and says 4, while a1 runs BlueMind 5.
    result = _resolved({'a1': _host('192.0.2.1', {'bm-core': '5.1.3-1'}),
                        'a2': _host('192.0.2.2', None, bluemind_firewall_bluemind_version=4)}, ['a1'])
    errors = result['installations']['bluemind']['errors']
    assert list(errors) == ['a1'] and '5 on a1 (its installed packages); 4 on a2 (its inventory variable)' in errors['a1']


def test_the_record_says_the_version_and_where_it_came_from(monkeypatch, port_table):
    import json
    from ansible_collections.bluemind.firewall.plugins.action import host_policy
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    cluster = {'group': 'bluemind', 'hosts': {'a1': ['192.0.2.1']}, 'errors': {},
               'versions': {'a1': {'version': 5, 'from': 'package'}}}
    action = object.__new__(host_policy.ActionModule)
    action._task = types.SimpleNamespace(args=dict(
        port_table=port_table, cluster=cluster, backend='ufw', ssh_connection='198.51.100.9 50000 192.0.2.1 22',
        nftables={'nft': 'nft', 'ruleset_path': '/x', 'ruleset_template': 'r', 'boot_unit_template': 'b'}))
    policy = json.loads(action.run(task_vars={'inventory_hostname': 'a1', 'ansible_play_hosts_all': ['a1']})['policy_json'])
    assert policy['bluemind']['version'] == 5 and policy['bluemind']['version_from'] == 'package'
    # A 5.x port, so the version really drove the ports.
    assert '8099' in [item['port'] for item in policy['ports']]


def test_roles_mode_warns_about_a_role_package_the_roles_leave_out(monkeypatch):
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    result = _resolved({'a1': _host('192.0.2.1', {'bm-core': '5.1.3-1'}, bluemind_firewall_flows='roles',
                                    bluemind_firewall_roles=['bm/core']),
                        'a2': _host('192.0.2.2', {'bm-edge-role': '5.1.3-1'}, bluemind_firewall_flows='roles',
                                    bluemind_firewall_roles=['bm/es'])}, ['a1', 'a2'])
    assert result['installations']['bluemind']['errors'] == {}
    said = [line for line in result.get('warnings', []) if 'bm-edge-role' in line]
    assert len(said) == 2 and said[0].startswith('a2: the package bm-edge-role 5.1.3-1 is installed, which makes it a '
                                                 'bm/nginx-edge server')
