"""The rulesets the oracle sends packets against: one hand-written case per construct of issue 26,
and random rulesets (seeded, bounded) over the constructs the engine models."""

import random

from netns import (
    GROUP4, GROUP6, OFF_LINK4, OFF_LINK6, PROBER4, PROBER4_ETH1, PROBER6, PROBER6_ETH1, TARGET4, TARGET4_SECOND,
    TARGET6, TARGET6_SECOND, Cell,
)
from oracle import Case

A4, B4, C4 = PROBER4[1:4]
A6, B6, C6 = PROBER6[1:4]
SOURCE = {4: A4, 6: A6}
ECN = ('syn', 'ece', 'cwr')
PSH = ('syn', 'psh')


def syn(name, family, dport=22, src=None, **options):
    return Cell(name, family, 'syn', src or SOURCE[family], dport=dport, **options)


def each_family(make, *arguments, **options):
    """The same cell for IPv4 and IPv6, named with a 4 or 6 suffix."""
    return [make(*arguments, family=family, **options) for family in (4, 6)]


def _syn(name, family, **options):
    return syn('%s%d' % (name, family), family, **options)


def _kind(kind):
    def make(name, family, **options):
        return Cell('%s%d' % (name, family), family, kind, options.pop('src', SOURCE[family]), **options)
    return make


def nft(*lines):
    return '\n'.join(lines) + '\n'


def input_chain(policy, *rules, **options):
    return nft('table inet %s {' % options.get('table', 'f'),
               '  chain input {',
               '    type filter hook input priority %d; policy %s;' % (options.get('priority', 0), policy),
               *['    %s' % rule for rule in rules]) + '  }\n}\n'


_CONNECT, _UDP, _ICMP, _RAW = _kind('connect'), _kind('udp'), _kind('icmp'), _kind('raw')

STANDARD = (
    each_family(_syn, 'syn-22-') + each_family(_syn, 'syn-80-', dport=80)
    + each_family(_syn, 'ecn-syn-22-', flags=ECN) + each_family(_syn, 'syn-psh-22-', flags=PSH)
    + each_family(_CONNECT, 'connect-22-', dport=22) + each_family(_UDP, 'udp-53-', dport=53)
    + each_family(_UDP, 'udp-54-', dport=54) + each_family(_ICMP, 'echo-')
    + each_family(_RAW, 'proto253-')
    + [syn('off-link-22-4', 4, src=OFF_LINK4), syn('off-link-22-6', 6, src=OFF_LINK6),
       syn('eth1-22-4', 4, src=PROBER4_ETH1, iface='eth1'), syn('eth1-22-6', 6, src=PROBER6_ETH1, iface='eth1'),
       Cell('group-udp-53-4', 4, 'udp', A4, dst=GROUP4, dport=53),
       Cell('group-udp-53-6', 6, 'udp', A6, dst=GROUP6, dport=53)]
    + [syn('ext-%s-22-6' % ext, 6, ext=(ext,)) for ext in ('hbh', 'dst', 'rt', 'frag')]
)


def standard():
    """A fresh copy of the standard cells (a cell carries its token of one batch)."""
    return [Cell(c.name, c.family, c.kind, c.src, dst=c.dst, dport=c.dport, flags=c.flags, ext=c.ext,
                 iface=c.iface, ttl=c.ttl) for c in STANDARD]


