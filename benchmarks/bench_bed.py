"""The benchmarks' two Debian 12 containers and how their commands are run and timed."""
import os
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
