"""Static verification time against the cluster size: the engine as shipped (sources the rules
cannot tell apart evaluated once) next to one evaluation per source, in one run.

For each size, the role's policy and ruleset for a host of that cluster are built, the ruleset is
loaded into a scratch network namespace with nft, read back with `nft -j list ruleset` and checked
against the policy. Needs root and nft.
usage: python3 benchmarks/verify_scaling.py [SIZE...]     (default: 2 100 400 800)
"""
import ipaddress
import os
import subprocess
import sys
import tempfile
import time

import jinja2
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROLE = os.path.join(ROOT, 'roles', 'host_firewall')
NAMESPACE = 'bmfw-verify-bench'

_tree = tempfile.mkdtemp(prefix='bluemind-firewall-bench-')
os.makedirs(os.path.join(_tree, 'ansible_collections', 'bluemind'))
os.symlink(ROOT, os.path.join(_tree, 'ansible_collections', 'bluemind', 'firewall'))
sys.path.insert(0, _tree)

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


def timed(policy, listing, own, grouped):
    tables = verification.live_tables(listing)
    host = verification.LocalHost(own, lambda source: 'eth0')
    original = verification.Evaluator.source_class
    if not grouped:
        verification.Evaluator.source_class = lambda self, source, interface: (interface, source)
    try:
        started = time.monotonic()
        checks, differences = verification.compare(tables, verification.ExpectedPolicy(policy), host)
        elapsed = time.monotonic() - started
    finally:
        verification.Evaluator.source_class = original
    if differences:
        raise SystemExit('unexpected differences: %s' % differences[:2])
    return checks, elapsed


def main():
    sizes = [int(item) for item in sys.argv[1:]] or [2, 100, 400, 800]
    with open(os.path.join(ROLE, 'vars', 'main.yml')) as handle:
        port_table = yaml.safe_load(handle)['bluemind_firewall_port_table']
    subprocess.run(['ip', 'netns', 'add', NAMESPACE], check=True)
    try:
        print('%6s %8s %12s %14s %7s' % ('hosts', 'checks', 'grouped (s)', 'per source (s)', 'ratio'))
        for size in sizes:
            policy, listing, own = live_json(size, port_table)
            checks, grouped = timed(policy, listing, own, True)
            dummy, naive = timed(policy, listing, own, False)
            print('%6d %8d %12.2f %14.2f %6.1fx' % (size, checks, grouped, naive, naive / grouped))
    finally:
        subprocess.run(['ip', 'netns', 'delete', NAMESPACE], check=True)


if __name__ == '__main__':
    main()
