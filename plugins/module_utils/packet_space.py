# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sets of packets as boxes: one set of integer intervals per header field.

The exact check does not pick sample packets: it follows whole sets of packets through the rules.
A rule's condition is a conjunction of "field in set" atoms, so cutting a box by a rule gives one
box that matches and at most one box per atom that does not. Every packet of a box meets the same
rules the same way, so one verdict holds for the whole box.

An interval set is a tuple of (first, last) pairs, sorted, disjoint and not adjacent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

# Dimensions of a box, in this order.
FAMILY, PROTO, DPORT, SPORT, SADDR, DADDR, IIF, TTL, TYPE, CODE, CT, FLAGS, EXTHDR = range(13)
DIMENSIONS = ('family', 'proto', 'dport', 'sport', 'saddr', 'daddr', 'iif', 'ttl', 'type', 'code', 'ct', 'tcp flags',
              'ipv6 extension header')

# Connection tracking states of the evaluated packets, as numbers for the CT dimension.
CT_STATES = ('new', 'established', 'related', 'invalid', 'untracked')
CT_NEW, CT_INVALID, CT_UNTRACKED = CT_STATES.index('new'), CT_STATES.index('invalid'), CT_STATES.index('untracked')
# Every state that has a conntrack entry (ct keys other than state only match these).
CT_TRACKED = ((0, 2),)

# TCP flag bits, as the FLAGS dimension numbers them (the TCP header's flags byte).
TCP_FLAG_BITS = {'fin': 1, 'syn': 2, 'rst': 4, 'psh': 8, 'ack': 16, 'urg': 32, 'ecn': 64, 'ece': 64, 'cwr': 128}


def _first_packet_flags():
    # Linux opens a connection from any segment with SYN set and ACK, RST and FIN clear: SYN|ECE|CWR
    # (ECN), SYN|PSH and SYN|URG too, not SYN alone.
    syn, closed = TCP_FLAG_BITS['syn'], TCP_FLAG_BITS['ack'] | TCP_FLAG_BITS['rst'] | TCP_FLAG_BITS['fin']
    return tuple((value, value) for value in range(256) if value & syn and not value & closed)


FIRST_PACKET_FLAGS = _first_packet_flags()

# IPv6 extension headers a first packet may carry before its transport header, as the EXTHDR
# dimension numbers them (0: none), and the next-header number of each. A Routing header is split by
# its type: type 0 (deprecated by RFC 5095, which firewalls drop by name) and the others.
EXTHDR_NAMES = ('none', 'hop-by-hop', 'destination options', 'routing type 0', 'routing', 'fragment')
EXTHDR_NONE, EXTHDR_HBH, EXTHDR_DST, EXTHDR_ROUTING0, EXTHDR_ROUTING, EXTHDR_FRAGMENT = range(6)
EXTHDR_NUMBERS = {EXTHDR_HBH: 0, EXTHDR_DST: 60, EXTHDR_ROUTING0: 43, EXTHDR_ROUTING: 43, EXTHDR_FRAGMENT: 44}

ADDRESS_BITS = {4: 32, 6: 128}
EMPTY = ()

PROTOCOL_NUMBERS = {
    'hopopt': 0, 'icmp': 1, 'igmp': 2, 'ipip': 4, 'ipencap': 4, 'tcp': 6, 'egp': 8, 'udp': 17,
    'ipv6': 41, 'rsvp': 46, 'gre': 47, 'esp': 50, 'ah': 51, 'icmpv6': 58, 'ipv6-icmp': 58,
    'ospf': 89, 'ospfigp': 89, 'pim': 103, 'comp': 108, 'vrrp': 112, 'l2tp': 115, 'sctp': 132,
    'udplite': 136, 'dccp': 33, 'mpls-in-ip': 137, 'ipv6-route': 43, 'ipv6-frag': 44, 'ipv6-opts': 60,
    'ipv6-nonxt': 59,
}
PROTOCOL_NAMES = dict((number, name) for name, number in sorted(PROTOCOL_NUMBERS.items(), reverse=True))
PROTOCOL_NAMES.update({1: 'icmp', 4: 'ipip', 58: 'icmpv6', 89: 'ospf'})
# Protocols whose header starts with source and destination ports.
PORT_PROTOCOLS = (6, 17, 33, 132, 136)

ICMP_TYPES = {
    'echo-reply': 0, 'destination-unreachable': 3, 'source-quench': 4, 'redirect': 5,
    'echo-request': 8, 'router-advertisement': 9, 'router-solicitation': 10, 'time-exceeded': 11,
    'parameter-problem': 12, 'timestamp-request': 13, 'timestamp-reply': 14, 'info-request': 15,
    'info-reply': 16, 'address-mask-request': 17, 'address-mask-reply': 18,
}
ICMPV6_TYPES = {
    'destination-unreachable': 1, 'packet-too-big': 2, 'time-exceeded': 3, 'parameter-problem': 4,
    'echo-request': 128, 'echo-reply': 129, 'mld-listener-query': 130, 'mld-listener-report': 131,
    'mld-listener-done': 132, 'mld-listener-reduction': 132, 'nd-router-solicit': 133,
    'nd-router-advert': 134, 'nd-neighbor-solicit': 135, 'nd-neighbor-advert': 136, 'nd-redirect': 137,
    'router-renumbering': 138, 'ind-neighbor-solicit': 141, 'ind-neighbor-advert': 142,
    'mld2-listener-report': 143,
}
ICMPV6_NODE_INFORMATION_QUERY = 139


