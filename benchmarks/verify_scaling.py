"""Exact static verification time against the cluster size, side by side in one run (the ratio is
to the two-host cluster): the peers' sets are one rule each, so the boxes grow with the addresses
the sets split the source space into, not with the rules.

For each size, the role's policy and ruleset for a host of that cluster are built, the ruleset is
loaded into a scratch network namespace with nft, read back with `nft -j list ruleset` and checked
against the policy. Needs root and nft.
usage: python3 benchmarks/verify_scaling.py [SIZE...]     (default: 2 100 400 800)
"""
import ipaddress
import os
import subprocess
import sys
import time

import jinja2
import yaml

import collection_path  # noqa: E402  (this directory is the script's own)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROLE = os.path.join(ROOT, 'roles', 'host_firewall')
NAMESPACE = 'bmfw-verify-bench'

collection_path.importable()

# pylint: disable=wrong-import-position
from ansible_collections.bluemind.firewall.plugins.module_utils import verification  # noqa: E402
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import nftables_view  # noqa: E402
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import build_policy  # noqa: E402


def live_json(size, port_table):
    hosts = {'bm%04d' % index: [str(ipaddress.ip_address('10.90.0.1') + index),
                                str(ipaddress.ip_address('fd42:90::1') + index)] for index in range(size)}
    policy = build_policy(port_table, {'cluster_sources': ['192.0.2.0/24']}, {'group': 'bluemind', 'hosts': hosts})
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLE, 'templates')),
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, keep_trailing_newline=True)
    ruleset = environment.get_template('bluemind_firewall.nft.j2').render(**nftables_view(policy))
    subprocess.run(['ip', 'netns', 'exec', NAMESPACE, 'nft', '-f', '-'], input=ruleset, text=True, check=True)
    listing = subprocess.run(['ip', 'netns', 'exec', NAMESPACE, 'nft', '-j', 'list', 'ruleset'],
                             capture_output=True, text=True, check=True).stdout
    return policy, listing, hosts['bm0000']


def timed(policy, listing, own):
    tables = verification.live_tables(listing)
    host = verification.LocalHost(own)
    started = time.monotonic()
    cells, differences = verification.compare(tables, verification.ExpectedPolicy(policy), host)
    elapsed = time.monotonic() - started
    if differences:
        raise SystemExit('unexpected differences: %s' % differences[:2])
    return cells, elapsed


def main():
    sizes = [int(item) for item in sys.argv[1:]] or [2, 100, 400, 800]
    with open(os.path.join(ROLE, 'vars', 'main.yml')) as handle:
        port_table = yaml.safe_load(handle)['bluemind_firewall_port_table']
    subprocess.run(['ip', 'netns', 'add', NAMESPACE], check=True)
    try:
        print('%6s %8s %9s %7s' % ('hosts', 'boxes', 'time (s)', 'ratio'))
        first = None
        for size in sizes:
            policy, listing, own = live_json(size, port_table)
            cells, elapsed = timed(policy, listing, own)
            first = first or elapsed
            print('%6d %8d %9.3f %6.1fx' % (size, cells, elapsed, elapsed / first))
    finally:
        subprocess.run(['ip', 'netns', 'delete', NAMESPACE], check=True)


if __name__ == '__main__':
    main()
