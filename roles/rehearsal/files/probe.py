"""Probe of the rehearsal and of the test bed: TCP connects to ADDRESS:PORT pairs at once and prints how each ended, as JSON.

usage: python3 probe.py [--source ADDRESS] TIMEOUT ADDRESS PORT[,PORT...] [ADDRESS PORT[,PORT...] ...]
open: the handshake completed; refused: a RST came back; filtered: no answer within TIMEOUT.
--source binds the probes to one of this host's addresses (a secondary one, say).
"""
import errno
import json
import selectors
import socket
import sys
import time

arguments = sys.argv[1:]
source = None
if arguments[0] == '--source':
    source, arguments = arguments[1], arguments[2:]
timeout = float(arguments[0])
targets = []
for address, ports in zip(arguments[1::2], arguments[2::2]):
    targets.extend((address, int(port)) for port in ports.split(','))

selector = selectors.DefaultSelector()
verdicts = {}
for address, port in targets:
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if source:
        sock.bind((source, 0))
    sock.setblocking(False)
    code = sock.connect_ex((address, port))
    key = '%s %d' % (address, port)
    if code in (0, errno.EINPROGRESS):
        selector.register(sock, selectors.EVENT_WRITE, key)
    else:
        verdicts[key] = 'refused' if code == errno.ECONNREFUSED else 'error %d' % code
        sock.close()

deadline = time.monotonic() + timeout
while selector.get_map() and time.monotonic() < deadline:
    for selected, _events in selector.select(deadline - time.monotonic()):
        sock = selected.fileobj
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        verdicts[selected.data] = 'open' if code == 0 else 'refused' if code == errno.ECONNREFUSED else 'error %d' % code
        selector.unregister(sock)
        sock.close()
for selected in list(selector.get_map().values()):
    verdicts[selected.data] = 'filtered'
    selected.fileobj.close()
json.dump(verdicts, sys.stdout, sort_keys=True)
