"""Connections to an open port that fail while the ufw backend changes its rules.

ufw 0.36.1 and newer rebuild the user chains on `ufw insert` and `ufw delete`. This measures what a
client sees meanwhile: a prober on this machine opens a new TCP connection to SMTP (open to
everyone) on a converged Debian 12 container every 50 ms, while the site playbook switches imaps on
and off CHANGES times, each change adding one rule and deleting another. Prints the connections
tried and those that failed (no answer within 0.5 s, or refused), per change and in all.
usage: python3 benchmarks/ufw_reload_window.py [CHANGES]     (default 6)
"""
import socket
import sys
import threading
import time

import bench_bed

PORT = 25
INTERVAL = 0.05
LISTENER = ('import socket, time\n'
            'server = socket.socket(socket.AF_INET6); server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)\n'
            'server.bind(("::", %d)); server.listen(512)\n'
            'while True: server.accept()[0].close()\n' % PORT)


class Prober(threading.Thread):
    def __init__(self, address):
        super().__init__(daemon=True)
        self.address = address
        self.tried = self.failed = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            started = time.monotonic()
            connection = socket.socket()
            connection.settimeout(0.5)
            try:
                connection.connect((self.address, PORT))
            except OSError:
                self.failed += 1
            finally:
                connection.close()
            self.tried += 1
            time.sleep(max(0.0, INTERVAL - (time.monotonic() - started)))


def main():
    changes = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    site = ['ansible-playbook', '-i', bench_bed.INVENTORY, 'bluemind.firewall.site', '-e', 'bluemind_firewall_backend=ufw']
    bench_bed.up()
    try:
        bench_bed.run(['podman', 'exec', '-d', bench_bed.NAMES[0], 'python3', '-c', LISTENER])
        bench_bed.run(site)
        prober = Prober('10.89.%s.11' % bench_bed.NETWORK[1])
        prober.start()
        time.sleep(2)
        before = (prober.tried, prober.failed)
        print('before any change: %d connections, %d failed' % before, flush=True)
        for number in range(changes):
            services = '["imaps"]' if number % 2 == 0 else '[]'
            tried, failed = prober.tried, prober.failed
            seconds, dummy = bench_bed.run(site + ['-e', '{"bluemind_firewall_optional_services": %s}' % services])
            print('change %d (optional services %s): %5.1f s, %4d connections, %d failed'
                  % (number + 1, services, seconds, prober.tried - tried, prober.failed - failed), flush=True)
        prober.stopping.set()
        prober.join()
        print('in all, during %d changes: %d connections, %d failed'
              % (changes, prober.tried - before[0], prober.failed - before[1]))
    finally:
        bench_bed.down()


if __name__ == '__main__':
    main()
