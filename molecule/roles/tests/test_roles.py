"""BlueMind 5 in roles mode, probed for real from each role and from an outsider, IPv4 and IPv6."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared'))
import reachability as bed  # noqa: E402

ADDRESSES = bed.platforms(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
HAZELCAST = list(range(5701, 5716))
# Written out by hand from the flow table's evidence (the expectations): what each source
# reaches on each target. SSH is open to everyone (the default admin sources).
CASES = [
    ('stranger', 'bmcore', [22, 25, 443]),
    ('stranger', 'bmedge', [22, 25, 443, 993]),
    ('stranger', 'bmshard', [22]),
    # The edge proxies HTTPS and mail to the core (443, 8090, POP and IMAP by bm-core), relays mail
    # (25), joins Hazelcast and pushes metrics; no PostgreSQL, Elasticsearch or bm-node.
    ('bmedge', 'bmcore', [22, 25, 443, 1110, 1143] + HAZELCAST + [8086, 8090]),
    # The core drives the edge's bm-node and relays outbound mail through it.
    ('bmcore', 'bmedge', [22, 25, 443, 993, 8021, 8022]),
    # The shard: PostgreSQL and bm-node from the core only.
    ('bmcore', 'bmshard', [22, 5432, 8021, 8022]),
    ('bmedge', 'bmshard', [22]),
    ('bmshard', 'bmcore', [22, 25, 443] + HAZELCAST + [8086, 8090]),
    ('bmshard', 'bmedge', [22, 25, 443, 993]),
]


@pytest.mark.parametrize('family', ['ipv4', 'ipv6'])
@pytest.mark.parametrize('source, target, open_ports', CASES, ids=['%s->%s' % c[:2] for c in CASES])
def test_reachability(source, target, open_ports, family):
    observed = bed.probe(source, ADDRESSES[target][family])
    assert bed.differences(observed, bed.expected(open_ports)) == {}
