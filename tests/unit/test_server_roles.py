"""BlueMind's server roles: the installations BlueMind cannot run are refused naming the host and the
value, and the flow table admits, into each host, exactly the callers its roles have."""

import pytest

from conftest import load_yaml

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
