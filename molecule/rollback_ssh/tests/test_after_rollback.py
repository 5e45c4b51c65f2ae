"""After the forced change was rolled back, then another lost in a restart: the first policy, probed from this
machine (the controller)."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared'))
import reachability as bed  # noqa: E402

ADDRESS = bed.platforms(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))['sshnode']
P = bed.PORTS


def test_the_first_policy_is_in_force_over_ipv4_and_ipv6():
    # This machine is 10.89.48.1, inside the IPv4 admin subnet; no IPv6 admin source.
    assert bed.differences(bed.probe(None, ADDRESS['ipv4']), bed.expected(P['ssh'] + P['required'])) == {}
    assert bed.differences(bed.probe(None, ADDRESS['ipv6']), bed.expected(P['required'])) == {}


def test_no_change_waits_and_nothing_is_left_of_the_lost_change():
    # The last play restarted the host inside a change's window (which emptied /run), and the
    # confirmation reported the lost change, which removed its marker; the re-run changed nothing.
    run = subprocess.run(['podman', 'exec', bed.container('sshnode'), 'ls', '-A', '/run/bluemind-firewall'],
                         capture_output=True, text=True, check=False)
    assert 'pending.json' not in run.stdout and 'armed' not in run.stdout.split()
    assert '.change' not in bed.podman('sshnode', 'ls', '-A', '/etc/bluemind-firewall').split()
    timer = subprocess.run(['podman', 'exec', bed.container('sshnode'), 'systemctl', 'is-active', 'bluemind-firewall-rollback.timer'],
                           capture_output=True, text=True, check=False)
    assert timer.stdout.strip() == 'inactive'
    record = json.loads(bed.podman('sshnode', 'cat', '/etc/bluemind-firewall/policy.json'))
    assert record['sources']['admin'] == {'ipv4': ['10.89.48.0/24'], 'ipv6': []}
