"""One server probed for real from this machine, an outsider, over IPv4 and IPv6."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared'))
import reachability as bed  # noqa: E402

ADDRESS = bed.platforms(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))['single']
P = bed.PORTS
PUBLIC = P['required'] + [P['optional']['submission']]


@pytest.mark.parametrize('family, open_ports', [
    ('ipv4', P['ssh'] + PUBLIC),   # this machine is in the IPv4 admin subnet
    ('ipv6', PUBLIC),              # no IPv6 admin source: SSH filtered
])
def test_reachability_from_an_outsider(family, open_ports):
    observed = bed.probe(None, ADDRESS[family])
    assert bed.differences(observed, bed.expected(open_ports)) == {}


def test_boot_unit_enabled_and_record_written():
    assert bed.podman('single', 'systemctl', 'is-enabled', 'bluemind-firewall.service').strip() == 'enabled'
    record = json.loads(bed.podman('single', 'cat', '/etc/bluemind-firewall/policy.json'))
    assert record['peers'] == {'single': [ADDRESS['ipv4'], ADDRESS['ipv6']]}
    assert record['sources']['admin'] == {'ipv4': ['10.89.42.0/24'], 'ipv6': []}
