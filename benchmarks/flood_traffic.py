"""The programs of benchmarks/flood_limited.py, each run inside one of its network namespaces
(`ip netns exec NAMESPACE python3 flood_traffic.py ROLE ...`). Standard library only.

  listen PORT                 the mail server's submission daemon, reduced to its cost: accept, close.
  flood TARGET PORT SECONDS SOURCES...
                              opens new TCP connections as fast as one process can, cycling through
                              SOURCES; up to WINDOW at once, each given up after GIVE_UP seconds (a
                              flooder does not wait for dropped SYNs), each one that connects closed at
                              once with a reset (no TIME_WAIT, so that the flooder never runs out of ports).
  connect TARGET PORT SECONDS PACE SOURCES...
                              a legitimate client: PACE "rate:N" starts N connections a second (open
                              loop, cycling through SOURCES), "parallel:N" keeps N connecting at all times
                              (closed loop: as fast as the host answers). A connection not established
                              within TIMEOUT is failed; TIMEOUT leaves room for two SYN retransmissions.
  synflood TARGET PORT SECONDS LINK TARGET_MAC SOURCES...
                              first packets only: TCP SYNs written on LINK as Ethernet frames, as fast as
                              one process can, from SOURCES (addresses no one answers from: the SYN-ACKs
                              die in the flooder's blackhole route, so every SYN leaves a half-open
                              connection) and every source port in turn, each 4-tuple once per cycle.
Each prints one JSON line with what it counted.
"""
import json
import selectors
import socket
import struct
import sys
import time

WINDOW = 2048
GIVE_UP = 0.25
TIMEOUT = 3.5
# Linux's IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect(), per destination, so a source
# address is not limited to one set of ephemeral ports shared by every destination.
BIND_ADDRESS_NO_PORT = 24


def family_of(address):
    return socket.AF_INET6 if ':' in address else socket.AF_INET


def listen(port):
    server = socket.socket(socket.AF_INET6)
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(('::', port))
    server.listen(4096)
    print('ready', flush=True)
    while True:
        try:
            server.accept()[0].close()
        except OSError:
            pass


