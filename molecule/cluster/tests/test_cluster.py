"""The cluster, probed for real: from a peer and from an outsider, IPv4 and IPv6, every test port."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared'))
import reachability as bed  # noqa: E402

BACKEND = os.environ.get('BLUEMIND_FIREWALL_BACKEND') or 'nftables'
ADDRESSES = bed.platforms(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
P = bed.PORTS
# node1: public, http and imaps enabled, extra public 8443, extra internal 10000-10050.
NODE1_TO_EVERYONE = P['ssh'] + P['required'] + [P['optional']['http'], P['optional']['imaps'], 8443]
NODE1_TO_PEERS = NODE1_TO_EVERYONE + P['internal'] + [p for p in bed.LISTENED if 10000 <= p <= 10050]
# node2: public false, nothing optional: its public ports reach peers only.
NODE2_TO_EVERYONE = P['ssh']
NODE2_TO_PEERS = P['ssh'] + P['required'] + P['internal']

# node3 and node4: another installation (customer_b), BlueMind 5, the defaults otherwise.
NODE3_TO_EVERYONE = P['ssh'] + P['required']
# BlueMind 5's internal ports, written out from its port table by hand: no Cyrus, XMPP, HPS, locator
# or SDS port, Keycloak, Chronograf and Kapacitor added; the ports 5.x uses on the host itself only
# (2500, 5001, 8080, 8082, 8087) closed even to peers.
V5_INTERNAL = [1110, 1143, 2400, 5432] + list(range(5701, 5716)) + [8021, 8022, 8086, 8090, 8099, 8888, 9092, 9200, 9300]
NODE3_TO_PEERS = NODE3_TO_EVERYONE + V5_INTERNAL

CASES = [
    ('outsider', 'node1', NODE1_TO_EVERYONE),
    ('node2', 'node1', NODE1_TO_PEERS),
    ('outsider', 'node2', NODE2_TO_EVERYONE),
    ('node1', 'node2', NODE2_TO_PEERS),
    # Between installations, each is an outsider to the other.
    ('node3', 'node1', NODE1_TO_EVERYONE),
    ('node3', 'node2', NODE2_TO_EVERYONE),
    ('node1', 'node3', NODE3_TO_EVERYONE),
    ('outsider', 'node3', NODE3_TO_EVERYONE),
    ('node4', 'node3', NODE3_TO_PEERS),
    ('node3', 'node4', NODE3_TO_PEERS),
    ('node2', 'node4', NODE3_TO_EVERYONE),
]


@pytest.mark.parametrize('family', ['ipv4', 'ipv6'])
@pytest.mark.parametrize('source, target, open_ports', CASES, ids=['%s->%s' % c[:2] for c in CASES])
def test_reachability(source, target, open_ports, family):
    observed = bed.probe(source, ADDRESSES[target][family])
    assert bed.differences(observed, bed.expected(open_ports)) == {}


def test_the_test_bed_has_no_firewall_on_the_outsider():
    # Without this, "filtered" from the outsider could come from its own side.
    assert bed.probe('node1', ADDRESSES['outsider']['ipv4'], [22, 3306]) == {22: 'open', 3306: 'open'}


def test_foreign_table_is_untouched_by_converges():
    before = bed.podman('node1', 'cat', '/root/foreign_guard.before')
    assert bed.podman('node1', 'nft', '-s', 'list', 'table', 'inet', 'foreign_guard') == before


def test_after_a_reboot_with_stock_nftables_service_the_backend_is_loaded():
    # node2 was restarted in side_effect: its stock nftables.service ran "flush ruleset", then the
    # backend loaded its rules (the reachability tests above prove they enforce).
    assert bed.podman('node2', 'systemctl', 'is-enabled', 'nftables.service').strip() == 'enabled'
    tables = bed.podman('node2', 'nft', 'list', 'tables').split('\n')
    assert 'table inet filter' in tables
    if BACKEND == 'nftables':
        assert 'table inet bluemind_firewall' in tables
        assert bed.podman('node2', 'systemctl', 'is-active', 'bluemind-firewall.service').strip() == 'active'
    else:
        assert 'table inet bluemind_firewall' not in tables
        assert bed.podman('node2', 'ufw', 'status').startswith('Status: active')
        assert 'After=nftables.service' in bed.podman('node2', 'systemctl', 'cat', 'ufw.service')


INSTALLATIONS = {'node1': ('customer_a', ['node1', 'node2'], 4), 'node2': ('customer_a', ['node1', 'node2'], 4),
                 'node3': ('customer_b', ['node3', 'node4'], 5), 'node4': ('customer_b', ['node3', 'node4'], 5)}


@pytest.mark.parametrize('node', ['node1', 'node2', 'node3', 'node4'])
def test_the_backend_holds_the_rules_and_the_record_lists_every_peer(node):
    if BACKEND == 'nftables':
        listing = json.loads(bed.podman(node, 'nft', '-j', 'list', 'table', 'inet', 'bluemind_firewall'))
        chains = [item['chain'] for item in listing['nftables'] if 'chain' in item]
        assert [(c['name'], c['hook'], c['policy']) for c in chains] == [('input', 'input', 'drop')]
    else:
        status = bed.podman(node, 'ufw', 'status')
        assert 'Default: deny (incoming), allow (outgoing)' in bed.podman(node, 'ufw', 'status', 'verbose')
        marked = [line for line in status.splitlines() if '# bluemind-firewall' in line]
        # multiport rules: a handful per source, not one per port
        assert 4 <= len(marked) <= 24
    record = json.loads(bed.podman(node, 'cat', '/etc/bluemind-firewall/policy.json'))
    assert record['backend'] == BACKEND
    installation, peers, version = INSTALLATIONS[node]
    assert record['cluster_group'] == installation and record['bluemind']['version'] == version
    assert record['peers'] == {name: [ADDRESSES[name]['ipv4'], ADDRESSES[name]['ipv6']] for name in peers}
