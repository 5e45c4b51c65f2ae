"""Controller-side planning time against the cluster size: the role's steps (addresses resolved once
per play) next to the naive approach (every host walks every peer's hostvars), in one run.

No container is involved: the inventory's hosts are never contacted.
usage: python3 benchmarks/plan_scaling.py [SIZE...]     (default: 50 100 200 400)
"""
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def inventory(size, directory):
    path = os.path.join(directory, 'inventory-%d.yml' % size)
    with open(path, 'w') as handle:
        handle.write('bluemind:\n  hosts:\n')
        for index in range(size):
            handle.write('    bm%04d: {bluemind_firewall_address: [10.%d.%d.%d, "fd00::%x"]}\n' % (
                index, index // 65536, index // 256 % 256, index % 256, index + 1))
        handle.write('  vars: {ansible_connection: local}\n')
    return path


def timed(playbook, path):
    started = time.monotonic()
    subprocess.run(['ansible-playbook', '-i', path, os.path.join(HERE, playbook), '--forks', '2'],
                   check=True, capture_output=True)
    return time.monotonic() - started


def main():
    sizes = [int(size) for size in sys.argv[1:]] or [50, 100, 200, 400]
    with tempfile.TemporaryDirectory() as directory:
        print('%6s  %18s  %18s' % ('hosts', 'role (s)', 'naive (s)'))
        for size in sizes:
            path = inventory(size, directory)
            print('%6d  %18.2f  %18.2f' % (size, timed('plan_only.yml', path), timed('naive_plan.yml', path)),
                  flush=True)


if __name__ == '__main__':
    main()