def interval_set(ranges):
    """The normal form of any iterable of (first, last) pairs."""
    merged = []
    for first, last in sorted(ranges):
        if first > last:
            continue
        if merged and first <= merged[-1][1] + 1:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return tuple(merged)


def single(value):
    return ((value, value),)


def intersect(left, right):
    if not left or not right:
        return EMPTY
    if left is right:
        return left
    found = []
    i = j = 0
    while i < len(left) and j < len(right):
        low = max(left[i][0], right[j][0])
        high = min(left[i][1], right[j][1])
        if low <= high:
            found.append((low, high))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return tuple(found)


def subtract(left, right):
    if not left or not right:
        return left
    found = []
    j = 0
    for first, last in left:
        low = first
        while j < len(right) and right[j][1] < low:
            j += 1
        k = j
        while k < len(right) and right[k][0] <= last:
            if right[k][0] > low:
                found.append((low, right[k][0] - 1))
            low = max(low, right[k][1] + 1)
            k += 1
        if low <= last:
            found.append((low, last))
    return tuple(found)


def union(left, right):
    return interval_set(left + right)


def contains(values, number):
    for first, last in values:
        if first <= number <= last:
            return True
        if first > number:
            return False
    return False


def size(values):
    return sum(last - first + 1 for first, last in values)


def boxes_intersect(left, right):
    """The box of packets in both, or None."""
    found = []
    for a, b in zip(left, right):
        both = intersect(a, b)
        if not both:
            return None
        found.append(both)
    return tuple(found)


def cut(box, dim, values):
    """(the part of box whose field dim is in values or None, the part that is not or None)."""
    inside = intersect(box[dim], values)
    if not inside:
        return None, box
    outside = subtract(box[dim], values)
    if not outside:
        return box, None
    return replace(box, dim, inside), replace(box, dim, outside)


def replace(box, dim, values):
    return box[:dim] + (values,) + box[dim + 1:]


def box_minus(box, partial):
    """Boxes that together hold box minus the packets that meet every {dim: values} of partial."""
    found = []
    rest = box
    for dim, values in partial.items():
        inside, outside = cut(rest, dim, values)
        if outside is not None:
            found.append(outside)
        if inside is None:
            return found
        rest = inside
    return found


def box_within(box, partial):
    """The part of box that meets every {dim: values} of partial, or None."""
    for dim, values in partial.items():
        box = box if box[dim] is values else replace(box, dim, intersect(box[dim], values))
        if not box[dim]:
            return None
    return box


def coalesce(boxes):
    """Fewer boxes for the same packets: boxes equal in every field but one are merged."""
    boxes = list(set(boxes))
    changed = True
    while changed and len(boxes) > 1:
        changed = False
        for dim in range(len(boxes[0])):
            groups = {}
            for box in boxes:
                groups.setdefault(box[:dim] + box[dim + 1:], []).append(box)
            if len(groups) == len(boxes):
                continue
            changed = True
            boxes = []
            for members in groups.values():
                merged = members[0]
                for other in members[1:]:
                    merged = replace(merged, dim, union(merged[dim], other[dim]))
                boxes.append(merged)
    return boxes


def address_number(text):
    address = ipaddress.ip_address(text)
    return address.version, int(address)


def network_interval(text):
    """(version, (first, last)) of a CIDR or an address."""
    network = ipaddress.ip_network(text, strict=False)
    return network.version, (int(network.network_address), int(network.broadcast_address))


def address_text(version, number):
    return str(ipaddress.IPv4Address(number) if version == 4 else ipaddress.IPv6Address(number))


def prefixes(version, values):
    """CIDR texts that cover an address interval set exactly."""
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    found = []
    for first, last in values:
        for network in ipaddress.summarize_address_range(make(first), make(last)):
            found.append(str(network) if network.num_addresses > 1 else str(network.network_address))
    return found


def ranges_text(values, full=None):
    """'1-21,23-24' for a number interval set."""
    return ','.join(str(a) if a == b else '%d-%d' % (a, b) for a, b in values)


def full_range(dim, version=4, interfaces=1):
    if dim == FAMILY:
        return ((4, 6),)
    if dim in (SADDR, DADDR):
        return ((0, (1 << ADDRESS_BITS[version]) - 1),)
    if dim in (DPORT, SPORT):
        return ((0, 65535),)
    if dim == IIF:
        return ((0, interfaces - 1),)
    if dim == CT:
        return ((0, len(CT_STATES) - 1),)
    if dim == EXTHDR:
        return ((0, len(EXTHDR_NAMES) - 1),) if version == 6 else single(EXTHDR_NONE)
    return ((0, 255),)
