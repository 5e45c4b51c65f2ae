"""Test bed watcher: probes each ADDRESS:PORT again and again, each in its own thread, until STOPFILE
exists, then writes how often each attempt ended open, refused or filtered, as JSON, to OUTPUT.
Shows whether a firewall change ever opened a closed port or closed an open one, even for a moment.

usage: python3 watch.py OUTPUT STOPFILE ADDRESS PORT[,PORT...] [ADDRESS PORT[,PORT...] ...]
"""
import errno
import json
import os
import socket
import sys
import threading
import time

TIMEOUT = 0.3
output, stop = sys.argv[1], sys.argv[2]
targets = []
for address, ports in zip(sys.argv[3::2], sys.argv[4::2]):
    targets.extend((address, int(port)) for port in ports.split(','))
counts = {'%s %d' % target: {'open': 0, 'refused': 0, 'filtered': 0} for target in targets}


def watch(address, port):
    tally = counts['%s %d' % (address, port)]
    while not os.path.exists(stop):
        sock = socket.socket(socket.AF_INET6 if ':' in address else socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        try:
            sock.connect((address, port))
            tally['open'] += 1
        except socket.timeout:
            tally['filtered'] += 1
        except OSError as error:
            tally['refused' if error.errno == errno.ECONNREFUSED else 'filtered'] += 1
        finally:
            sock.close()
        time.sleep(0.01)


started = time.monotonic()
threads = [threading.Thread(target=watch, args=target) for target in targets]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with open(output, 'w') as handle:
    json.dump({'seconds': round(time.monotonic() - started, 1), 'counts': counts}, handle)