HAND = [
    # The harness itself, and the constructs the engine models today: every cell must agree.
    Case('no-ruleset', standard()),
    Case('filter-policy-drop', standard(), nft=input_chain(
        'drop', 'tcp dport 22 accept', 'udp dport 53 accept', 'meta l4proto { icmp, ipv6-icmp } accept')),
    Case('l4proto-with-extension-headers', standard(), nft=input_chain('drop', 'meta l4proto tcp tcp dport 22 accept')),

    # Mangling before the input decision.
    Case('mangle-tcp-dport-set', each_family(_syn, 'syn-2222-', dport=2222) + each_family(_syn, 'syn-22-'),
         nft=nft('table inet m {',
                 '  chain pre {', '    type filter hook prerouting priority -300; policy accept;',
                 '    tcp dport 2222 tcp dport set 22', '  }',
                 '  chain input {', '    type filter hook input priority 0; policy drop;',
                 '    tcp dport 22 accept', '  }', '}')),
    Case('mangle-ip-saddr-set', [syn('from-b-4', 4, src=B4), syn('from-a-4', 4), syn('from-c-4', 4, src=C4),
                                 syn('from-b-6', 6, src=B6), syn('from-a-6', 6), syn('from-c-6', 6, src=C6)],
         nft=nft('table inet m {',
                 '  chain pre {', '    type filter hook prerouting priority -300; policy accept;',
                 '    ip saddr %s ip saddr set %s' % (B4, A4), '    ip6 saddr %s ip6 saddr set %s' % (B6, A6), '  }',
                 '  chain input {', '    type filter hook input priority 0; policy drop;',
                 '    ip saddr %s accept' % A4, '    ip6 saddr %s accept' % A6, '  }', '}')),

    # Conntrack state where conntrack has not run yet, and untracked packets. (An ingress chain with
    # `ct state` cannot be built here: this kernel refuses ct in the netdev family, "Protocol error".)
    Case('ct-state-before-conntrack', each_family(_syn, 'syn-22-') + each_family(_UDP, 'udp-53-', dport=53),
         nft=nft('table inet raw {',
                 '  chain pre {', '    type filter hook prerouting priority -300; policy accept;',
                 '    ct state invalid drop', '  }', '}')),
    Case('notrack', each_family(_syn, 'syn-22-') + each_family(_syn, 'syn-80-', dport=80),
         nft=nft('table inet raw {',
                 '  chain pre {', '    type filter hook prerouting priority -300; policy accept;',
                 '    tcp dport 22 notrack', '  }',
                 '  chain input {', '    type filter hook input priority 0; policy drop;',
                 '    ct state new accept', '  }', '}')),

    # A nat chain on the input hook: its drop is honoured.
    # Conntrack must be on (any ct match turns it on in a namespace): without it the kernel runs no
    # nat chain at all, as on a host where nothing uses conntrack.
    Case('nat-chain-on-input-drops', each_family(_syn, 'syn-22-') + [syn('syn-80-4', 4, dport=80)],
         nft=nft('table ip n {',
                 '  chain in {', '    type nat hook input priority 100; policy accept;',
                 '    tcp dport 22 drop', '  }', '}') + input_chain('accept', 'ct state invalid drop')),

    # A host whose address sits on a bridge: bridge tables, and netdev chains of the lower device.
    Case('bridge-family-table', [syn('from-a-4', 4), syn('from-b-4', 4, src=B4),
                                 syn('from-a-6', 6), syn('from-b-6', 6, src=B6)], bridge=True,
         nft=nft('table bridge b {',
                 '  chain in {', '    type filter hook input priority 0; policy accept;',
                 '    ip saddr %s drop' % A4, '    ip6 saddr %s drop' % A6, '  }', '}')),
    Case('netdev-chain-on-bridge-port', [syn('from-a-4', 4), syn('from-b-4', 4, src=B4),
                                         syn('from-a-6', 6), syn('from-b-6', 6, src=B6)], bridge=True,
         nft=nft('table netdev n {',
                 '  chain in {', '    type filter hook ingress device "eth0" priority 0; policy accept;',
                 '    ip saddr %s drop' % A4, '    ip6 saddr %s drop' % A6, '  }', '}')),

    # Two next hops on the default route: `ip -j route` gives no dev.
    Case('multipath-default-route', [syn('off-link-4', 4, src=OFF_LINK4), syn('off-link-6', 6, src=OFF_LINK6),
                                     syn('on-link-4', 4), syn('on-link-6', 6)], multipath=True,
         nft=input_chain('drop', 'ip saddr 203.0.113.0/24 accept', 'ip6 saddr 2001:db8::/32 accept')),

    # ipset nomatch entries carve holes out of a set.
    Case('ipset-nomatch', [syn('from-a-4', 4), syn('from-b-4', 4, src=B4)], needs=('ipset',),
         ipset='create allowed hash:net family inet\nadd allowed 10.99.0.0/24\nadd allowed %s/32 nomatch\n' % A4,
         iptables='*filter\n:INPUT DROP [0:0]\n-A INPUT -m set --match-set allowed src -j ACCEPT\nCOMMIT\n'),

    # The first TCP packet's flags: ECN SYN (SYN|ECE|CWR) and SYN|PSH open connections too.
    Case('tcp-flags-equal-syn', each_family(_syn, 'syn-') + each_family(_syn, 'ecn-syn-', flags=ECN)
         + each_family(_syn, 'syn-psh-', flags=PSH),
         nft=input_chain('drop', 'tcp dport 22 tcp flags == syn accept')),
    Case('tcp-flags-not-syn-drop', each_family(_syn, 'syn-') + each_family(_syn, 'ecn-syn-', flags=ECN)
         + each_family(_syn, 'syn-psh-', flags=PSH),
         nft=input_chain('accept', 'tcp dport 22 tcp flags != syn drop')),
    Case('iptables-tcp-flags-all-syn', [syn('syn-4', 4), syn('ecn-syn-4', 4, flags=ECN), syn('syn-psh-4', 4, flags=PSH)],
         iptables='*filter\n:INPUT DROP [0:0]\n'
                  '-A INPUT -p tcp -m tcp --dport 22 --tcp-flags FIN,SYN,RST,PSH,ACK,URG SYN -j ACCEPT\nCOMMIT\n'),

    # IPv6 extension headers before TCP: `ip6 nexthdr` is the first header's number, not TCP's.
    Case('ip6-nexthdr', [syn('plain-6', 6)] + [syn('ext-%s-6' % ext, 6, ext=(ext,)) for ext in ('hbh', 'dst', 'rt', 'frag')],
         nft=input_chain('drop', 'ip6 nexthdr tcp accept')),

    # Multicast destinations: fib daddr type and pkttype are not those of a unicast packet.
    Case('multicast-fib-daddr-type', [Cell('group-4', 4, 'udp', A4, dst=GROUP4, dport=5353),
                                      Cell('unicast-4', 4, 'udp', A4, dport=5353),
                                      Cell('group-6', 6, 'udp', A6, dst=GROUP6, dport=5353),
                                      Cell('unicast-6', 6, 'udp', A6, dport=5353)],
         nft=input_chain('drop', 'fib daddr type local udp dport 5353 accept')),
    Case('multicast-pkttype-host', [Cell('group-4', 4, 'udp', A4, dst=GROUP4, dport=53),
                                    Cell('unicast-4', 4, 'udp', A4, dport=53),
                                    Cell('group-6', 6, 'udp', A6, dst=GROUP6, dport=53),
                                    Cell('unicast-6', 6, 'udp', A6, dport=53)],
         nft=input_chain('drop', 'meta pkttype host udp dport 53 accept')),

    # redirect's new destination is the incoming interface's first address: for IPv4 the primary
    # (10.99.0.1); for IPv6 the first `ip addr` lists, the last added (fd99::9).
    Case('redirect-to-first-address', [syn('second-address-4', 4, dst=TARGET4_SECOND, dport=2222),
                                       syn('first-address-4', 4, dst=TARGET4, dport=2222),
                                       syn('second-address-6', 6, dst=TARGET6_SECOND, dport=2222),
                                       syn('first-address-6', 6, dst=TARGET6, dport=2222)], extra_tcp=(22,),
         nft=nft('table inet n {',
                 '  chain pre {', '    type nat hook prerouting priority -100; policy accept;',
                 '    tcp dport 2222 redirect to :22', '  }', '}')
         + input_chain('drop', 'ip daddr %s tcp dport 22 accept' % TARGET4, 'ip6 daddr %s tcp dport 22 accept' % TARGET6)),

    # th dport reads any protocol's first bytes.
    Case('th-dport', each_family(_RAW, 'proto253-port22-', dport=22) + each_family(_RAW, 'proto253-port23-', dport=23)
         + each_family(_syn, 'syn-22-'), nft=input_chain('accept', 'th dport 22 drop')),

    # iptables-save forms.
    Case('iptables-comment-bang', [syn('syn-22-4', 4), syn('syn-80-4', 4, dport=80)],
         iptables='*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m comment --comment "!" -m tcp --dport 22 -j DROP\nCOMMIT\n'),
    Case('iptables-icmp-type-code', [Cell('echo-4', 4, 'icmp', A4), Cell('echo-6', 6, 'icmp', A6)],
         iptables='*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p icmp -m icmp --icmp-type 8/1 -j DROP\nCOMMIT\n',
         ip6tables='*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128/1 -j DROP\nCOMMIT\n'),
    Case('dnat-to-localhost-nft', [syn('syn-2222-4', 4, dport=2222)], extra_tcp=(22,),
         nft=nft('table ip n {',
                 '  chain pre {', '    type nat hook prerouting priority -100; policy accept;',
                 '    tcp dport 2222 dnat to 127.0.0.1:22', '  }', '}')),
    Case('dnat-to-localhost-iptables', [syn('syn-2222-4', 4, dport=2222)], extra_tcp=(22,),
         iptables='*nat\n:PREROUTING ACCEPT [0:0]\n'
                  '-A PREROUTING -p tcp -m tcp --dport 2222 -j DNAT --to-destination 127.0.0.1:22\nCOMMIT\n'),

    # The easy ones that come out unknown.
    Case('concatenated-set-accept', [syn('allowed-4', 4), syn('other-source-4', 4, src=B4),
                                     syn('other-port-4', 4, dport=80)],
         nft=nft('table inet f {',
                 '  set allowed { type ipv4_addr . inet_service; elements = { %s . 22 } }' % A4,
                 '  chain input {', '    type filter hook input priority 0; policy drop;',
                 '    ip saddr . tcp dport @allowed accept', '  }', '}')),
    Case('inet-dnat-ip-with-ipv6', [syn('syn-2222-4', 4, dport=2222), syn('syn-2222-6', 6, dport=2222)],
         extra_tcp=(22,),
         nft=nft('table inet n {',
                 '  chain pre {', '    type nat hook prerouting priority -100; policy accept;',
                 '    tcp dport 2222 dnat ip to %s:22' % TARGET4, '  }', '}')
         + input_chain('accept', 'tcp dport 2222 drop', table='g')),
    Case('fib-reverse-path', [syn('on-link-4', 4), syn('off-link-4', 4, src=OFF_LINK4),
                              syn('eth1-source-on-eth0-4', 4, src=PROBER4_ETH1),
                              syn('on-link-6', 6), syn('off-link-6', 6, src=OFF_LINK6),
                              syn('eth1-source-on-eth0-6', 6, src=PROBER6_ETH1)],
         nft=nft('table inet f {',
                 '  chain pre {', '    type filter hook prerouting priority -150; policy accept;',
                 '    fib saddr . iif oif missing drop', '  }', '}')),
]


