"""The firewalld backend, probed for real: from a peer and from an outsider, IPv4 and IPv6, every test
port; the admin's own firewalld configuration as it was; the policy in force equal to the permanent one."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared'))
import reachability as bed  # noqa: E402

ADDRESSES = bed.platforms(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
P = bed.PORTS
NODES = ['fw1', 'fw2', 'fw3', 'fw4']
# fw1: public, http and imaps, extra public 8443, extra internal 10000-10050, SSH from the four hosts only.
FW1_TO_EVERYONE = P['required'] + [P['optional']['http'], P['optional']['imaps'], 8443]
FW1_TO_HOSTS = FW1_TO_EVERYONE + P['ssh']
FW1_TO_PEERS = FW1_TO_HOSTS + P['internal'] + [p for p in bed.LISTENED if 10000 <= p <= 10050]
# fw2: public false: its public ports reach peers only.
FW2_TO_EVERYONE = P['ssh']
FW2_TO_PEERS = P['ssh'] + P['required'] + P['internal']
# fw3 and fw4: BlueMind 5, imap opened by side_effect.yml while firewalld reloaded or restarted.
V5_INTERNAL = [1110, 1143, 2400, 5432] + list(range(5701, 5716)) + [8021, 8022, 8086, 8090, 8099, 8888, 9092, 9200, 9300]
FW3_TO_EVERYONE = P['ssh'] + P['required'] + [P['optional']['imap']]
FW3_TO_PEERS = FW3_TO_EVERYONE + V5_INTERNAL

CASES = [
    ('outsider', 'fw1', FW1_TO_EVERYONE),
    ('fw3', 'fw1', FW1_TO_HOSTS),
    ('fw2', 'fw1', FW1_TO_PEERS),
    ('outsider', 'fw2', FW2_TO_EVERYONE),
    ('fw1', 'fw2', FW2_TO_PEERS),
    ('fw4', 'fw2', FW2_TO_EVERYONE),
    ('outsider', 'fw3', FW3_TO_EVERYONE),
    ('fw4', 'fw3', FW3_TO_PEERS),
    ('fw3', 'fw4', FW3_TO_PEERS),
    ('fw1', 'fw4', FW3_TO_EVERYONE),
]


@pytest.mark.parametrize('family', ['ipv4', 'ipv6'])
@pytest.mark.parametrize('source, target, open_ports', CASES, ids=['%s->%s' % c[:2] for c in CASES])
def test_reachability(source, target, open_ports, family):
    observed = bed.probe(source, ADDRESSES[target][family])
    assert sorted(port for port, verdict in observed.items() if verdict == 'open') == sorted(set(open_ports))
    # A port of the host's BlueMind table is the collection's: closed, it is dropped (no answer); any
    # other port is the zones', whose default rejects (an ICMP error, never a connection).
    decided = (P['internal'] if target in ('fw1', 'fw2') else V5_INTERNAL) + P['ssh'] + P['required']
    assert {port: observed[port] for port in decided if port not in open_ports and observed[port] != 'filtered'} == {}


def test_the_admins_own_zone_and_service_are_as_they_were():
    before = bed.podman('fw1', 'cat', '/root/admin-firewalld.before')
    now = bed.podman('fw1', 'sh', '-c', 'for what in --info-zone=admin-zone --info-service=admin-svc '
                                        '--info-zone=public; do firewall-cmd --permanent "$what"; '
                                        'firewall-cmd "$what" 2>/dev/null || true; done')
    assert now == before
    assert '7777/tcp' in now


@pytest.mark.parametrize('node', NODES)
def test_the_policy_in_force_is_the_permanent_one_and_owned_by_the_collection(node):
    runtime = bed.podman(node, 'firewall-cmd', '--info-policy=bluemind-firewall').splitlines()
    permanent = bed.podman(node, 'firewall-cmd', '--permanent', '--info-policy=bluemind-firewall').splitlines()
    assert runtime[1:] == permanent[1:]
    assert '  target: CONTINUE' in runtime and '  priority: -100' in runtime
    record = json.loads(bed.podman(node, 'cat', '/etc/bluemind-firewall/policy.json'))
    assert record['backend'] == 'firewalld'
    assert record['firewalld']['policies'] == ['bluemind-firewall']
    ipsets = bed.podman(node, 'firewall-cmd', '--get-ipsets').split()
    recorded = [name for families in record['firewalld']['ipsets'].values() for name in families.values()]
    assert sorted(name for name in ipsets if name.startswith('bluemind-fw-')) == sorted(recorded)
    assert record['firewalld']['ipsets']['cluster'] == {'ipv4': 'bluemind-fw-cluster-v4', 'ipv6': 'bluemind-fw-cluster-v6'}
