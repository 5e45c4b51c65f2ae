"""Converge time of the role (default settings) against the bare minimum, on the same containers.

Two Debian 12 containers; for each round, both approaches run on freshly reset hosts: a first run,
then a re-run with nothing to change. Prints every timing and the median ratios role / bare minimum.
usage: python3 benchmarks/converge_speed.py [ROUNDS]
"""
import os
import sys

import bench_bed

HERE = os.path.dirname(os.path.abspath(__file__))
RESET = ('nft delete table inet bluemind_firewall 2>/dev/null; nft delete table inet bare_minimum 2>/dev/null; '
         'systemctl disable --now bluemind-firewall.service 2>/dev/null; '
         'rm -rf /etc/bluemind-firewall /etc/bare-minimum.nft /etc/systemd/system/bluemind-firewall.service '
         '/etc/systemd/system/nftables.service.d/bluemind-firewall-*.conf; '
         'systemctl daemon-reload')
APPROACHES = {
    'bare minimum': [os.path.join(HERE, 'bare_minimum.yml')],
    'role': ['bluemind.firewall.site'],
}


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    medians = bench_bed.measure(APPROACHES, RESET, rounds)
    print('\nmedians over %d rounds, two containers:' % rounds)
    for kind in ('first run', 're-run'):
        bare, role = medians[('bare minimum', kind)], medians[('role', kind)]
        print('  %-9s  bare minimum %5.2f s   role %5.2f s   ratio %.2fx' % (kind, bare, role, role / bare))


if __name__ == '__main__':
    main()
