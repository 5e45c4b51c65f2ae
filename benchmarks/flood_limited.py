"""What a flood costs the legitimate clients of a submission port (587), public and limited, side by
side in one run (issue 28's benchmark): new connections a second the host accepts from legitimate
sources while a flooder hammers the port, and with no flood as the baseline.

Three throwaway network namespaces on this machine, joined by veth pairs (nothing leaves it):
"server" holds the collection's real ruleset (the role's policy and template rendered here, as
`make unit` renders them, loaded with nft) and a listener on 587 that accepts and closes.
"flooder" runs one flood a phase, from one source, then from FLOOD_SOURCES (each an IPv4 address or
an IPv6 /64 of its own, so that each takes an entry of the meter set):
  connections  new TCP connections opened as fast as one process can, each closed once connected;
  SYNs         first packets only, written as fast as one process can from addresses no one answers
               from (the SYN-ACKs die in the flooder): every SYN the firewall lets in leaves a
               half-open connection in the server's connection tracking for 60 s.
"clients" holds the legitimate ones: OUTSIDERS addresses (each an IPv6 /64 of its own too) paced
together at OUTSIDER_RATE a second, each far below the limit (30 a minute, burst 20, the defaults),
and one cluster peer, exempt from the meters, connecting as fast as the host answers (PEER_PARALLEL
at once). Everything shares this machine's CPUs: the flooder's, the clients' and the server's work.

Each phase builds its namespaces afresh (empty meters, bans and connection tracking), starts the
flood, then the clients for SECONDS, and once all have ended reads the server's nf_conntrack_count
(and how many of its entries are the flood's) and the size of the meter and ban sets. The
namespaces are deleted on exit, on failure and on SIGINT, SIGTERM and SIGHUP too; any
`ip netns list | grep bmfw-flood-` left after a kill -9 is this script's: `ip netns delete` it.
Needs root, ip and nft. It uses both cores: run it under the containers lock.
usage: flock -o /tmp/bmfw-containers.lock python3 benchmarks/flood_limited.py [SECONDS] [FLOOD_SOURCES] [ROUNDS]
       (defaults 5, 256 and 1: under 3 minutes; the peer's rate moves with the machine's other load,
       which more rounds of median phases smooth out)
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

import jinja2
import yaml

import collection_path  # noqa: E402  (this directory is the script's own)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = collection_path.importable()
ROLE = os.path.join(ROOT, 'roles', 'host_firewall')
TRAFFIC = [sys.executable, os.path.join(HERE, 'flood_traffic.py')]

# pylint: disable=wrong-import-position
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import nftables_view  # noqa: E402
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import build_policy  # noqa: E402

PORT = 587
OUTSIDERS, OUTSIDER_RATE = 250, 100
PEER_PARALLEL = 4
# Addresses: the server's two links (to the flooder, to the clients), then routed ranges held on
# the flooder's and the clients' loopback. Every IPv6 source is alone in its /64, as every IPv4
# source is alone in its address: the meters count an IPv6 /64 as one source.
LINKS = {4: {'flooder': ('10.77.0.1', '10.77.0.2', 24), 'clients': ('10.77.1.1', '10.77.1.2', 24)},
         6: {'flooder': ('fd77::1', 'fd77::2', 64), 'clients': ('fd77:1::1', 'fd77:1::2', 64)}}
RANGES = {4: {'flood': '10.78.0.0/16', 'outsiders': '10.79.0.0/16', 'peer': '10.80.0.0/24', 'spoofed': '10.81.0.0/16'},
          6: {'flood': 'fd78::/16', 'outsiders': 'fd79::/16', 'peer': 'fd80::/16', 'spoofed': 'fd81::/16'}}
# The flood's sources as the server's connection tracking writes them (compressed IPv6).
FLOOD_PREFIXES = ('src=10.78.', 'src=10.81.', 'src=fd78:', 'src=fd81:')
FLOOD_ADDRESSES = 256
SETTINGS = {
    'optional_services': ['submission'],
    # Admin sources of their own, so that SSH is not limited by default: "public" then has no meter at all.
    'admin_sources': ['10.77.9.0/24', 'fd77:9::/64'],
    'cluster_sources': [RANGES[4]['peer'], RANGES[6]['peer']],
}
EXPOSURES = ('public', 'limited')


def source(family, kind, index):
    """The index-th address (from 1) of a range: IPv4 within the range, IPv6 one per /64."""
    if family == 4:
        base = RANGES[4][kind].split('/', maxsplit=1)[0].rsplit('.', 2)[0]
        return '%s.%d.%d' % (base, index // 250, index % 250 + 1)
    return '%s:%x::1' % (RANGES[6][kind].split('::', maxsplit=1)[0], index)


def ruleset(exposure):
    with open(os.path.join(ROLE, 'vars', 'main.yml')) as handle:
        port_table = yaml.safe_load(handle)['bluemind_firewall_port_table']
    settings = dict(SETTINGS, exposure={'submission': exposure})
    server = [LINKS[4]['flooder'][0], LINKS[6]['flooder'][0]]
    policy = build_policy(port_table, settings, {'group': 'bluemind', 'hosts': {'mail': server}})
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLE, 'templates')),
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, keep_trailing_newline=True)
    text = environment.get_template('bluemind_firewall.nft.j2').render(**nftables_view(policy))
    # A benchmark of nothing if the setting did not reach the ruleset: limited meters 587, public meters nothing.
    metered = 'tcp dport { %d } update @meters_v4' % PORT in text and 'update @meters_v6' in text
    if metered != (exposure == 'limited') or (exposure == 'public' and '@meters_' in text):
        raise SystemExit('the %s ruleset does not meter what it should:\n%s' % (exposure, text))
    return text


def run(command, text_input=None):
    result = subprocess.run(command, input=text_input, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError('failed: %s\n%s%s' % (' '.join(command)[:300], result.stdout[-2000:], result.stderr[-2000:]))
    return result.stdout


class Lab(object):
    """The three namespaces of one phase, the processes started in them, and their removal."""

    def __init__(self, flood_sources):
        suffix = '%d-%04x' % (os.getpid(), random.getrandbits(16))
        self.names = {role: 'bmfw-flood-%s-%s' % (suffix, role) for role in ('server', 'flooder', 'clients')}
        self.processes = []
        self.created = []
        self.flood_sources = flood_sources

    def __enter__(self):
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *dummy):
        self.close()

    def exec_in(self, role, *command, **kwargs):
        return run(['ip', 'netns', 'exec', self.names[role]] + list(command), **kwargs)

    def _build(self):
        for name in self.names.values():
            run(['ip', 'netns', 'add', name])
            self.created.append(name)
            # No duplicate address detection: an address it holds back for a second or two, a
            # link-local one included, stalls the first IPv6 connections of the phase.
            run(['ip', 'netns', 'exec', name, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0',
                 'net.ipv6.conf.default.accept_dad=0'])
        server = self.names['server']
        batches = {role: [] for role in self.names}
        for side in ('flooder', 'clients'):
            batches['server'].append('link add %s type veth peer name eth0 netns %s' % (side, self.names[side]))
            batches['server'].append('link set %s up' % side)
            batches[side] += ['link set eth0 up', 'link set lo up']
            for family in (4, 6):
                here, there, length = LINKS[family][side]
                flag = ' nodad' if family == 6 else ''
                batches['server'].append('addr add %s/%d dev %s%s' % (here, length, side, flag))
                batches[side].append('addr add %s/%d dev eth0%s' % (there, length, flag))
                batches[side].append('route add default via %s' % here)
        batches['server'].append('link set lo up')
        for family in (4, 6):
            for kind, side in (('flood', 'flooder'), ('spoofed', 'flooder'), ('outsiders', 'clients'), ('peer', 'clients')):
                batches['server'].append('route add %s via %s' % (RANGES[family][kind], LINKS[family][side][1]))
            # The SYN flood's sources are held by no one: the server's SYN-ACKs to them vanish in
            # the flooder (a blackhole route, forwarding on so that no ICMP error answers them).
            batches['flooder'].append('route add blackhole %s' % RANGES[family]['spoofed'])
            for kind, count in (('flood', self.flood_sources), ('outsiders', OUTSIDERS), ('peer', 1)):
                side = 'flooder' if kind == 'flood' else 'clients'
                for index in range(1, count + 1):
                    batches[side].append('addr add %s/%d dev lo' % (source(family, kind, index), 32 if family == 4 else 128))
        for role, lines in batches.items():
            run(['ip', '-n', self.names[role], '-batch', '-'], text_input='\n'.join(lines) + '\n')
        self._neighbours()
        # The clients' and the flooder's ephemeral ports: all of them, and TIME_WAIT ports reused.
        for side in ('flooder', 'clients'):
            self.exec_in(side, 'sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535', 'net.ipv4.tcp_tw_reuse=1')
        self.exec_in('flooder', 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1')
        listener = self.start('server', 'listen', str(PORT))
        if listener.stdout.readline().strip() != 'ready':
            raise RuntimeError('the listener in %s did not start' % server)

    def _neighbours(self):
        """Permanent neighbour entries both ways on both links: no resolution delays the first
        connections, and none competes with the flood for the links' neighbour queues."""
        for side in ('flooder', 'clients'):
            for family in (4, 6):
                here, there, dummy = LINKS[family][side]
                run(['ip', '-n', self.names['server'], 'neigh', 'replace', there, 'lladdr', self.mac(side, 'eth0'), 'dev', side,
                     'nud', 'permanent'])
                run(['ip', '-n', self.names[side], 'neigh', 'replace', here, 'lladdr', self.mac('server', side), 'dev', 'eth0',
                     'nud', 'permanent'])

    def mac(self, role, link):
        return json.loads(run(['ip', '-n', self.names[role], '-j', 'link', 'show', link]))[0]['address']

    def check(self, family):
        """One connection from each side's link address, at once, before anything is measured."""
        for side in ('flooder', 'clients'):
            here, there, dummy = LINKS[family][side]
            report = json.loads(self.start(side, 'connect', here, str(PORT), '0.1', 'rate:1', there).communicate()[0])
            if not report['connected'] or report['failed'] or report['p99_ms'] > 100:
                raise RuntimeError('the %s cannot connect at once to the server over IPv%d: %s' % (side, family, report))

    def load(self, text):
        self.exec_in('server', 'nft', '-f', '-', text_input=text)

    def start(self, role, *arguments):
        process = subprocess.Popen(['ip', 'netns', 'exec', self.names[role]] + TRAFFIC + list(arguments),
                                   stdout=subprocess.PIPE, text=True)
        self.processes.append(process)
        return process

    def server_counts(self, family):
        """{'conntrack': nf_conntrack_count, 'flood_conntrack': the flood's entries of it, 'meters',
        'bans': entries of the family's sets} in the server now."""
        counts = {'conntrack': int(self.exec_in('server', 'cat', '/proc/sys/net/netfilter/nf_conntrack_count'))}
        table = self.exec_in('server', 'cat', '/proc/net/nf_conntrack')
        counts['flood_conntrack'] = sum(1 for line in table.splitlines() if any(prefix in line for prefix in FLOOD_PREFIXES))
        for name in ('meters', 'bans'):
            listing = subprocess.run(['ip', 'netns', 'exec', self.names['server'], 'nft', '-j', 'list', 'set', 'inet',
                                      'bluemind_firewall', '%s_v%d' % (name, family)],
                                     capture_output=True, text=True, check=False).stdout
            counts[name] = sum(len(item.get('set', {}).get('elem', []))
                               for item in json.loads(listing or '{"nftables": []}')['nftables'])
        return counts

    def close(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        self.processes = []
        for name in self.created:
            subprocess.run(['ip', 'netns', 'delete', name], capture_output=True, check=False)
        self.created = []


def phase(family, exposure, flood, seconds):
    """One measurement: {'outsiders', 'peer', 'flood': reports, 'conntrack', 'flood_conntrack', 'meters', 'bans'}."""
    kind, count = flood
    with Lab(FLOOD_ADDRESSES) as lab:
        # Before the ruleset: the check's connections then take no place in the meters.
        lab.check(family)
        lab.load(ruleset(exposure))
        target = {side: LINKS[family][side][0] for side in ('flooder', 'clients')}
        # The flood runs before, during and a little after the clients' window.
        length = str(seconds + 1.0)
        flooder = None
        if kind == 'connections':
            flooder = lab.start('flooder', 'flood', target['flooder'], str(PORT), length,
                                *[source(family, 'flood', index) for index in range(1, count + 1)])
        elif kind == 'syns':
            flooder = lab.start('flooder', 'synflood', target['flooder'], str(PORT), length, 'eth0', lab.mac('server', 'flooder'),
                                *[source(family, 'spoofed', index) for index in range(1, count + 1)])
        if flooder:
            time.sleep(0.5)
        outsiders = lab.start('clients', 'connect', target['clients'], str(PORT), str(seconds), 'rate:%d' % OUTSIDER_RATE,
                              *[source(family, 'outsiders', index) for index in range(1, OUTSIDERS + 1)])
        peer = lab.start('clients', 'connect', target['clients'], str(PORT), str(seconds), 'parallel:%d' % PEER_PARALLEL,
                         source(family, 'peer', 1))
        result = {'outsiders': json.loads(outsiders.communicate()[0]), 'peer': json.loads(peer.communicate()[0]),
                  'flood': json.loads(flooder.communicate()[0]) if flooder else None}
        # Once every client and the flooder are done: the entries they left behind (half-open 60 s,
        # closed 10 s, TIME_WAIT 120 s) are all still there, and no longer change under the count.
        result.update(lab.server_counts(family))
    return result


def _stop(signum, dummy):
    raise SystemExit('stopped by signal %d' % signum)


def per_second(report, key='connected'):
    return report[key] / report['seconds'] if report else 0.0


def flood_rate(result):
    """The flood's connections that connected a second, or its SYNs sent a second."""
    flood = result['flood']
    if not flood:
        return None
    return per_second(flood, 'connected' if 'connected' in flood else 'sent')


def cell(result):
    rate = flood_rate(result)
    return '%5.1f %6s %6.0f %7s %6d %6d %6d %5d' % (
        per_second(result['outsiders']), result['outsiders']['p99_ms'], per_second(result['peer']),
        '-' if rate is None else '%.0f' % rate, result['conntrack'], result['flood_conntrack'], result['meters'],
        result['bans'])


def ratio(high, low):
    return '%5.2f' % (high / low) if low else '    -'


def report(results, floods, seconds, rounds, elapsed, load):
    if rounds > 1:
        print('each cell: of %d rounds, the phase of median peer/s' % rounds)
    print('submission (587), %g s a phase, IPv4 then IPv6; legitimate: %d outsiders paced together at %d/s (each '
          'under the limit), one cluster peer (exempt) %d connections at a time'
          % (seconds, OUTSIDERS, OUTSIDER_RATE, PEER_PARALLEL))
    print('out/s, p99ms: the outsiders\' connections a second and their p99 latency; peer/s: the peer\'s; flood/s: '
          'the flood\'s connections that connected (SYNs: sent) a second;')
    print('conntrk, flood: nf_conntrack_count in the server at the end, and the flood\'s entries of it; meters, bans: '
          'entries of the sets (limited)')
    names = ('out/s', 'p99ms', 'peer/s', 'flood/s', 'conntrk', 'flood', 'meters', 'bans')
    columns = '%5s %6s %6s %7s %6s %6s %6s %5s' % names
    width = max(len(label) for label, dummy in floods)
    print('%-4s %-*s | %s | %s | %s' % ('', width, '', 'public'.center(len(columns)), 'limited'.center(len(columns)),
                                        'limited/public'))
    print('%-4s %-*s | %s | %s | %s' % ('', width, 'flood', columns, columns, 'out/s peer/s flood/s'))
    for family in (4, 6):
        for label, flood in floods:
            public, limited = (results[(family, flood, exposure)] for exposure in EXPOSURES)
            floods_through = '    -'
            if flood[0] == 'connections':
                floods_through = ratio(flood_rate(limited), flood_rate(public))
            print('IPv%d %-*s | %s | %s | %s  %s  %s' % (
                family, width, label, cell(public), cell(limited),
                ratio(per_second(limited['outsiders']), per_second(public['outsiders'])),
                ratio(per_second(limited['peer']), per_second(public['peer'])), floods_through))
    print('peer/s under each flood / with none (same family and exposure):')
    for family in (4, 6):
        for exposure in EXPOSURES:
            base = per_second(results[(family, floods[0][1], exposure)]['peer'])
            shares = ['%s %.2f' % (label, per_second(results[(family, flood, exposure)]['peer']) / base)
                      for label, flood in floods[1:]]
            print('  IPv%d %-8s %s' % (family, exposure, ';  '.join(shares)))
    print('%.0f s in all; load average %.2f before, %.2f after (%d CPUs)'
          % (elapsed, load, os.getloadavg()[0], os.cpu_count()))


def main():
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    many = int(sys.argv[2]) if len(sys.argv) > 2 else FLOOD_ADDRESSES
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    if not 1 <= many <= FLOOD_ADDRESSES:
        sys.exit('FLOOD_SOURCES: 1 to %d' % FLOOD_ADDRESSES)
    floods = [('none', (None, 0)),
              ('connections, 1 source', ('connections', 1)), ('connections, %d sources' % many, ('connections', many)),
              ('SYNs, 1 source', ('syns', 1)), ('SYNs, %d sources' % many, ('syns', many))]
    load = os.getloadavg()[0]
    started = time.monotonic()
    phases = {}
    for number in range(rounds):
        for family in (4, 6):
            for label, flood in floods:
                # Each round swaps which exposure goes first, so that a drift in the machine's
                # load does not always favour the same one.
                for exposure in EXPOSURES if number % 2 == 0 else reversed(EXPOSURES):
                    result = phase(family, exposure, flood, seconds)
                    phases.setdefault((family, flood, exposure), []).append(result)
                    print('round %d, IPv%d, %s, flood %s: peer %.0f/s'
                          % (number + 1, family, exposure, label, per_second(result['peer'])), file=sys.stderr, flush=True)
    # Of several rounds, each cell shows its phase of median peer rate (one real phase, every column
    # of it), since the peer's rate is what the machine's other load moves most.
    results = {key: sorted(runs, key=lambda item: per_second(item['peer']))[(len(runs) - 1) // 2]
               for key, runs in phases.items()}
    report(results, floods, seconds, rounds, time.monotonic() - started, load)


if __name__ == '__main__':
    main()
