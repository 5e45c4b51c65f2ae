"""The benchmarks' two Debian 12 containers and how their commands are run and timed."""
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
NETWORK = ['bmfw-bench', '44']


def run(command):
    """(seconds, standard output) of a command that must succeed."""
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.exit('failed: %s\n%s%s' % (' '.join(command), result.stdout[-3000:], result.stderr[-3000:]))
    return elapsed, result.stdout


def up():
    run([TESTBED, 'up'] + NETWORK + NODES)


def down():
    run([TESTBED, 'down'] + NETWORK + NODES)


def reset(script):
    for node in NAMES:
        run(['podman', 'exec', node, 'sh', '-c', script])


def converge_twice(arguments, name):
    """(first run, re-run) seconds of ansible-playbook on the bed; the re-run must change nothing."""
    first, dummy = run(['ansible-playbook', '-i', INVENTORY] + arguments)
    again, output = run(['ansible-playbook', '-i', INVENTORY] + arguments)
    if 'changed=0' not in output.split('PLAY RECAP')[-1]:
        sys.exit('%s: the re-run changed something:\n%s' % (name, output))
    return first, again


def measure(approaches, reset_script, rounds, describe=None):
    """Medians {(approach, 'first run' | 're-run'): seconds}. Each round resets the hosts before each
    approach and converges twice; one line per round and approach is printed as it ends, followed
    by describe(approach) when given. Brings the bed up, and down again whatever happens."""
    width = max(len(name) for name in approaches)
    timings = {(name, kind): [] for name in approaches for kind in ('first run', 're-run')}
    up()
    try:
        for number in range(1, rounds + 1):
            for name, arguments in approaches.items():
                reset(reset_script)
                first, again = converge_twice(arguments, name)
                timings[(name, 'first run')].append(first)
                timings[(name, 're-run')].append(again)
                print('round %d  %-*s  first run %6.2f s   re-run %6.2f s%s'
                      % (number, width, name, first, again, describe(name) if describe else ''), flush=True)
    finally:
        down()
    return {key: statistics.median(values) for key, values in timings.items()}