class Connections(object):
    """Non-blocking connection attempts watched by one selector: start() sends a SYN, poll() sorts
    out the ones that connected or failed, expire() gives up on those older than a limit."""

    def __init__(self, target, port, reset):
        self.target = (target, port)
        self.family = family_of(target)
        self.reset = reset
        self.selector = selectors.DefaultSelector()
        self.pending = {}
        self.started = self.connected = self.failed = 0
        self.latencies = []

    def start(self, source):
        sock = socket.socket(self.family, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
        if self.reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        sock.setsockopt(socket.IPPROTO_IP, BIND_ADDRESS_NO_PORT, 1)
        sock.bind((source, 0))
        self.started += 1
        code = sock.connect_ex(self.target)
        if code not in (0, 115):   # 115: EINPROGRESS
            self.failed += 1
            sock.close()
            return
        self.selector.register(sock, selectors.EVENT_WRITE)
        self.pending[sock.fileno()] = (sock, time.monotonic())

    def _finish(self, sock, ok, began):
        self.selector.unregister(sock)
        del self.pending[sock.fileno()]
        sock.close()
        if ok:
            self.connected += 1
            self.latencies.append(time.monotonic() - began)
        else:
            self.failed += 1

    def poll(self, wait):
        for key, dummy in self.selector.select(wait):
            sock = key.fileobj
            began = self.pending[sock.fileno()][1]
            self._finish(sock, sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0, began)

    def expire(self, age):
        """Give up on the attempts older than age seconds (the oldest are first in pending)."""
        limit = time.monotonic() - age
        while self.pending:
            sock, began = next(iter(self.pending.values()))
            if began > limit:
                break
            self._finish(sock, False, began)

    def report(self, seconds):
        latencies = sorted(self.latencies)

        def percentile(share):
            return round(1000 * latencies[min(len(latencies) - 1, int(share * len(latencies)))], 1) if latencies else None
        return {'started': self.started, 'connected': self.connected, 'failed': self.failed,
                'seconds': seconds, 'median_ms': percentile(0.5), 'p99_ms': percentile(0.99)}


def flood(target, port, seconds, sources):
    connections = Connections(target, port, reset=True)
    began = time.monotonic()
    end = began + seconds
    index = 0
    while time.monotonic() < end:
        while len(connections.pending) < WINDOW:
            connections.start(sources[index % len(sources)])
            index += 1
        connections.poll(0)
        connections.expire(GIVE_UP)
    return connections.report(time.monotonic() - began)


def connect(target, port, seconds, pace, sources):
    kind, number = pace.split(':')
    number = float(number)
    connections = Connections(target, port, reset=False)
    began = time.monotonic()
    end = began + seconds
    index = 0
    while time.monotonic() < end:
        now = time.monotonic()
        if kind == 'rate':
            due = int((now - began) * number) + 1
            while index < due:
                connections.start(sources[index % len(sources)])
                index += 1
            wait = max(0.0, began + index / number - time.monotonic())
        else:
            while len(connections.pending) < number:
                connections.start(sources[index % len(sources)])
                index += 1
            wait = 0.05
        connections.poll(min(wait, 0.05))
        connections.expire(TIMEOUT)
    # The attempts started at the end get their full time.
    while connections.pending:
        connections.poll(0.05)
        connections.expire(TIMEOUT)
    return connections.report(seconds)


def _sum16(data):
    """The ones' complement sum of data's 16-bit words, folded to 16 bits (not yet inverted)."""
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def _syn_parts(target, port, link_header, address):
    """(frame up to the TCP header, the TCP header after the ports up to its checksum, the sum of
    everything the TCP checksum covers but the source port) for SYNs from address."""
    family = family_of(target)
    after_ports = struct.pack('!IIBBH', 0x1000, 0, 5 << 4, 0x02, 64240)   # seq, ack, offset, SYN, window
    if family == socket.AF_INET:
        source, destination = socket.inet_pton(family, address), socket.inet_pton(family, target)
        header = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, 0, 0x4000, 64, 6, 0, source, destination)
        header = header[:10] + struct.pack('!H', 0xFFFF - _sum16(header)) + header[12:]
        pseudo = source + destination + struct.pack('!BBH', 0, 6, 20)
    else:
        source, destination = socket.inet_pton(family, address), socket.inet_pton(family, target)
        header = struct.pack('!IHBB16s16s', 6 << 28, 20, 6, 64, source, destination)
        pseudo = source + destination + struct.pack('!IxxxB', 20, 6)
    covered = _sum16(pseudo + struct.pack('!HH', 0, port) + after_ports + b'\0\0\0\0')
    return link_header + header, after_ports, covered


def synflood(target, port, seconds, link, target_mac, sources):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((link, 0))
    ethertype = 0x0800 if family_of(target) == socket.AF_INET else 0x86DD
    own_mac = bytes.fromhex(open('/sys/class/net/%s/address' % link).read().strip().replace(':', ''))
    link_header = bytes.fromhex(target_mac.replace(':', '')) + own_mac + struct.pack('!H', ethertype)
    parts = [_syn_parts(target, port, link_header, address) for address in sources]
    count = len(parts)
    sent = dropped = index = 0
    began = time.monotonic()
    end = began + seconds
    while time.monotonic() < end:
        for dummy in range(1024):
            head, after_ports, covered = parts[index % count]
            source_port = 1024 + (index // count) % 64512
            total = covered + source_port
            total = (total & 0xFFFF) + (total >> 16)
            index += 1
            try:
                sock.send(head + struct.pack('!HH', source_port, port) + after_ports
                          + struct.pack('!H', 0xFFFF - total) + b'\0\0')
                sent += 1
            except OSError:
                dropped += 1
    return {'sent': sent, 'dropped': dropped, 'seconds': time.monotonic() - began}


def main(arguments):
    role = arguments[0]
    if role == 'listen':
        listen(int(arguments[1]))
    elif role == 'flood':
        print(json.dumps(flood(arguments[1], int(arguments[2]), float(arguments[3]), arguments[4:])), flush=True)
    elif role == 'connect':
        print(json.dumps(connect(arguments[1], int(arguments[2]), float(arguments[3]), arguments[4], arguments[5:])),
              flush=True)
    elif role == 'synflood':
        print(json.dumps(synflood(arguments[1], int(arguments[2]), float(arguments[3]), arguments[4], arguments[5],
                                  arguments[6:])), flush=True)
    else:
        sys.exit('unknown role %r' % role)


if __name__ == '__main__':
    main(sys.argv[1:])
