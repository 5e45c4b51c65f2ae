"""The engine's verdict for the packets the kernel was sent, and the comparison of the two.

The ruleset is read back from the target namespace exactly as the verify module reads a host
(`nft -j list ruleset`, `nft list chains`, iptables-save, ip6tables-save, `ipset save`, `ip -j`,
`ip -j -d link`, the forwarding and route_localnet sysctls),
and each cell becomes the engine's Packet for exactly the packet sent: same family, protocol,
ports, source, destination (a multicast group included), input interface, TTL, TCP flags and IPv6
extension header. A cell the engine's Packet cannot stand for is refused, not approximated.

A cell is classified:
  agree      the engine's verdict is the kernel's;
  unknown    the engine says unknown (sound, imprecise);
  unjudged   verification never judges this source on this interface (plausible_sources): it
             reports nothing for it, whatever the kernel does;
  DISAGREE   the engine says open or closed, and the kernel did the opposite.
"""

import ipaddress
import textwrap

from ansible_collections.bluemind.firewall.plugins.module_utils import verification
from ansible_collections.bluemind.firewall.plugins.module_utils import packet_space as space
from ansible_collections.bluemind.firewall.plugins.module_utils.ruleset import Evaluator, Packet

import netns

AGREE, UNKNOWN, UNJUDGED, DISAGREE = 'agree', 'unknown', 'unjudged', 'DISAGREE'
# (case, cell, deciding rule, why) of each random cell the engine left unknown in this run, for the
# summary at the end of `make oracle`.
RANDOM_UNKNOWN = []


class Engine(object):
    """The engine over the ruleset and host read back from a lab's target."""

    def __init__(self, state, first_link='eth0'):
        self.tables = verification.live_tables(state['nft'], state['iptables'], state['ip6tables'],
                                               ipsets=state['ipset'], nft_chains=state['nft_chains'])
        self.host = verification.host_from_listings(state['addresses'], state['routes4'], state['routes6'],
                                                    state['links'], state['forwarding'],
                                                    verification.route_localnet_of(state['route_localnet']))
        self.first_link = first_link
        self.evaluators = {}

    def evaluator(self, family):
        if family not in self.evaluators:
            self.evaluators[family] = Evaluator(self.tables, family, self.host)
        return self.evaluators[family]

    def packet(self, cell):
        family = 'ipv%d' % cell.family
        iif = self.first_link if cell.iface == 'eth0' else cell.iface
        icmp_type = (8 if cell.family == 4 else 128) if cell.kind == 'icmp' else None
        sport = 40000 if cell.kind == 'raw' else (cell.token or 40000)
        dport = cell.dport if cell.kind != 'icmp' else None
        flags = cell.flags if cell.proto == 6 else ()
        return Packet(family, cell.proto, dport, cell.src, cell.dst, iif, sport=sport, icmp_type=icmp_type,
                      ttl=cell.ttl, flags=flags, exthdr=_exthdr(cell))

    def judged(self, cell):
        """Whether verification judges this source arriving on this interface at all."""
        family = 'ipv%d' % cell.family
        evaluator = self.evaluator(family)
        iif = self.first_link if cell.iface == 'eth0' else cell.iface
        arrivals = verification.plausible_sources(evaluator, self.host, cell.family)
        number = int(ipaddress.ip_address(cell.src))
        return space.contains(arrivals.get(evaluator.interface_index(iif), ()), number)

    def verdict(self, cell):
        """('open' | 'closed' | 'unknown' | 'unjudged' | 'error', the deciding rule)."""
        if not self.judged(cell):
            return 'unjudged', None
        evaluator = self.evaluator('ipv%d' % cell.family)
        try:
            decision = evaluator.decide(self.packet(cell))
        except AssertionError as error:
            return 'error', str(error)
        return decision.verdict, decision.report().get('rule')


# The engine's EXTHDR value of each extension header a cell can carry. netns sends a Routing header of
# type 0 with no segment left, which the engine tells apart from the other routing types.
_EXTHDR = {'hbh': space.EXTHDR_HBH, 'dst': space.EXTHDR_DST, 'rt': space.EXTHDR_ROUTING0,
           'frag': space.EXTHDR_FRAGMENT}


