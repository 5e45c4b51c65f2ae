"""After coexistence, a failed apply, a reboot, removal and a new converge: the policy, probed for real."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared'))
import reachability as bed  # noqa: E402

ADDRESS = bed.platforms(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))['mail']
P = bed.PORTS
PUBLIC = P['required'] + [P['optional']['submission']]


@pytest.mark.parametrize('family, open_ports', [('ipv4', P['ssh'] + PUBLIC), ('ipv6', PUBLIC)])
def test_reachability_from_this_machine(family, open_ports):
    assert bed.differences(bed.probe(None, ADDRESS[family]), bed.expected(open_ports)) == {}


def test_record_written_and_nothing_pending():
    record = json.loads(bed.podman('mail', 'cat', '/etc/bluemind-firewall/policy.json'))
    assert record['sources']['admin'] == {'ipv4': ['10.89.49.0/24'], 'ipv6': []}
    assert 'pending.json' not in bed.podman('mail', 'ls', '/run/bluemind-firewall').split()
