"""What gets through, and what fails, while Debian's nftables.service is restarted, reloaded, stopped
and started on a host converged with the nftables backend.

nftables.service's stock /etc/nftables.conf begins with "flush ruleset", and its stop flushes too:
every table goes, the collection's included. Two containers on a network of their own: "mail",
converged with the collection (nftables.service enabled with its stock configuration), and "peer",
a cluster peer of it. During each action an outsider (this machine, outside the cluster) opens a new
TCP connection to a port the policy closes (10050, with a listener behind it) and the peer one to a
port open to it (5432), every 10 ms, over IPv4 and IPv6. Counted: the outsider's connections that
got through, and the peer's that failed (no answer within 0.5 s, or refused).

Two phases in one run, side by side: "before", the collection as it was before issue 25 (the table
loaded again by a drop-in after the flush; no include in /etc/nftables.conf, Debian's stop), then
"after", as it is (the system's configuration includes the table the boot unit loaded, and the stop
flushes and includes it in one transaction).
usage: python3 benchmarks/nftables_service_window.py [ROUNDS]     (default 3; run under the containers lock)
"""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TESTBED = os.path.join(ROOT, 'tests', 'harness', 'testbed.sh')
os.environ.setdefault('CONTAINERS_CONF', os.path.join(ROOT, 'tests', 'harness', 'containers.conf'))
os.environ.setdefault('ANSIBLE_COLLECTIONS_PATH', os.path.join(ROOT, '.cache', 'collections'))
# A network and containers of this benchmark's own (tests/unit/test_test_bed_names.py lists the others).
NETWORK = ['bmfw-bench-window', '54']
NODES = ['bmfw-bench-window-mail:11:bookworm', 'bmfw-bench-window-peer:12:bookworm']
MAIL, PEER = [node.split(':', maxsplit=1)[0] for node in NODES]
ADDRESSES = {'ipv4': '10.89.%s.11' % NETWORK[1], 'ipv6': 'fd42:89:%s::11' % NETWORK[1]}
CLOSED, OPEN = 10050, 5432
INTERVAL, TIMEOUT = 0.01, 0.5
ACTIONS = ['restart', 'reload', 'stop', 'start']
# Probe for SECONDS, the action run at LEAD seconds.
SECONDS, LEAD = 4.0, 1.5
LISTENER = ('import socket, threading\n'
            'def serve(port):\n'
            '    server = socket.socket(socket.AF_INET6); server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)\n'
            '    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n'
            '    server.bind(("::", port)); server.listen(4096)\n'
            '    while True: server.accept()[0].close()\n'
            'for port in (%d, %d): threading.Thread(target=serve, args=(port,)).start()\n' % (CLOSED, OPEN))
# The prober, run here (the outsider) and in the peer: a new connection every INTERVAL for SECONDS,
# each in a thread of its own so that a dropped SYN does not delay the next; prints
# {"tried": n, "connected": n}.
PROBER = '''
import json, socket, sys, threading, time
address, port, seconds, interval, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
family = socket.AF_INET6 if ":" in address else socket.AF_INET
counts = {"tried": 0, "connected": 0}
lock = threading.Lock()
def attempt():
    connection = socket.socket(family)
    connection.settimeout(timeout)
    try:
        connection.connect((address, port))
        with lock: counts["connected"] += 1
    except OSError:
        pass
    finally:
        connection.close()
threads = []
end = time.monotonic() + seconds
while time.monotonic() < end:
    started = time.monotonic()
    thread = threading.Thread(target=attempt); thread.start(); threads.append(thread)
    counts["tried"] += 1
    time.sleep(max(0.0, interval - (time.monotonic() - started)))
for thread in threads: thread.join()
print(json.dumps(counts))
'''
# The collection as it was before: no include in the system's configuration, Debian's stop.
BEFORE = ("sed -i '/^# Added by bluemind.firewall/d; /^include \"\\/run\\/bluemind-firewall\\/include/d' /etc/nftables.conf"
          " && sed -i '/^ExecStop=/d' /etc/systemd/system/nftables.service.d/bluemind-firewall-nftables.conf"
          " && systemctl daemon-reload && systemctl restart nftables.service")


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        sys.exit('failed: %s\n%s%s' % (' '.join(command), result.stdout[-3000:], result.stderr[-3000:]))
    return result.stdout


