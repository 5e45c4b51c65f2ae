"""Converge time of the ufw backend against one community.general.ufw task per rule, and against the
nftables backend, on the same two Debian 12 containers, in one run.

For each round and approach, the hosts are reset, then converged (first run) and converged again
with nothing to change (re-run). Prints every timing, the rule count of each approach and the medians.
usage: python3 benchmarks/ufw_speed.py [ROUNDS]
"""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TESTBED = os.path.join(ROOT, 'tests', 'harness', 'testbed.sh')
NODES = ['bench1:11:bookworm', 'bench2:12:bookworm']
NAMES = [node.split(':', maxsplit=1)[0] for node in NODES]
INVENTORY = os.path.join(HERE, 'inventory.yml')
RESET = ('ufw --force reset >/dev/null 2>&1; rm -f /etc/ufw/*.rules.20* /etc/ufw/*.rules.*_*; '
         'nft delete table inet bluemind_firewall 2>/dev/null; systemctl disable --now bluemind-firewall.service 2>/dev/null; '
         'rm -rf /etc/bluemind-firewall /etc/systemd/system/bluemind-firewall.service /etc/systemd/system/ufw.service.d; '
         'systemctl daemon-reload')
APPROACHES = {
    'ufw per rule': [os.path.join(HERE, 'ufw_per_rule.yml')],
    'ufw backend': ['bluemind.firewall.site', '-e', 'bluemind_firewall_backend=ufw'],
    'nftables backend': ['bluemind.firewall.site'],
}


def run(command):
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.exit('failed: %s\n%s%s' % (' '.join(command), result.stdout[-3000:], result.stderr[-3000:]))
    return elapsed, result.stdout


def ufw_rules(node):
    dummy, output = run(['podman', 'exec', node, 'sh', '-c', 'grep -c "^### tuple" /etc/ufw/user.rules /etc/ufw/user6.rules || true'])
    return sum(int(line.rsplit(':', 1)[1]) for line in output.split())


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    run([TESTBED, 'up', 'bmfw-bench', '44'] + NODES)
    timings = {(name, kind): [] for name in APPROACHES for kind in ('first run', 're-run')}
    rules = {}
    try:
        for number in range(1, rounds + 1):
            for name, arguments in APPROACHES.items():
                for node in NAMES:
                    run(['podman', 'exec', node, 'sh', '-c', RESET])
                first, dummy = run(['ansible-playbook', '-i', INVENTORY] + arguments)
                again, output = run(['ansible-playbook', '-i', INVENTORY] + arguments)
                if 'changed=0' not in output.split('PLAY RECAP')[-1]:
                    sys.exit('%s: the re-run changed something:\n%s' % (name, output))
                timings[(name, 'first run')].append(first)
                timings[(name, 're-run')].append(again)
                rules[name] = ufw_rules(NAMES[0])
                print('round %d  %-16s first run %6.2f s   re-run %6.2f s   ufw rules on %s: %d'
                      % (number, name, first, again, NAMES[0], rules[name]), flush=True)
    finally:
        run([TESTBED, 'down', 'bmfw-bench', '44'] + NODES)
    print('\nmedians over %d rounds, two containers:' % rounds)
    medians = {key: statistics.median(values) for key, values in timings.items()}
    for kind in ('first run', 're-run'):
        backend = medians[('ufw backend', kind)]
        print('  %-9s  ufw backend %6.2f s   per rule %6.2f s (%.1fx faster)   nftables backend %6.2f s (ufw %.2fx)'
              % (kind, backend, medians[('ufw per rule', kind)], medians[('ufw per rule', kind)] / backend,
                 medians[('nftables backend', kind)], backend / medians[('nftables backend', kind)]))


if __name__ == '__main__':
    main()
