"""A real kernel as the test oracle: two throwaway network namespaces joined by veth pairs.

The "target" namespace holds the ruleset under test and listeners; the "prober" namespace sends
hand-built first packets (Ethernet frames through AF_PACKET, so that the source address, the TTL,
the TCP flags and IPv6 extension headers are ours to choose) and sniffs what comes back. Every
packet of one batch has its own source port, ICMP id or token, so one short wait observes them all.

What the kernel decided, per cell: for a raw TCP first packet, a SYN-ACK means it passed the
firewall (a listener waits on every probed port, so a RST or nothing means it was stopped); for
a connect(), that it connected; for UDP, that the target's listener received the datagram; for an
ICMP echo, the reply; for a datagram of a protocol with no handler (253), the kernel's
"protocol unreachable" (ICMPv6 parameter problem) that only the local stack sends.

Python standard library only; needs root (namespaces, raw sockets), `ip` and `nft`.
"""

import ctypes
import errno
import functools
import ipaddress
import json
import os
import random
import select
import socket
import struct
import subprocess
import time

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4

# Addresses of the two links. The target's second address on eth0 is what redirect does not keep.
TARGET4, TARGET4_SECOND, TARGET6, TARGET6_SECOND = '10.99.0.1', '10.99.0.9', 'fd99::1', 'fd99::9'
PROBER4 = ('10.99.0.2', '10.99.0.3', '10.99.0.4', '10.99.0.5')
PROBER6 = ('fd99::2', 'fd99::3', 'fd99::4', 'fd99::5')
TARGET4_ETH1, PROBER4_ETH1, TARGET6_ETH1, PROBER6_ETH1 = '10.98.0.1', '10.98.0.2', 'fd98::1', 'fd98::2'
# Sources no prober address holds: the target routes replies to them back through its default route.
OFF_LINK4, OFF_LINK6 = '203.0.113.9', '2001:db8::9'
GROUP4, GROUP6 = '239.1.2.3', 'ff15::1:2:3'

TCP_FLAGS = {'fin': 0x01, 'syn': 0x02, 'rst': 0x04, 'psh': 0x08, 'ack': 0x10, 'urg': 0x20, 'ece': 0x40, 'cwr': 0x80}
# IPv6 extension headers a first packet may carry before its TCP header.
HOP_BY_HOP, ROUTING, FRAGMENT, DESTINATION = 0, 43, 44, 60
EXTENSIONS = {'hbh': HOP_BY_HOP, 'rt': ROUTING, 'frag': FRAGMENT, 'dst': DESTINATION}
RAW_PROTOCOL = 253      # experimental: no handler in the kernel, so delivery shows as "unreachable"
# How long a batch waits for answers; a cell the kernel seemed to stop is sent again with RETRY_WAIT
# before it counts as a disagreement, so that a loaded machine does not make one up.
WAIT = 0.2
RETRY_WAIT = 0.6

_libc = ctypes.CDLL(None, use_errno=True)
_counter = [random.randint(20000, 40000)]


def next_token():
    _counter[0] += 1
    if _counter[0] > 65000:
        _counter[0] = 20000
    return _counter[0]


