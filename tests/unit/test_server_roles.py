"""BlueMind's server roles: the installations BlueMind cannot run are refused naming the host and the
value, and the flow table admits, into each host, exactly the callers its roles have."""

import importlib.util
import os

import pytest

import roles_matrix
from conftest import ROOT, load_yaml

from ansible_collections.bluemind.firewall.plugins.module_utils.server_roles import (
    check_installation_roles, flow_sources, serves)

DATA = load_yaml('roles', 'host_firewall', 'vars', 'main.yml')
FLOWS = DATA['bluemind_firewall_flow_table']
PUBLIC = DATA['bluemind_firewall_public_service_roles']
# The split deployment the issue describes: a core, an edge, and a mailbox shard.
SPLIT = {
    'core': ['bm/core', 'bm/nginx', 'mail/smtp', 'bm/pgsql', 'bm/es', 'metrics/influxdb', 'bm/keycloak'],
    'edge': ['bm/nginx-edge', 'mail/smtp-edge'],
    'shard': ['mail/imap', 'bm/pgsql-data'],
}
HAZELCAST = '5701-5715'


def opened(target, source, version=5):
    """The internal ports of target that source reaches, by the flow table."""
    return sorted(port for port, hosts in flow_sources(FLOWS, version, target, SPLIT).items() if source in hosts)


def test_from_the_edge_the_core_admits_the_proxy_mail_and_metrics_ports_only():
    assert opened('core', 'edge') == sorted(['443', '8090', '1110', '1143', HAZELCAST, '8086', '25'])
    for closed in ('5432', '9200', '8021', '8022'):
        assert closed not in opened('core', 'edge')


def test_from_the_core_the_edge_admits_bm_node_and_the_outbound_relay_only():
    assert opened('edge', 'core') == ['25', '8021', '8022']
    for closed in ('5432', '8090', '9200'):
        assert closed not in opened('edge', 'core')


def test_a_shard_admits_the_core_alone_and_reaches_the_core_as_a_postfix_host():
    assert opened('shard', 'core') == ['5432', '8021', '8022']
    assert opened('shard', 'edge') == []
    assert opened('core', 'shard') == sorted(['8090', HAZELCAST, '8086', '25'])


def test_a_host_is_not_its_own_caller():
    # The core is its own PostgreSQL, Elasticsearch and Keycloak host: those calls stay on the loopback.
    assert opened('core', 'core') == []
    assert '5432' not in flow_sources(FLOWS, 5, 'core', SPLIT)


def test_bluemind_4_sends_mail_and_imap_to_the_shard_and_replication_to_the_core():
    # The core is also bm/nginx (IMAP and POP behind its proxy) and mail/smtp (LMTP to the mailbox).
    assert opened('shard', 'core', 4) == sorted(['1110', '1143', '2000', '2400', '2502', '5432', '8021', '8022', '8091'])
    assert opened('shard', 'edge', 4) == ['1110', '1143']
    assert '2501' in opened('core', 'shard', 4) and '2400' not in opened('core', 'core', 4)


def test_public_services_are_served_by_their_roles():
    assert serves(PUBLIC, 5, SPLIT['edge'], 'smtp') and serves(PUBLIC, 5, SPLIT['edge'], 'imaps')
    assert serves(PUBLIC, 5, SPLIT['core'], 'https') and not serves(PUBLIC, 5, SPLIT['shard'], 'smtp')
    assert serves(PUBLIC, 4, SPLIT['core'], 'xmpp_client') and not serves(PUBLIC, 5, SPLIT['core'], 'xmpp_client')


def test_a_split_deployment_passes_the_checks():
    assert check_installation_roles(SPLIT) == {}


@pytest.mark.parametrize('roles_by_host, host, words', [
    ({'core': ['bm/core', 'bm/cor']}, 'core', ["'bm/cor' is not a BlueMind server role (did you mean bm/core?)"]),
    ({'core': ['bm/core'], 'edge': []}, 'edge', ['bluemind_firewall_roles of edge is empty']),
    ({'core': ['bm/core'], 'edge': 'bm/nginx-edge'}, 'edge', ["'bm/nginx-edge' must be a list"]),
    ({'a': ['bm/core'], 'b': ['bm/core']}, 'b', ['2 hosts with bm/core (a, b)', 'exactly one core']),
    ({'a': ['bm/es'], 'b': ['bm/es-data']}, 'a', ['no host with bm/core']),
    ({'core': ['bm/core'], 'web': ['bm/nginx']}, 'web', ['bluemind_firewall_roles of web: bm/nginx without bm/core']),
    ({'core': ['bm/core'], 'store': ['mail/imap']}, 'store', ['mail/imap without bm/pgsql-data']),
])
def test_installations_bluemind_cannot_run_are_refused_naming_the_host_and_the_value(roles_by_host, host, words):
    message = check_installation_roles(roles_by_host)[host]
    for word in words:
        assert word in message


