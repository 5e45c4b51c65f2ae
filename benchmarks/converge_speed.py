"""Converge time of the role (default settings) against the bare minimum, on the same containers.

Two Debian 12 containers; for each round, both approaches run on freshly reset hosts: a first run,
then a re-run with nothing to change. Prints every timing and the median ratios role / bare minimum.
usage: python3 benchmarks/converge_speed.py [ROUNDS]
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
RESET = ('nft delete table inet bluemind_firewall 2>/dev/null; nft delete table inet bare_minimum 2>/dev/null; '
         'systemctl disable --now bluemind-firewall.service 2>/dev/null; '
         'rm -rf /etc/bluemind-firewall /etc/bare-minimum.nft /etc/systemd/system/bluemind-firewall.service; '
         'systemctl daemon-reload')
APPROACHES = {
    'bare minimum': [os.path.join(HERE, 'bare_minimum.yml')],
    'role': ['bluemind.firewall.site'],
}


def run(command):
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.exit('failed: %s\n%s%s' % (' '.join(command), result.stdout[-3000:], result.stderr[-3000:]))
    return elapsed, result.stdout


def playbook(name):
    elapsed, output = run(['ansible-playbook', '-i', INVENTORY] + APPROACHES[name])
    return elapsed, output


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    run([TESTBED, 'up', 'bmfw-bench', '44'] + NODES)
    timings = {(name, kind): [] for name in APPROACHES for kind in ('first run', 're-run')}
    try:
        for number in range(1, rounds + 1):
            for name in APPROACHES:
                for node in NAMES:
                    run(['podman', 'exec', node, 'sh', '-c', RESET])
                first, dummy = playbook(name)
                again, output = playbook(name)
                if 'changed=0' not in output.split('PLAY RECAP')[-1]:
                    sys.exit('%s: the re-run changed something:\n%s' % (name, output))
                timings[(name, 'first run')].append(first)
                timings[(name, 're-run')].append(again)
                print('round %d  %-13s first run %5.2f s   re-run %5.2f s' % (number, name, first, again), flush=True)
    finally:
        run([TESTBED, 'down', 'bmfw-bench', '44'] + NODES)
    print('\nmedians over %d rounds, two containers:' % rounds)
    for kind in ('first run', 're-run'):
        bare = statistics.median(timings[('bare minimum', kind)])
        role = statistics.median(timings[('role', kind)])
        print('  %-9s  bare minimum %5.2f s   role %5.2f s   ratio %.2fx' % (kind, bare, role, role / bare))


if __name__ == '__main__':
    main()