# Random rulesets over what the engine models: sources, ports, protocols (ip protocol, ip6 nexthdr),
# conntrack state, TCP flags, TTL, input interface; accept, drop, reject, jump, return, goto. Their cells
# include first packets with ECN or PSH beside SYN and behind an IPv6 extension header.
RANDOM_SEEDS = range(40)
_PORTS = (22, 53, 80)


def _atoms(rnd):
    """The matches of one rule: one family, and at most one transport protocol, so that nft accepts it."""
    family = rnd.choice((4, 6))
    sources = PROBER4[1:4] if family == 4 else PROBER6[1:4]
    ip = 'ip' if family == 4 else 'ip6'
    proto = rnd.choice(('tcp', 'tcp', 'udp', 'icmp', None))
    general = [
        lambda: '%s saddr %s' % (ip, rnd.choice(sources)),
        lambda: '%s saddr != %s' % (ip, rnd.choice(sources)),
        lambda: '%s saddr { %s }' % (ip, ', '.join(rnd.sample(sources, 2))),
        lambda: 'ct state %s' % rnd.choice(('new', 'established,related', 'invalid', 'new,established')),
        lambda: '%s %s' % ('ip ttl' if family == 4 else 'ip6 hoplimit', rnd.choice(('< 10', '64', '!= 64', '> 32'))),
        lambda: rnd.choice(('iifname "eth1"', 'iifname != "eth1"', 'iifname "eth*"')),
    ]
    # The protocol by its header field: nft refuses one that contradicts the rule's transport protocol.
    field = 'ip protocol' if family == 4 else 'ip6 nexthdr'
    icmp = 'icmp' if family == 4 else 'ipv6-icmp'
    specific = {
        'tcp': [lambda: 'tcp dport %d' % rnd.choice(_PORTS),
                lambda: 'tcp dport { %s }' % ', '.join(str(p) for p in rnd.sample(_PORTS, 2)),
                lambda: 'tcp dport != %d' % rnd.choice(_PORTS),
                lambda: 'th dport %d' % rnd.choice(_PORTS),
                lambda: rnd.choice(('tcp flags & (fin|syn|rst|ack) == syn', 'tcp flags syn',
                                    'tcp flags & (syn|ack) == syn|ack', 'tcp flags == syn', 'tcp flags != syn',
                                    'tcp flags & (ecn|cwr) != 0', 'tcp flags & psh == psh')),
                lambda: '%s tcp' % field],
        'udp': [lambda: 'udp dport %d' % rnd.choice(_PORTS), lambda: 'udp dport != %d' % rnd.choice(_PORTS),
                lambda: '%s udp' % field],
        'icmp': [lambda: 'icmp type echo-request' if family == 4 else 'icmpv6 type echo-request',
                 lambda: '%s %s' % (field, icmp)],
        None: [lambda: 'meta l4proto %s' % rnd.choice(('tcp', 'udp', 'icmp', 'ipv6-icmp')),
               lambda: '%s != %s' % (field, rnd.choice(('tcp', 'udp')))],
    }[proto]
    count = rnd.choice((1, 1, 2, 3))
    atoms = [rnd.choice(specific)()] + [rnd.choice(general + specific)() for dummy in range(count - 1)]
    if proto is None and sum(1 for atom in atoms if atom.startswith('meta l4proto')) > 1:
        atoms = [atom for atom in atoms if not atom.startswith('meta l4proto')][:1] or atoms[:1]
    rnd.shuffle(atoms)
    return atoms


