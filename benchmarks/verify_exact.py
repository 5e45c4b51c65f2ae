"""Time of the exact static check, side by side in one run: every recorded live ruleset
(tests/unit/fixtures/live, recorded from real hosts), then a ufw host with a 50-peer cluster and a
growing number of hand-made rules (0 to 400), to show how the time grows with the rules.

The large case starts from the recorded ufw-backend ruleset and writes what ufw would: the
collection's two multiport rules per peer (IPv4 and IPv6, in the recorded lines' own format) and
hand-made rules (an allow of one port from one /24, every third one a deny of a range), so the
evaluator meets ufw's real chains, not a toy. Controller only: no root, no containers.
usage: python3 benchmarks/verify_exact.py [ROUNDS]     (default 5; the median is printed)
"""
import ipaddress
import os
import statistics
import sys
import time

import collection_path  # noqa: E402  (this directory is the script's own)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

collection_path.importable()

# pylint: disable=wrong-import-position
import live_fixtures  # noqa: E402
from ansible_collections.bluemind.firewall.plugins.module_utils import verification  # noqa: E402

PEERS = 50


def recorded(state):
    return live_fixtures.listings(state), live_fixtures.policy(state), live_fixtures.host(state)


def large_ufw_host(handmade):
    """(listings, policy, host) of the recorded ufw host grown to 50 peers and `handmade` rules."""
    listings, policy, host = recorded('ufw_backend')
    peers = dict(('bm%02d' % index, [str(ipaddress.ip_address('10.90.0.10') + index),
                                     str(ipaddress.ip_address('fd42:90::10') + index)]) for index in range(PEERS))
    policy['peers'] = peers
    policy['sources']['cluster'] = {'ipv4': [item[0] for item in peers.values()] + ['192.0.2.0/24'],
                                    'ipv6': [item[1] for item in peers.values()]}
    for position, (name, family) in ((1, ('iptables', 4)), (2, ('ip6tables', 6))):
        lines = listings[position].splitlines()
        # The recorded peers' rules (a /32 or /128 source) make way for the 50 peers'.
        is_peer_rule = [line.startswith('-A ufw') and '-user-input -s ' in line
                        and line.split()[line.split().index('-s') + 1].endswith(('/32', '/128')) for line in lines]
        template = [line for line, peer in zip(lines, is_peer_rule) if peer][:2]
        kept = [line for line, peer in zip(lines, is_peer_rule) if not peer]
        chain = template[0].split()[1]
        grown = []
        for addresses in peers.values():
            source = addresses[0 if family == 4 else 1]
            for line in template:
                words = line.split()
                words[words.index('-s') + 1] = '%s/%d' % (source, 32 if family == 4 else 128)
                grown.append(' '.join(words))
        for index in range(handmade):
            network = ('10.%d.%d.0/24' % (100 + index // 250, index % 250) if family == 4
                       else 'fd00:%x::/64' % (index + 1))
            if index % 3 == 2:
                grown.append('-A %s -s %s -p tcp -m tcp --dport %d:%d -j DROP' % (chain, network, 20000 + index, 20010 + index))
            else:
                grown.append('-A %s -s %s -p tcp -m tcp --dport %d -j ACCEPT' % (chain, network, 30000 + index))
        at = kept.index(next(line for line in kept if line.startswith('-A %s ' % chain)))
        listings[position] = '\n'.join(kept[:at] + grown + kept[at:]) + '\n'
    return listings, policy, host


def timed(listings, policy, host, rounds):
    times = []
    for dummy in range(rounds):
        started = time.perf_counter()
        tables = verification.live_tables(*listings)
        cells, differences = verification.compare(tables, verification.ExpectedPolicy(policy), host)
        times.append(time.perf_counter() - started)
    rules = sum(len(chain.rules) for table in tables for chain in table.chains.values())
    return rules, cells, len(differences), statistics.median(times)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print('%-34s %6s %7s %11s %9s' % ('ruleset', 'rules', 'boxes', 'differences', 'time (s)'))
    for state in live_fixtures.states():
        print('%-34s %6d %7d %11d %9.3f' % ((state,) + timed(*recorded(state), rounds=rounds)))
    for handmade in (0, 50, 100, 200, 400):
        label = 'ufw, %d peers, %d hand-made rules' % (PEERS, handmade)
        print('%-34s %6d %7d %11d %9.3f' % ((label,) + timed(*large_ufw_host(handmade), rounds=rounds)))


if __name__ == '__main__':
    main()