def inventory(directory):
    path = os.path.join(directory, 'inventory.yml')
    with open(path, 'w') as handle:
        handle.write('bluemind:\n  hosts:\n    mail:\n      ansible_host: %s\n    peer:\n      ansible_host: %s\n'
                     '  vars:\n    ansible_connection: containers.podman.podman\n    ansible_become: false\n'
                     '    ansible_python_interpreter: /usr/bin/python3\n'
                     '    bluemind_firewall_admin_sources: ["10.89.%s.0/24"]\n' % (MAIL, PEER, NETWORK[1]))
    return path


def probe_during(action):
    """{family: (outsider connections through, tried), (peer connections failed, tried)} during one action."""
    arguments = [str(SECONDS), str(INTERVAL), str(TIMEOUT)]
    outsiders = {family: subprocess.Popen([sys.executable, '-c', PROBER, address, str(CLOSED)] + arguments,
                                          stdout=subprocess.PIPE, text=True)
                 for family, address in ADDRESSES.items()}
    peers = {family: subprocess.Popen(['podman', 'exec', PEER, 'python3', '-c', PROBER, address, str(OPEN)] + arguments,
                                      stdout=subprocess.PIPE, text=True)
             for family, address in ADDRESSES.items()}
    time.sleep(LEAD)
    run(['podman', 'exec', MAIL, 'systemctl', action, 'nftables.service'])
    result = {}
    for family in ADDRESSES:
        outsider = json.loads(outsiders[family].communicate()[0])
        peer = json.loads(peers[family].communicate()[0])
        result[family] = ((outsider['connected'], outsider['tried']), (peer['tried'] - peer['connected'], peer['tried']))
    # The drop-in's reload and the unit's job settle before the next action.
    time.sleep(1)
    return result


def phase(rounds):
    totals = {}
    for dummy in range(rounds):
        for action in ACTIONS:
            for family, (through, failed) in probe_during(action).items():
                entry = totals.setdefault((action, family), [0, 0, 0, 0])
                entry[0] += through[0]
                entry[1] += through[1]
                entry[2] += failed[0]
                entry[3] += failed[1]
    return totals


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    env = dict(os.environ, ANSIBLE_FORCE_COLOR='0', ANSIBLE_NOCOLOR='1')
    run([TESTBED, 'up'] + NETWORK + NODES)
    try:
        with tempfile.TemporaryDirectory() as directory:
            site = ['ansible-playbook', '-i', inventory(directory), 'bluemind.firewall.site']
            for node in (MAIL, PEER):
                run(['podman', 'exec', node, 'systemctl', 'enable', '--now', 'nftables.service'])
            run(['podman', 'exec', '-d', MAIL, 'python3', '-c', LISTENER])
            run(site, env=env)
            run(['podman', 'exec', MAIL, 'sh', '-c', BEFORE])
            before = phase(rounds)
            run(site, env=env)
            run(['podman', 'exec', MAIL, 'grep', '-q', 'bluemind-firewall/include', '/etc/nftables.conf'])
            after = phase(rounds)
    finally:
        run([TESTBED, 'down'] + NETWORK + NODES)
    print('nftables.service actions on %s, %d rounds each; every %d ms: an outsider to tcp/%d (closed by the '
          'policy), the peer to tcp/%d (open to it)' % (MAIL, rounds, INTERVAL * 1000, CLOSED, OPEN))
    header = ('action', 'family', 'before: outsider through, peer failed', 'after: outsider through, peer failed')
    print('%-8s %-5s | %-38s | %-38s' % header)
    for action in ACTIONS:
        for family in ADDRESSES:
            cells = ['%4d of %4d, %4d of %4d' % tuple(totals[(action, family)]) for totals in (before, after)]
            print('%-8s %-5s | %-38s | %-38s' % (action, family, cells[0], cells[1]))


if __name__ == '__main__':
    main()