def _rules(rnd, verdicts, count):
    return [' '.join(_atoms(rnd) + [rnd.choice(verdicts)]) for dummy in range(count)]


def random_case(seed):
    rnd = random.Random(seed)
    lines = ['table inet r%d {' % seed]
    c2 = _rules(rnd, ('accept', 'drop', 'reject', 'return', 'counter'), rnd.randint(1, 4))
    lines += ['  chain c2 {'] + ['    %s' % r for r in c2] + ['  }']
    c1 = _rules(rnd, ('accept', 'drop', 'return', 'jump c2', 'counter'), rnd.randint(1, 4))
    lines += ['  chain c1 {'] + ['    %s' % r for r in c1] + ['  }']
    lines += ['  chain input {', '    type filter hook input priority 0; policy %s;' % rnd.choice(('accept', 'drop'))]
    lines += ['    %s' % r for r in _rules(rnd, ('accept', 'drop', 'reject', 'jump c1', 'goto c2', 'counter'),
                                           rnd.randint(2, 8))] + ['  }', '}']
    if rnd.random() < 0.4:
        # A second table: a drop anywhere closes, whatever the first accepted.
        hook, priority = rnd.choice((('prerouting', -150), ('input', 10), ('input', -10)))
        lines += ['table inet s%d {' % seed, '  chain c {',
                  '    type filter hook %s priority %d; policy accept;' % (hook, priority)]
        lines += ['    %s' % r for r in _rules(rnd, ('accept', 'drop'), rnd.randint(1, 3))] + ['  }', '}']
    return Case('random-%d' % seed, random_cells(), nft='\n'.join(lines) + '\n')