def _exthdr(cell):
    # The engine's box holds one extension header per packet: a chain of them has no Packet.
    if len(cell.ext) > 1:
        raise ValueError('%s: the engine models one IPv6 extension header, not %s' % (cell.name, cell.ext))
    return _EXTHDR[cell.ext[0]] if cell.ext else space.EXTHDR_NONE


def classify(engine, kernel):
    if engine == 'unjudged':
        return UNJUDGED
    if engine == 'unknown':
        return UNKNOWN
    return AGREE if engine == kernel else DISAGREE


class Case(object):
    """A ruleset (nft text, iptables-restore text, ipset restore text) and the cells sent against it.
    extra_tcp / extra_udp: ports that need a listener although no cell names them (a DNAT's target)."""

    def __init__(self, name, cells, nft=None, iptables=None, ip6tables=None, ipset=None, bridge=False,
                 multipath=False, extra_tcp=(), extra_udp=(), needs=()):
        self.name = name
        self.cells = cells
        self.nft = nft
        self.iptables = iptables
        self.ip6tables = ip6tables
        self.ipset = ipset
        self.bridge = bridge
        self.multipath = multipath
        self.extra_tcp = extra_tcp
        self.extra_udp = extra_udp
        self.needs = needs

    @property
    def topology(self):
        return (self.bridge, self.multipath)


def run_case(lab, case):
    """[(cell, kernel verdict, what the kernel did, engine verdict, deciding rule, class)]."""
    lab.reset()
    lab.load(case.nft, case.iptables, case.ip6tables, case.ipset)
    listeners = lab.listen(set(c.dport for c in case.cells if c.kind in ('syn', 'connect')) | set(case.extra_tcp),
                           set(c.dport for c in case.cells if c.kind == 'udp') | set(case.extra_udp))
    try:
        kernel = lab.probe_with(case.cells, listeners)
        engine = Engine(lab.state(), lab.first)
        verdicts = dict((cell.name, engine.verdict(cell)) for cell in case.cells)
        again = [cell for cell in case.cells if kernel[cell.name][0] == 'closed' and verdicts[cell.name][0] == 'open']
        if again:
            kernel.update(lab.probe_with(again, listeners, netns.RETRY_WAIT))
        found = []
        for cell in case.cells:
            seen, what = kernel[cell.name]
            verdict, rule = verdicts[cell.name]
            found.append((cell, seen, what, verdict, rule, classify(verdict, seen)))
        return found
    finally:
        for dummy, sock in listeners:
            sock.close()
            lab.sockets.remove(sock)


def table_text(results):
    """A plain-text table of results, for failures and the report."""
    lines = []
    for case, rows in results:
        for cell, seen, what, verdict, rule, kind in rows:
            lines.append('%-22s %-26s kernel=%-6s (%-20s) engine=%-8s %-8s %s' % (
                case, cell.name, seen, what, verdict, kind, rule or ''))
    return '\n'.join(lines)


def unknown_text(entries):
    """The unknown cells grouped by why: [(case, cell, deciding rule, why or None)] as lines."""
    grouped = {}
    for case, cell, rule, why in entries:
        grouped.setdefault(why or 'NOT EXPLAINED (rule: %s)' % rule, []).append('%s/%s' % (case, cell.name))
    lines = []
    for why, names in sorted(grouped.items()):
        lines.append('%d cells: %s' % (len(names), why))
        lines.append(textwrap.fill(' '.join(names), 100, initial_indent='    ', subsequent_indent='    '))
    return '\n'.join(lines)


def _sources(family):
    return netns.PROBER4[1:4] if family == 4 else netns.PROBER6[1:4]


def run_cases(chosen):
    """[(case name, rows)] of run_case over cases, one lab per topology, every lab deleted after.
    A case needing a tool that is missing gets no rows."""
    labs = {}
    results = []
    try:
        for case in chosen:
            if any(not netns._has(tool) for tool in case.needs):
                continue
            if case.topology not in labs:
                labs[case.topology] = netns.Lab(bridge=case.bridge, multipath=case.multipath)
            results.append((case.name, run_case(labs[case.topology], case)))
    finally:
        for lab in labs.values():
            lab.close()
    return results
