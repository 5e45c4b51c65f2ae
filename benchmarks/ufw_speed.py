"""Converge time of the ufw backend against one community.general.ufw task per rule, and against the
nftables backend, on the same two Debian 12 containers, in one run.

For each round and approach, the hosts are reset, then converged (first run) and converged again
with nothing to change (re-run). Prints every timing, the rule count of each approach and the medians.
usage: python3 benchmarks/ufw_speed.py [ROUNDS]
"""
import os
import sys

import bench_bed

HERE = os.path.dirname(os.path.abspath(__file__))
RESET = ('ufw --force reset >/dev/null 2>&1; rm -f /etc/ufw/*.rules.20* /etc/ufw/*.rules.*_*; '
         'nft delete table inet bluemind_firewall 2>/dev/null; systemctl disable --now bluemind-firewall.service 2>/dev/null; '
         'rm -rf /etc/bluemind-firewall /etc/systemd/system/bluemind-firewall.service /etc/systemd/system/ufw.service.d '
         '/etc/systemd/system/nftables.service.d/bluemind-firewall-*.conf; '
         'systemctl daemon-reload')
APPROACHES = {
    'ufw per rule': [os.path.join(HERE, 'ufw_per_rule.yml')],
    'ufw backend': ['bluemind.firewall.site', '-e', 'bluemind_firewall_backend=ufw'],
    'nftables backend': ['bluemind.firewall.site'],
}


def ufw_rules(node):
    dummy, output = bench_bed.run(['podman', 'exec', node, 'sh', '-c', 'grep -c "^### tuple" /etc/ufw/user.rules /etc/ufw/user6.rules || true'])
    return sum(int(line.rsplit(':', 1)[1]) for line in output.split())


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    medians = bench_bed.measure(APPROACHES, RESET, rounds,
                                lambda name: '   ufw rules on %s: %d' % (bench_bed.NAMES[0], ufw_rules(bench_bed.NAMES[0])))
    print('\nmedians over %d rounds, two containers:' % rounds)
    for kind in ('first run', 're-run'):
        backend = medians[('ufw backend', kind)]
        print('  %-9s  ufw backend %6.2f s   per rule %6.2f s (%.1fx faster)   nftables backend %6.2f s (ufw %.2fx)'
              % (kind, backend, medians[('ufw per rule', kind)], medians[('ufw per rule', kind)] / backend,
                 medians[('nftables backend', kind)], backend / medians[('nftables backend', kind)]))


if __name__ == '__main__':
    main()