def available():
    """None when the oracle can run here, else why not (the tests are skipped with it)."""
    if os.geteuid() != 0:
        return 'not root: network namespaces and raw sockets need root'
    for tool in ('ip', 'nft'):
        if subprocess.call(['which', tool], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            return '%s is not installed' % tool
    name = 'bmfw-oracle-check-%06x' % random.getrandbits(24)
    if subprocess.call(['ip', 'netns', 'add', name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        return 'network namespaces are not available (ip netns add failed)'
    subprocess.call(['ip', 'netns', 'delete', name])
    return None


def run(*command, **kwargs):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                            input=kwargs.get('input'), check=False)
    if result.returncode and kwargs.get('check') is not False:
        raise RuntimeError('%s failed (%d): %s' % (' '.join(command), result.returncode, result.stderr.strip()))
    return result.stdout


class _Inside(object):
    """Runs the calling thread in a namespace; sockets made there stay in it after leaving."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.home = os.open('/proc/self/task/%d/ns/net' % _gettid(), os.O_RDONLY)
        target = os.open('/var/run/netns/%s' % self.name, os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        return self

    def __exit__(self, *dummy):
        try:
            _setns(self.home)
        finally:
            os.close(self.home)


def _gettid():
    return ctypes.CDLL(None).syscall(186)   # SYS_gettid on x86_64


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, 'setns: %s' % os.strerror(code))


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _pseudo(family, src, dst, proto, length):
    if family == 4:
        return socket.inet_pton(socket.AF_INET, src) + socket.inet_pton(socket.AF_INET, dst) + struct.pack(
            '!BBH', 0, proto, length)
    return socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + struct.pack(
        '!IxxxB', length, proto)


def _with_checksum(segment, offset, family, src, dst, proto):
    value = checksum(_pseudo(family, src, dst, proto, len(segment)) + segment)
    return segment[:offset] + struct.pack('!H', value) + segment[offset + 2:]


class Cell(object):
    """One first packet. kind: syn (raw TCP with flags), connect, udp, icmp (echo), raw (protocol 253).
    ext: IPv6 extension headers before the transport header (names of EXTENSIONS)."""

    def __init__(self, name, family, kind, src, dst=None, dport=0, flags=('syn',), ext=(), iface='eth0', ttl=64):
        self.name = name
        self.family = family
        self.kind = kind
        self.src = src
        self.dst = dst or (TARGET4 if family == 4 else TARGET6)
        self.dport = dport
        self.flags = tuple(flags)
        self.ext = tuple(ext)
        self.iface = iface
        self.ttl = ttl
        self.token = None

    @property
    def proto(self):
        return {'syn': 6, 'connect': 6, 'udp': 17, 'raw': RAW_PROTOCOL}.get(
            self.kind, 1 if self.family == 4 else 58)

    def __repr__(self):
        return 'Cell(%s)' % self.name

    def transport(self):
        """The transport header and payload of the packet."""
        token = self.token
        if self.kind == 'syn':
            bits = sum(TCP_FLAGS[flag] for flag in self.flags)
            segment = struct.pack('!HHIIBBHHH', token, self.dport, 0x1000 + token, 0, 5 << 4, bits, 64240, 0, 0)
            return 6, _with_checksum(segment, 16, self.family, self.src, self.dst, 6)
        if self.kind == 'udp':
            payload = b'bmfw' + struct.pack('!I', token)
            segment = struct.pack('!HHHH', token, self.dport, 8 + len(payload), 0) + payload
            return 17, _with_checksum(segment, 6, self.family, self.src, self.dst, 17)
        if self.kind == 'icmp':
            if self.family == 4:
                segment = struct.pack('!BBHHH', 8, 0, 0, token, 1) + b'bmfw'
                return 1, segment[:2] + struct.pack('!H', checksum(segment)) + segment[4:]
            segment = struct.pack('!BBHHH', 128, 0, 0, token, 1) + b'bmfw'
            return 58, _with_checksum(segment, 2, 6, self.src, self.dst, 58)
        # A datagram whose first bytes read as ports 40000 -> dport, as `th dport` reads them.
        return RAW_PROTOCOL, struct.pack('!HHI', 40000, self.dport, token)

    def packet(self):
        proto, segment = self.transport()
        if self.family == 4:
            header = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(segment), self.token, 0, self.ttl, proto, 0,
                                 socket.inet_aton(self.src), socket.inet_aton(self.dst))
            header = header[:10] + struct.pack('!H', checksum(header)) + header[12:]
            return header + segment
        chain = b''
        following = proto
        for name in reversed(self.ext):
            chain = self._extension(name, following) + chain
            following = EXTENSIONS[name]
        payload = chain + segment
        return struct.pack('!IHBB16s16s', (6 << 28) | (self.token & 0xFFFFF), len(payload), following, self.ttl,
                           socket.inet_pton(socket.AF_INET6, self.src), socket.inet_pton(socket.AF_INET6, self.dst)) + payload

    def _extension(self, name, following):
        if name == 'frag':
            # An atomic fragment (offset 0, no more fragments): the whole datagram in one packet.
            return struct.pack('!BBHI', following, 0, 0, self.token)
        if name == 'rt':
            # Type 0 with no segment left: the kernel passes over it (RFC 5095 forbids acting on it).
            return struct.pack('!BBBB4x', following, 0, 0, 0)
        # Hop-by-Hop and Destination Options: one PadN option filling the 8 bytes.
        return struct.pack('!BBBB4x', following, 0, 1, 4)


class Lab(object):
    """The two namespaces. bridge: the target's eth0 is enslaved to br0, which holds its addresses;
    multipath: the target's default routes have two next hops (through eth0 and eth1)."""

    def __init__(self, bridge=False, multipath=False):
        suffix = '%06x' % random.getrandbits(24)
        self.target = 'bmfw-oracle-%s-t' % suffix
        self.prober = 'bmfw-oracle-%s-p' % suffix
        self.bridge = bridge
        self.multipath = multipath
        self.sockets = []
        self._created = []
        try:
            self._build()
        except Exception:
            self.close()
            raise

    def ip(self, namespace, *arguments, **kwargs):
        return run('ip', '-n', namespace, *arguments, **kwargs)

    def exec_in(self, namespace, *command, **kwargs):
        return run('ip', 'netns', 'exec', namespace, *command, **kwargs)

    def _build(self):
        for namespace in (self.target, self.prober):
            run('ip', 'netns', 'add', namespace)
            self._created.append(namespace)
        t, p = self.target, self.prober
        for link in ('eth0', 'eth1'):
            self.ip(t, 'link', 'add', link, 'type', 'veth', 'peer', 'name', link, 'netns', p)
        # Sysctls inside the target only: no ICMP error rate limit, so that every refused or
        # unreachable probe of a batch is answered.
        for key, value in (('net.ipv4.icmp_ratelimit', '0'), ('net.ipv6.icmp.ratelimit', '0'),
                           ('net.ipv4.icmp_msgs_per_sec', '100000'), ('net.ipv4.icmp_msgs_burst', '100000')):
            self.exec_in(t, 'sysctl', '-qw', '%s=%s' % (key, value), check=False)
        first = 'eth0'
        if self.bridge:
            self.ip(t, 'link', 'add', 'br0', 'type', 'bridge')
            self.ip(t, 'link', 'set', 'eth0', 'master', 'br0')
            self.ip(t, 'link', 'set', 'br0', 'up')
            first = 'br0'
        self.first = first
        for namespace in (t, p):
            for link in ('lo', 'eth0', 'eth1'):
                self.ip(namespace, 'link', 'set', link, 'up')
        for address in ('%s/24' % TARGET4, '%s/24' % TARGET4_SECOND):
            self.ip(t, 'addr', 'add', address, 'dev', first)
        for address in ('%s/64' % TARGET6, '%s/64' % TARGET6_SECOND):
            self.ip(t, 'addr', 'add', address, 'dev', first, 'nodad')
        self.ip(t, 'addr', 'add', '%s/24' % TARGET4_ETH1, 'dev', 'eth1')
        self.ip(t, 'addr', 'add', '%s/64' % TARGET6_ETH1, 'dev', 'eth1', 'nodad')
        for address in PROBER4:
            self.ip(p, 'addr', 'add', '%s/24' % address, 'dev', 'eth0')
        for address in PROBER6:
            self.ip(p, 'addr', 'add', '%s/64' % address, 'dev', 'eth0', 'nodad')
        self.ip(p, 'addr', 'add', '%s/24' % PROBER4_ETH1, 'dev', 'eth1')
        self.ip(p, 'addr', 'add', '%s/64' % PROBER6_ETH1, 'dev', 'eth1', 'nodad')
        if self.multipath:
            self.ip(t, 'route', 'add', 'default', 'nexthop', 'via', PROBER4[0], 'dev', first,
                    'nexthop', 'via', PROBER4_ETH1, 'dev', 'eth1')
            self.ip(t, '-6', 'route', 'add', 'default', 'nexthop', 'via', PROBER6[0], 'dev', first,
                    'nexthop', 'via', PROBER6_ETH1, 'dev', 'eth1')
        else:
            self.ip(t, 'route', 'add', 'default', 'via', PROBER4[0], 'dev', first)
            self.ip(t, '-6', 'route', 'add', 'default', 'via', PROBER6[0], 'dev', first)
        self.ip(p, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
        self.mac = {}
        for namespace in (t, p):
            for link in json.loads(self.ip(namespace, '-j', 'link', 'show')):
                self.mac[namespace, link['ifname']] = link.get('address')
        # Permanent neighbours both ways: a ruleset that drops neighbour discovery must not stop the
        # target from answering, nor the prober's own connect() from reaching it.
        for address in PROBER4 + PROBER6:
            self.ip(t, 'neigh', 'replace', address, 'lladdr', self.mac[p, 'eth0'], 'dev', first, 'nud', 'permanent')
        for address in (PROBER4_ETH1, PROBER6_ETH1):
            self.ip(t, 'neigh', 'replace', address, 'lladdr', self.mac[p, 'eth1'], 'dev', 'eth1', 'nud', 'permanent')
        for address in (TARGET4, TARGET4_SECOND, TARGET6, TARGET6_SECOND):
            self.ip(p, 'neigh', 'replace', address, 'lladdr', self.mac[t, first], 'dev', 'eth0', 'nud', 'permanent')
        for address in (TARGET4_ETH1, TARGET6_ETH1):
            self.ip(p, 'neigh', 'replace', address, 'lladdr', self.mac[t, 'eth1'], 'dev', 'eth1', 'nud', 'permanent')
        with _Inside(p):
            self.sniffers = {}
            for link in ('eth0', 'eth1'):
                sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
                sniffer.bind((link, ETH_P_ALL))
                sniffer.setblocking(False)
                self.sniffers[link] = sniffer
                self.sockets.append(sniffer)

    def close(self):
        for item in self.sockets:
            item.close()
        self.sockets = []
        for namespace in self._created:
            run('ip', 'netns', 'delete', namespace, check=False)
        self._created = []

    def __enter__(self):
        return self

    def __exit__(self, *dummy):
        self.close()

    # The ruleset under test.
    def reset(self):
        self.exec_in(self.target, 'sh', '-c', 'nft flush ruleset; ipset destroy 2>/dev/null; true')

    def load(self, nft=None, iptables=None, ip6tables=None, ipset=None):
        if ipset:
            self.exec_in(self.target, 'ipset', 'restore', input=ipset)
        if nft:
            self.exec_in(self.target, 'nft', '-f', '-', input=nft)
        if iptables:
            self.exec_in(self.target, 'iptables-restore', input=iptables)
        if ip6tables:
            self.exec_in(self.target, 'ip6tables-restore', input=ip6tables)

    # What the verify module reads on a host, read in one shell in the target (a tool that is
    # missing gives an empty listing, as on a host without it).
    _STATE = (('nft', 'nft -j list ruleset'), ('nft_chains', 'nft list chains'),
              ('iptables', 'iptables-save'), ('ip6tables', 'ip6tables-save'), ('ipset', 'ipset save'),
              ('addresses', 'ip -j address show'), ('routes4', 'ip -j -4 route show table main'),
              ('routes6', 'ip -j -6 route show table main'), ('links', 'ip -j -d link show'),
              ('forward4', 'sysctl -n net.ipv4.ip_forward'), ('forward6', 'sysctl -n net.ipv6.conf.all.forwarding'),
              ('route_localnet', 'grep -H . /proc/sys/net/ipv4/conf/*/route_localnet'))
    _MARK = '@@bmfw-oracle@@'

    def state(self):
        script = '; '.join('%s 2>/dev/null; echo %s' % (command, self._MARK) for dummy, command in self._STATE)
        parts = self.exec_in(self.target, 'sh', '-c', script).split(self._MARK + '\n')
        found = dict((key, text) for (key, dummy), text in zip(self._STATE, parts))
        for key in ('addresses', 'routes4', 'routes6', 'links'):
            found[key] = json.loads(found[key])
        found['forwarding'] = {4: found.pop('forward4').strip(), 6: found.pop('forward6').strip()}
        # {interface or 'all': set}, as the verify module reads /proc/sys/net/ipv4/conf/*/route_localnet.
        found['route_localnet'] = dict((line.split('/')[-2], line.rsplit(':', 1)[1].strip() != '0')
                                       for line in found['route_localnet'].splitlines() if ':' in line)
        return found

    # Probing.
    def listen(self, tcp_ports, udp_ports, groups=True):
        """Listeners in the target on every port a batch probes; returns the UDP sockets."""
        made = []
        with _Inside(self.target):
            for family in (socket.AF_INET, socket.AF_INET6):
                for port in sorted(set(tcp_ports)):
                    server = socket.socket(family, socket.SOCK_STREAM)
                    if family == socket.AF_INET6:
                        server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    server.bind(('0.0.0.0' if family == socket.AF_INET else '::', port))
                    server.listen(1024)
                    server.setblocking(False)
                    made.append(('tcp', server))
                for port in sorted(set(udp_ports)):
                    server = socket.socket(family, socket.SOCK_DGRAM)
                    if family == socket.AF_INET6:
                        server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    server.bind(('0.0.0.0' if family == socket.AF_INET else '::', port))
                    server.setblocking(False)
                    if groups and family == socket.AF_INET:
                        request = socket.inet_aton(GROUP4) + socket.inet_aton(TARGET4)
                        server.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, request)
                    elif groups:
                        index = socket.if_nametoindex(self.first)
                        request = socket.inet_pton(socket.AF_INET6, GROUP6) + struct.pack('@I', index)
                        server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, request)
                    made.append(('udp', server))
        self.sockets.extend(sock for dummy, sock in made)
        return made

    def _frame(self, cell):
        data = cell.packet()
        target_link = self.first if cell.iface == 'eth0' else cell.iface
        destination = ipaddress.ip_address(cell.dst)
        if destination.is_multicast and cell.family == 4:
            raw = destination.packed
            mac = bytes([0x01, 0x00, 0x5E, raw[1] & 0x7F, raw[2], raw[3]])
        elif destination.is_multicast:
            mac = b'\x33\x33' + destination.packed[-4:]
        else:
            mac = bytes(int(part, 16) for part in self.mac[self.target, target_link].split(':'))
        source = bytes(int(part, 16) for part in self.mac[self.prober, cell.iface].split(':'))
        return mac + source + struct.pack('!H', ETH_P_IP if cell.family == 4 else ETH_P_IPV6) + data

    def probe(self, cells, wait=WAIT):
        """{cell name: (kernel verdict 'open' or 'closed', what was seen)} for a batch of cells."""
        udp_ports = set(cell.dport for cell in cells if cell.kind == 'udp')
        tcp_ports = set(cell.dport for cell in cells if cell.kind in ('syn', 'connect'))
        return self.probe_with(cells, self.listen(tcp_ports, udp_ports), wait)

    def probe_with(self, cells, listeners, wait=WAIT):
        for cell in cells:
            cell.token = next_token()
        self._drain()
        connecting = []
        with _Inside(self.prober):
            senders = dict((link, socket.socket(socket.AF_PACKET, socket.SOCK_RAW)) for link in ('eth0', 'eth1'))
            try:
                for link, sender in senders.items():
                    sender.bind((link, 0))
                for cell in cells:
                    if cell.kind == 'connect':
                        connecting.append((cell, self._connect(cell)))
                    else:
                        senders[cell.iface].send(self._frame(cell))
            finally:
                for sender in senders.values():
                    sender.close()
        seen = self._sniff(wait)
        received = self._received(listeners)
        found = {}
        for cell in cells:
            if cell.kind == 'connect':
                client = dict((c.name, s) for c, s in connecting)[cell.name]
                error = client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                connected = _connected(client)
                client.close()
                found[cell.name] = ('open', 'connected') if connected else (
                    'closed', errno.errorcode.get(error, 'no answer') if error else 'no answer')
            elif cell.kind == 'udp':
                found[cell.name] = ('open', 'received') if cell.token in received else ('closed', 'not received')
            else:
                what = seen.get((cell.family, cell.kind, cell.token), 'nothing')
                found[cell.name] = ('open' if what in ('syn-ack', 'echo-reply', 'protocol-unreachable') else 'closed',
                                    what)
        for kind, sock in listeners:
            if kind == 'tcp':
                _accept_all(sock)
        return found

    def _connect(self, cell):
        client = socket.socket(socket.AF_INET if cell.family == 4 else socket.AF_INET6, socket.SOCK_STREAM)
        client.setblocking(False)
        client.bind((cell.src, cell.token))
        client.connect_ex((cell.dst, cell.dport))
        return client

    def _drain(self):
        for sniffer in self.sniffers.values():
            while True:
                try:
                    sniffer.recv(65535)
                except BlockingIOError:
                    break

    def _sniff(self, wait):
        seen = {}
        deadline = time.time() + wait
        sniffers = list(self.sniffers.values())
        while True:
            left = deadline - time.time()
            if left <= 0:
                break
            ready, dummy, dummy = select.select(sniffers, [], [], left)
            for sniffer in ready:
                while True:
                    try:
                        data, address = sniffer.recvfrom(65535)
                    except BlockingIOError:
                        break
                    if address[2] == PACKET_OUTGOING:
                        continue
                    parsed = parse_reply(data)
                    if parsed is not None:
                        key, what = parsed
                        # A SYN-ACK outranks anything else seen for the same probe.
                        if seen.get(key) != 'syn-ack':
                            seen[key] = what
        return seen

    def _received(self, listeners):
        tokens = set()
        for kind, sock in listeners:
            if kind != 'udp':
                continue
            while True:
                try:
                    data = sock.recv(65535)
                except BlockingIOError:
                    break
                if data[:4] == b'bmfw' and len(data) >= 8:
                    tokens.add(struct.unpack('!I', data[4:8])[0])
        return tokens


def _connected(client):
    dummy, writable, dummy = select.select([], [client], [], 0)
    if not writable:
        return False
    try:
        client.getpeername()
    except OSError:
        return False
    return True


def _accept_all(server):
    while True:
        try:
            conn, dummy = server.accept()
        except (BlockingIOError, OSError):
            return
        conn.close()


@functools.lru_cache(maxsize=None)
def _has(tool):
    return subprocess.call(['which', tool], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def parse_reply(frame):
    """((family, cell kind, token), what) of a frame the target sent back, or None."""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack('!H', frame[12:14])[0]
    data = frame[14:]
    if ethertype == ETH_P_IP and len(data) >= 20:
        length = (data[0] & 0x0F) * 4
        proto, body = data[9], data[length:]
        family = 4
    elif ethertype == ETH_P_IPV6 and len(data) >= 40:
        proto, body = data[6], data[40:]
        family = 6
    else:
        return None
    if proto == 6 and len(body) >= 14:
        dummy, dport = struct.unpack('!HH', body[:4])
        flags = body[13]
        if flags & 0x12 == 0x12:
            return (family, 'syn', dport), 'syn-ack'
        if flags & 0x04:
            return (family, 'syn', dport), 'rst'
        return None
    if (family, proto) in ((4, 1), (6, 58)) and len(body) >= 8:
        kind, code = body[0], body[1]
        if (family, kind) in ((4, 0), (6, 129)):
            return (family, 'icmp', struct.unpack('!H', body[4:6])[0]), 'echo-reply'
        quoted = body[8:]
        if family == 4 and kind == 3 and len(quoted) >= 20:
            token = struct.unpack('!H', quoted[4:6])[0]
            what = 'protocol-unreachable' if code == 2 else 'icmp-unreachable-%d' % code
            original = quoted[9]
            return (4, _kind_of(original), _token_of(original, quoted, 4, token)), what
        if family == 6 and kind in (1, 4) and len(quoted) >= 40:
            token = struct.unpack('!I', quoted[:4])[0] & 0xFFFFF
            what = 'protocol-unreachable' if (kind, code) == (4, 1) else 'icmpv6-%d-%d' % (kind, code)
            return (6, _kind_of(quoted[6]), _token_of(quoted[6], quoted, 6, token)), what
    return None


def _kind_of(proto):
    return {6: 'syn', 17: 'udp', 1: 'icmp', 58: 'icmp'}.get(proto, 'raw')


def _token_of(proto, quoted, family, header_token):
    """A quoted TCP probe is known by its source port; anything else by the IP id / flow label."""
    if proto == 6:
        offset = (quoted[0] & 0x0F) * 4 if family == 4 else 40
        if len(quoted) >= offset + 2:
            return struct.unpack('!H', quoted[offset:offset + 2])[0]
    return header_token
