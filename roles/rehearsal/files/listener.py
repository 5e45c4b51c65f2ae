"""Listener of the rehearsal and of the test bed: accepts TCP on every port given, IPv4 and IPv6, and closes each connection.

A port the firewall lets through then answers "open" to a probe, one it drops "filtered".
"""
import selectors
import socket
import sys

selector = selectors.DefaultSelector()
for port in sorted({int(arg) for arg in sys.argv[1:]}):
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    server.bind(('::', port))
    server.listen(64)
    server.setblocking(False)
    selector.register(server, selectors.EVENT_READ)

while True:
    for key, _events in selector.select():
        try:
            connection, _peer = key.fileobj.accept()
            connection.close()
        except OSError:
            pass
