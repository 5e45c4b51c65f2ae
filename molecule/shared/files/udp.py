"""Test bed UDP: receive datagrams on a port for a while, or send one from a chosen source port.

usage: python3 udp.py receive PORT SECONDS
         prints one JSON line per datagram received: {"source": ADDRESS, "port": SOURCE_PORT, "data": TEXT}
       python3 udp.py send ADDRESS[%INTERFACE] PORT SOURCE_PORT TEXT
         a link-local or multicast ADDRESS needs its interface (fe80::1%eth0).
"""
import json
import socket
import sys
import time

command = sys.argv[1]
if command == 'receive':
    port, seconds = int(sys.argv[2]), float(sys.argv[3])
    server = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(('::', port))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        server.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data, peer = server.recvfrom(2048)
        except socket.timeout:
            break
        print(json.dumps({'source': peer[0].split('%')[0], 'port': peer[1], 'data': data.decode()}), flush=True)
elif command == 'send':
    address, port, source_port, text = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    info = socket.getaddrinfo(address, port, type=socket.SOCK_DGRAM)[0]
    sender = socket.socket(info[0], socket.SOCK_DGRAM)
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if info[0] == socket.AF_INET:
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sender.bind(('::' if info[0] == socket.AF_INET6 else '0.0.0.0', source_port))
    sender.sendto(text.encode(), info[4])
else:
    sys.exit(__doc__)
