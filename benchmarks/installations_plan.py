"""Controller-side planning time of many BlueMind installations in one inventory, beside Ansible's
own floor (a play of one no-op task per host) on the same inventory, in one run; and beside the
same plan with the settings passed as 0.5.0 passed them, one templated argument per setting.

Inventories: a hosting company's, with installations of 1 to 8 hosts (4 on average) under the parent
group bluemind, at 250, 500 and 1,000 hosts; and one installation of 200 hosts. No container is
involved: the hosts are never contacted (ansible_connection: local, no fact gathered, addresses
given). --forks 2, the machine's two cores.
usage: python3 benchmarks/installations_plan.py [ROUNDS]     (default 3; medians are printed, but
       the templated-arguments plan runs once: it is there for scale)
"""
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def installation_sizes(hosts):
    """Sizes of 1 to 8, a quarter as many installations as hosts, summing to hosts (fixed seed)."""
    count = hosts // 4
    chooser = random.Random(13)
    sizes = [chooser.randint(1, 7) for dummy in range(count)]
    while sum(sizes) != hosts:
        index = chooser.randrange(count)
        if sum(sizes) < hosts and sizes[index] < 8:
            sizes[index] += 1
        elif sum(sizes) > hosts and sizes[index] > 1:
            sizes[index] -= 1
    return sizes


def _host_line(index):
    return '        bm%04d: {bluemind_firewall_address: [10.%d.%d.%d, "fd00::%x"]}\n' % (
        index, index // 65536, index // 256 % 256, index % 256, index + 1)


def write_inventory(path, sizes):
    """One group per installation, children of bluemind, each naming itself in its group variables."""
    index = 0
    with open(path, 'w') as handle:
        handle.write('bluemind:\n  vars: {ansible_connection: local}\n  children:\n')
        for number, size in enumerate(sizes):
            name = 'customer_%03d' % number
            handle.write('    %s:\n      vars: {bluemind_firewall_cluster_group: %s}\n      hosts:\n' % (name, name))
            for dummy in range(size):
                handle.write(_host_line(index))
                index += 1


def timed(playbook, path, hosts):
    started = time.monotonic()
    result = subprocess.run(['ansible-playbook', '-i', path, os.path.join(HERE, playbook), '--forks', '2'],
                            capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.exit('%s failed on %s:\n%s%s' % (playbook, path, result.stdout[-3000:], result.stderr[-3000:]))
    recap = [line for line in result.stdout.split('PLAY RECAP')[-1].splitlines() if ' ok=' in line]
    if len(recap) != hosts or any(' ok=0 ' in line or ' failed=0 ' not in line for line in recap):
        sys.exit('%s did not run on every host of %s:\n%s' % (playbook, path, result.stdout[-3000:]))
    return elapsed


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    cases = [('%d hosts, %d installations' % (hosts, hosts // 4), installation_sizes(hosts), hosts)
             for hosts in (250, 500, 1000)]
    cases.append(('200 hosts, 1 installation', [200], 200))
    columns = ('inventory', 'plan (s)', 'floor (s)', 'ratio', 'plan ms/host', 'templated args (s)')
    print('%-28s %10s %10s %7s %14s %16s' % columns)
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        for label, sizes, hosts in cases:
            path = os.path.join(directory, 'inventory-%d-%d.yml' % (hosts, len(sizes)))
            write_inventory(path, sizes)
            plan = statistics.median(timed('plan_only.yml', path, hosts) for dummy in range(rounds))
            floor = statistics.median(timed('noop.yml', path, hosts) for dummy in range(rounds))
            templated = timed('plan_templated_arguments.yml', path, hosts)
            results[label] = (plan, floor, hosts)
            print('%-28s %10.2f %10.2f %7.2f %14.2f %16.2f' % (label, plan, floor, plan / floor, 1000.0 * plan / hosts,
                                                               templated), flush=True)
    small, large = results[cases[0][0]], results[cases[2][0]]
    print('from 250 to 1000 hosts (x4): plan x%.2f, floor x%.2f' % (large[0] / small[0], large[1] / small[1]))


if __name__ == '__main__':
    main()