def test_the_optional_directory_role_is_accepted():
    assert check_installation_roles({'core': ['bm/core'], 'ldap': ['directory/bm-master']}) == {}
    assert flow_sources(FLOWS, 5, 'ldap', {'core': ['bm/core'], 'ldap': ['directory/bm-master']})['389'] == ['core']


# ---- the policy of a host in roles mode ----
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (  # noqa: E402
    EVERYONE, NOBODY, build_policy)

ADDRESSES = {'core': ['192.0.2.10', '2001:db8::10'], 'edge': ['192.0.2.20', '2001:db8::20'],
             'shard': ['192.0.2.30', '2001:db8::30']}
INSTALLATION = {'group': 'customer', 'hosts': ADDRESSES, 'roles': SPLIT}
FLOW_DATA = {'flow_table': FLOWS, 'public_service_roles': PUBLIC}


def roles_policy(port_table, host, **settings):
    settings = dict({'host': host, 'flows': 'roles', 'bluemind_version': 5}, **settings)
    return build_policy(port_table, settings, INSTALLATION, FLOW_DATA)


def reachable(record, address):
    """{port: True} of the record's ports that a connection from address may reach."""
    found = {}
    for item in record['ports']:
        if item['class'] == 'admin':
            continue
        allow = item['allow']
        if allow == EVERYONE:
            found[item['port']] = 'everyone'
        elif allow != NOBODY:
            family = 'ipv6' if ':' in address else 'ipv4'
            if any(address == network.split('/')[0] for network in record['sources'][allow][family]):
                found[item['port']] = 'callers'
    return found


def test_the_core_in_roles_mode_lets_each_caller_in_on_its_own_ports(port_table):
    record = roles_policy(port_table, 'core', optional_services=['imaps'])
    assert record['bluemind'] == {'version': 5, 'flows': 'roles', 'roles': SPLIT['core']}
    for address in ADDRESSES['edge']:
        from_edge = reachable(record, address)
        assert sorted(port for port, how in from_edge.items() if how == 'callers') == sorted(
            ['1110', '1143', '5701-5715', '8086', '8090'])
        # The core serves HTTPS, SMTP and the enabled imaps to everyone.
        assert sorted(port for port, how in from_edge.items() if how == 'everyone') == ['25', '443', '993']
    from_shard = reachable(record, ADDRESSES['shard'][0])
    assert '5432' not in from_shard and '8090' in from_shard and '9200' not in from_shard


def test_a_back_end_core_serves_its_public_ports_to_their_callers_only(port_table):
    record = roles_policy(port_table, 'core', public=False)
    from_edge = reachable(record, ADDRESSES['edge'][0])
    assert from_edge['443'] == 'callers' and from_edge['25'] == 'callers'
    assert '443' not in reachable(record, ADDRESSES['shard'][0])
    assert reachable(record, '198.51.100.7') == {}


def test_the_shard_admits_the_core_alone_and_bm_node_enrolled_closes_8021(port_table):
    record = roles_policy(port_table, 'shard')
    assert sorted(reachable(record, ADDRESSES['core'][1])) == ['5432', '8021', '8022']
    assert reachable(record, ADDRESSES['edge'][0]) == {}
    enrolled = roles_policy(port_table, 'shard', bm_node_enrolled=True)
    assert sorted(reachable(enrolled, ADDRESSES['core'][0])) == ['5432', '8022']


def test_the_edge_serves_the_public_ports_and_admits_the_core_on_bm_node_and_relay(port_table):
    record = roles_policy(port_table, 'edge', optional_services=['imaps', 'submission'])
    everyone = sorted(port for port, how in reachable(record, '198.51.100.7').items())
    assert everyone == ['25', '443', '587', '993']
    assert sorted(port for port, how in reachable(record, ADDRESSES['core'][0]).items() if how == 'callers') == [
        '8021', '8022']


def test_cluster_sources_still_reach_every_internal_port(port_table):
    record = roles_policy(port_table, 'shard', cluster_sources=['198.51.100.0/24'])
    internal = [item['port'] for item in record['ports'] if item['class'] == 'internal']
    reached = reachable(record, '198.51.100.0')
    assert all(port in reached for port in internal)


def test_a_public_port_that_is_a_flow_stays_open_to_its_callers_on_a_back_end(port_table):
    # mail/smtp on a host of its own, behind the edge: 587 from the core, 25 from the edge and the shard.
    roles = {'core': ['bm/core', 'bm/nginx', 'bm/pgsql', 'bm/es', 'metrics/influxdb', 'bm/keycloak'],
             'smtp': ['mail/smtp'], 'edge': SPLIT['edge'], 'shard': SPLIT['shard']}
    addresses = dict(ADDRESSES, smtp=['192.0.2.40', '2001:db8::40'])
    record = build_policy(port_table, {'host': 'smtp', 'flows': 'roles', 'bluemind_version': 5, 'public': False,
                                       'optional_services': ['submission']},
                          {'group': 'customer', 'hosts': addresses, 'roles': roles}, FLOW_DATA)
    assert sorted(reachable(record, ADDRESSES['core'][0])) == ['587', '8021', '8022']
    for caller in ('edge', 'shard'):
        assert sorted(reachable(record, ADDRESSES[caller][1])) == ['25']
    assert reachable(record, '198.51.100.7') == {}


