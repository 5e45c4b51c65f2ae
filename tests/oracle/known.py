"""The cells where the engine answers `unknown` against the kernel, and why (issue 26: it may say
unknown, never a wrong verdict). Each hand-written entry was checked against `make oracle-report`: the
kernel's answer on that cell is the one the case's comment in cases.py explains, and the engine leaves
it unknown because the construct is not modelled, not because the oracle asked about another packet."""

import re

from ansible_collections.bluemind.firewall.plugins.module_utils import packet_space as space

_MANGLE = 'a payload rewrite before the input decision is not modelled: what it changes is unknown'
_BRIDGE = ('the bridge family\'s hooks are not modelled: frames to a bridge that holds an address are unknown, '
           'whichever way the kernel went')
_BRIDGE_PORT = ('an ingress chain of a bridge port sees the frame before the bridge: the packet\'s iif is the bridge, '
                'whose part is unknown')
_REDIRECT = ('eth0 is named by no rule, so it is the "any other interface" of the box, whose first address '
             '(redirect\'s new destination) is not one; the input rule on daddr then may or may not match')
_TH = 'th dport on protocol 253 reads bytes the box does not model (only the five port protocols have ports)'
_FRAGMENT = ('ip6 nexthdr behind a Fragment header: 44 as sent, the transport protocol once nf_defrag_ipv6 has '
             'reassembled it (when conntrack is loaded): unknown')

# (case, cell): (the construct, why the engine leaves it unknown).
UNKNOWN_CELLS = {
    ('mangle-tcp-dport-set', 'syn-2222-4'): ('tcp dport set at prerouting -300', _MANGLE),
    ('mangle-tcp-dport-set', 'syn-2222-6'): ('tcp dport set at prerouting -300', _MANGLE),
    ('mangle-ip-saddr-set', 'from-b-4'): ('ip saddr set at prerouting -300', _MANGLE),
    ('mangle-ip-saddr-set', 'from-b-6'): ('ip6 saddr set at prerouting -300', _MANGLE),
    ('bridge-family-table', 'from-a-4'): ('bridge table, address on br0', _BRIDGE),
    ('bridge-family-table', 'from-b-4'): ('bridge table, address on br0', _BRIDGE),
    ('bridge-family-table', 'from-a-6'): ('bridge table, address on br0', _BRIDGE),
    ('bridge-family-table', 'from-b-6'): ('bridge table, address on br0', _BRIDGE),
    ('netdev-chain-on-bridge-port', 'from-a-4'): ('ingress chain on eth0, a port of br0', _BRIDGE_PORT),
    ('netdev-chain-on-bridge-port', 'from-b-4'): ('ingress chain on eth0, a port of br0', _BRIDGE_PORT),
    ('netdev-chain-on-bridge-port', 'from-a-6'): ('ingress chain on eth0, a port of br0', _BRIDGE_PORT),
    ('netdev-chain-on-bridge-port', 'from-b-6'): ('ingress chain on eth0, a port of br0', _BRIDGE_PORT),
    ('ip6-nexthdr', 'ext-frag-6'): ('ip6 nexthdr tcp, Fragment header', _FRAGMENT),
    ('redirect-to-first-address', 'second-address-4'): ('redirect, then ip daddr', _REDIRECT),
    ('redirect-to-first-address', 'first-address-4'): ('redirect, then ip daddr', _REDIRECT),
    ('redirect-to-first-address', 'second-address-6'): ('redirect, then ip6 daddr', _REDIRECT),
    ('redirect-to-first-address', 'first-address-6'): ('redirect, then ip6 daddr', _REDIRECT),
    ('th-dport', 'proto253-port22-4'): ('th dport, protocol 253', _TH),
    ('th-dport', 'proto253-port22-6'): ('th dport, protocol 253', _TH),
    ('th-dport', 'proto253-port23-4'): ('th dport, protocol 253', _TH),
    ('th-dport', 'proto253-port23-6'): ('th dport, protocol 253', _TH),
}

_TRANSPORT_HEADER = re.compile(r'(^|\s)th [ds]port\b')
_NEXT_HEADER = re.compile(r'(^|\s)ip6 nexthdr\b')


def random_reason(cell, rule):
    """Why a random ruleset's cell may be unknown, from the cell and the rule the engine names; None
    when no known limit of the model explains it (the test then fails)."""
    rule = rule or ''
    if cell.proto not in space.PORT_PROTOCOLS and _TRANSPORT_HEADER.search(rule):
        return 'th on %s reads %s, which the box does not model' % (
            {1: 'ICMP', 58: 'ICMPv6'}.get(cell.proto, 'protocol %d' % cell.proto),
            'the checksum' if cell.proto in (1, 58) else 'bytes without ports')
    if 'frag' in cell.ext and _NEXT_HEADER.search(rule):
        return _FRAGMENT
    return None


def reason(case, cell, rule):
    """Why an unknown cell is unknown: the table's entry, or the random cases' rule; None: unexplained."""
    if (case, cell.name) in UNKNOWN_CELLS:
        return '%s: %s' % UNKNOWN_CELLS[case, cell.name]
    if case.startswith('random-'):
        return random_reason(cell, rule)
    return None
