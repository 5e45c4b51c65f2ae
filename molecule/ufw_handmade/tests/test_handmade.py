"""The ufw backend beside an administrator's own ufw rules, probed from this machine (10.89.47.1)."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared'))
import reachability as bed  # noqa: E402

ADDRESS = bed.platforms(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))['handmade']
P = bed.PORTS
MONITORING = 3306   # allowed by hand to 10.89.47.0/24


@pytest.mark.parametrize('family, open_ports', [
    # The hand-made "insert 1" deny of 465 for 10.89.47.0/24 comes before the collection's allow.
    ('ipv4', P['ssh'] + P['required'] + [MONITORING]),
    ('ipv6', P['ssh'] + P['required'] + [P['optional']['smtps']]),
])
def test_reachability_from_this_machine(family, open_ports):
    # imaps was switched off in side_effect: filtered over both families.
    observed = bed.probe(None, ADDRESS[family])
    assert bed.differences(observed, bed.expected(open_ports)) == {}


def test_ufw_is_enabled_at_boot_and_the_record_says_ufw():
    assert bed.podman('handmade', 'systemctl', 'is-enabled', 'ufw.service').strip() == 'enabled'
    assert 'ENABLED=yes' in bed.podman('handmade', 'cat', '/etc/ufw/ufw.conf')
    record = json.loads(bed.podman('handmade', 'cat', '/etc/bluemind-firewall/policy.json'))
    assert record['backend'] == 'ufw'
    assert 'table inet bluemind_firewall' not in bed.podman('handmade', 'nft', 'list', 'tables')