def test_local_ports_stay_closed_and_extra_internal_ports_open_to_the_installation(port_table):
    record = roles_policy(port_table, 'core', extra_internal_ports=[
        {'port': 7000, 'proto': 'tcp', 'name': 'backup', 'description': 'Backup agent'}])
    by_port = dict((item['port'], item) for item in record['ports'])
    for local in ('2500', '5001', '8080', '8082', '8087'):
        assert by_port[local]['allow'] == NOBODY
    for caller in ('edge', 'shard'):
        assert '7000' in reachable(record, ADDRESSES[caller][0])


# ---- what the backends hold in roles mode ----
from ansible_collections.bluemind.firewall.plugins.module_utils import ufw_view  # noqa: E402
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import nftables_view  # noqa: E402


def test_nftables_holds_one_host_set_per_set_of_callers(port_table):
    view = nftables_view(roles_policy(port_table, 'shard'))
    sets = dict((item['name'], item) for item in view['sets'])
    assert sets['callers_1_hosts_v4']['elements'] == ['192.0.2.10'] and 'core' in sets['callers_1_hosts_v4']['listing']
    assert sets['callers_1_tcp_ports']['elements'] == ['5432', '8021', '8022']
    matches = [rule['match'] for rule in view['rules']]
    assert 'ip saddr @callers_1_hosts_v4 tcp dport @callers_1_tcp_ports' in matches
    assert 'ip6 saddr @callers_1_hosts_v6 tcp dport @callers_1_tcp_ports' in matches
    # Nothing of the shard is open to the whole installation.
    assert 'cluster_tcp_ports' not in sets
    assert [rule['comment'] for rule in view['rules'] if 'callers_1' in rule['match']][0] == \
        'BlueMind TCP ports, from core only'


def test_ufw_holds_the_same_callers(port_table):
    rules = ufw_view.ufw_rules(roles_policy(port_table, 'shard'))
    callers = [rule for rule in rules if rule['comment'] == 'bluemind-firewall callers:core']
    assert sorted((rule['source'], rule['ports']) for rule in callers) == [
        ('192.0.2.10', '5432,8021,8022'), ('2001:db8::10', '5432,8021,8022')]
    assert not [rule for rule in rules if rule['comment'] == 'bluemind-firewall cluster']


def _scenario_cases():
    """The roles scenario's hand-written expectations (molecule/roles/tests/test_roles.py)."""
    path = os.path.join(ROOT, 'molecule', 'roles', 'tests', 'test_roles.py')
    spec = importlib.util.spec_from_file_location('roles_scenario_cases', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


def _ports(texts):
    found = set()
    for text in texts:
        first, dummy, last = text.partition('-')
        found.update(range(int(first), int(last or first) + 1))
    return found


def test_the_roles_scenario_probes_for_real_what_the_policy_model_opens():
    # The README's reachability table is the model's; the scenario's probes are written by hand.
    model = roles_matrix.matrix()
    cases = _scenario_cases()
    assert len(cases) == sum(len(sources) for sources in model.values())
    for source, target, open_ports in cases:
        seen_as = roles_matrix.OUTSIDER if source == 'stranger' else source
        assert _ports(model[target][seen_as]) == set(open_ports), (source, target)


def test_a_role_package_that_the_roles_leave_out_is_warned_about_naming_host_role_and_package():
    from ansible_collections.bluemind.firewall.plugins.module_utils.server_roles import package_role_warnings
    roles = {'core': ['bm/core', 'bm/nginx'], 'edge': ['bm/nginx-edge'], 'store': ['mail/imap', 'bm/pgsql-data'],
             'unread': ['bm/es']}
    packages = {'core': {'bm-full': '5.1.3-1', 'bm-core': '5.1.3-1'}, 'edge': {'bm-edge-role': '5.1.3-1'},
                'store': {'bm-mailbox-role': '5.1.3-1'}, 'unread': None}
    warnings = package_role_warnings(roles, packages)
    assert len(warnings) == 1
    assert warnings[0].startswith('edge: the package bm-edge-role 5.1.3-1 is installed, which makes it a mail/smtp-edge '
                                  'server, but its bluemind_firewall_roles (bm/nginx-edge) does not list mail/smtp-edge')


def test_no_package_no_warning():
    from ansible_collections.bluemind.firewall.plugins.module_utils.server_roles import package_role_warnings
    assert package_role_warnings({'a': ['bm/es']}, {'a': {}}) == []
    assert package_role_warnings({'a': ['bm/core']}, {'a': {'bm-mailbox-role': '4.9'}})[0].startswith(
        'a: the package bm-mailbox-role 4.9 is installed, which makes it a mail/imap server')