def random_cells():
    cells = []
    for family, sources, eth1, off in ((4, PROBER4[1:4], PROBER4_ETH1, OFF_LINK4), (6, PROBER6[1:4], PROBER6_ETH1, OFF_LINK6)):
        for index, source in enumerate(sources):
            for port in (22, 80):
                cells.append(syn('syn-%d-from-%d-%d' % (port, index, family), family, dport=port, src=source))
            cells.append(Cell('udp-53-from-%d-%d' % (index, family), family, 'udp', source, dport=53))
            cells.append(Cell('echo-from-%d-%d' % (index, family), family, 'icmp', source))
        cells.append(syn('syn-22-ttl5-%d' % family, family, ttl=5))
        cells.append(syn('syn-22-eth1-%d' % family, family, src=eth1, iface='eth1'))
        cells.append(syn('syn-53-off-link-%d' % family, family, dport=53, src=off))
        cells.append(Cell('connect-80-%d' % family, family, 'connect', sources[1], dport=80))
        cells.append(syn('ecn-syn-22-%d' % family, family, src=sources[2], flags=ECN))
        cells.append(syn('syn-psh-80-%d' % family, family, dport=80, src=sources[2], flags=PSH))
    # The same first packet behind each IPv6 extension header the engine models.
    cells.extend(syn('ext-%s-22-6' % ext, 6, src=PROBER6[3], ext=(ext,)) for ext in ('hbh', 'dst', 'rt', 'frag'))
    return cells
