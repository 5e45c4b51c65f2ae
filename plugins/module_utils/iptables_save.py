# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads `iptables-save` / `ip6tables-save` into the ruleset model.

ufw, Docker, fail2ban and bm-iptables write iptables rules. With the nf_tables backend of iptables
they show in `nft -j` as opaque `xt` expressions; iptables-save prints them readably, so their
tables are read from here and skipped in the nft output. An unknown match module answers None.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex

from ansible_collections.bluemind.firewall.plugins.module_utils.ruleset import (
    ACCEPT, DROP, GOTO, JUMP, REDIRECT, REJECT, RETURN, UNKNOWN,
    Chain, Rule, Table, Values, interface_matches, negate, reads_source,
)

# Hook and priority of the built-in chains an inbound packet meets (iptables' fixed priorities).
BUILTIN_CHAINS = {
    ('raw', 'PREROUTING'): ('prerouting', -300, 'filter'),
    ('mangle', 'PREROUTING'): ('prerouting', -150, 'filter'),
    ('nat', 'PREROUTING'): ('prerouting', -100, 'nat'),
    ('mangle', 'INPUT'): ('input', -150, 'filter'),
    ('filter', 'INPUT'): ('input', 0, 'filter'),
    ('security', 'INPUT'): ('input', 50, 'filter'),
    ('nat', 'INPUT'): ('input', 100, 'nat'),
}
_TARGETS = {'ACCEPT': ACCEPT, 'DROP': DROP, 'REJECT': REJECT, 'RETURN': RETURN, 'DNAT': REDIRECT,
            'REDIRECT': REDIRECT, 'QUEUE': UNKNOWN, 'NFQUEUE': UNKNOWN, 'TPROXY': UNKNOWN}
# Targets that do not end a packet's path: it goes on to the next rule.
_NON_TERMINAL = ('LOG', 'NFLOG', 'ULOG', 'MARK', 'CONNMARK', 'CT', 'NOTRACK', 'TCPMSS', 'CLASSIFY',
                 'TRACE', 'AUDIT', 'SECMARK', 'CONNSECMARK', 'DSCP', 'TOS', 'TTL', 'HL', 'SET',
                 'CHECKSUM', 'IDLETIMER', 'LED', 'RATEEST')
_PROTOCOL_NUMBERS = {'6': 'tcp', '17': 'udp'}
_TCP_FLAGS = ('SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH')
# A new inbound connection to this host: a unicast packet to a local address, with only SYN set.
_PACKET_ADDRESS_TYPES = {'dst': ('LOCAL', 'UNICAST'), 'src': ('UNICAST',)}


def _undecidable(packet):
    return None


def _never(packet):
    return False


def _interface_condition(pattern):
    return lambda packet: interface_matches(pattern, packet.iif)


def _negated(condition):
    return lambda packet: negate(condition(packet))


def _ports(text):
    values = Values()
    for item in text.split(','):
        first, dummy, last = item.partition(':')
        values.add_range(int(first or 0), int(last or first) if dummy else int(first))
    return values


def _flag_set(text):
    return set(_TCP_FLAGS) if text == 'ALL' else set() if text == 'NONE' else set(text.split(','))


def _module_condition(module, option, arguments, protocol):
    """A condition packet -> True/False/None for one option of a match module."""
    value = arguments[0] if arguments else ''
    if module in ('tcp', 'udp'):
        if option in ('--dport', '--destination-port'):
            ports = _ports(value)
            return lambda packet: packet.proto == module and ports.contains(packet.dport)
        if option == '--syn':
            return lambda packet: packet.proto == 'tcp'
        if option == '--tcp-flags' and len(arguments) == 2:
            mask, wanted = _flag_set(arguments[0]), _flag_set(arguments[1])
            return lambda packet: packet.proto == 'tcp' and ({'SYN'} & mask) == wanted
        return lambda packet: False if packet.proto != module else None
    if module == 'multiport':
        ports = _ports(value)
        if option in ('--dports', '--destination-ports'):
            return lambda packet: packet.proto in ('tcp', 'udp') and ports.contains(packet.dport)
        if option == '--ports':
            return lambda packet: packet.proto in ('tcp', 'udp') and (ports.contains(packet.dport) or None)
        return _undecidable
    if (module, option) in (('conntrack', '--ctstate'), ('state', '--state')):
        states = value.upper().split(',')
        return lambda packet: 'NEW' in states
    if module == 'addrtype' and option in ('--dst-type', '--src-type'):
        types = value.upper().split(',')
        packet_types = _PACKET_ADDRESS_TYPES[option[2:5]]
        return lambda packet: any(kind in packet_types for kind in types)
    if module == 'addrtype' and option.startswith('--limit-iface'):
        return lambda packet: True
    if module == 'iprange' and option in ('--src-range', '--dst-range'):
        addresses = Values()
        first, dummy, last = value.partition('-')
        addresses.add_range(first, last or first)
        if option == '--src-range':
            return reads_source(lambda packet: addresses.contains(packet.saddr))
        return lambda packet: None if packet.daddr is None else addresses.contains(packet.daddr)
    if module == 'pkttype' and option == '--pkt-type':
        return lambda packet: value.lower() in ('unicast', 'host')
    if module == 'comment':
        return lambda packet: True
    if module == 'rt':
        return lambda packet: False   # no routing header in the evaluated packet
    if module in ('icmp', 'icmp6'):
        return lambda packet: False   # the packets evaluated are TCP or UDP
    return _undecidable


def _address_condition(text, field):
    addresses = Values()
    for item in text.split(','):
        addresses.add_network(item)
    if field == 'saddr':
        return reads_source(lambda packet: addresses.contains(packet.saddr))
    return lambda packet: None if packet.daddr is None else addresses.contains(packet.daddr)


def _protocol_condition(text):
    name = _PROTOCOL_NUMBERS.get(text, text.lower())
    if name == 'all' or name == '0':
        return lambda packet: True
    return lambda packet: packet.proto == name


def parse_rule(line, position, chains):
    """(chain, Rule) of one `-A CHAIN ...` line; chains: the names of the table's chains."""
    tokens = shlex.split(line)
    chain = tokens[1]
    conditions = []
    verdict = target = None
    module = protocol = None
    negated = False
    index = 2
    while index < len(tokens):
        token = tokens[index]
        arguments = []
        index += 1
        if token == '!':
            negated = True
            continue
        while index < len(tokens) and not tokens[index].startswith('-') and tokens[index] != '!':
            arguments.append(tokens[index])
            index += 1
        value = arguments[0] if arguments else ''
        condition = None
        if token in ('-j', '--jump', '-g', '--goto'):
            if token in ('-g', '--goto'):
                verdict, target = GOTO, value
            elif value in chains:
                verdict, target = JUMP, value
            elif value in _TARGETS:
                verdict = _TARGETS[value]
            elif value in _NON_TERMINAL:
                verdict = None
            else:
                verdict = UNKNOWN        # a target extension this reader does not know
            index = len(tokens)          # the rest of the line is the target's options
            continue
        if token in ('-s', '--source'):
            condition = _address_condition(value, 'saddr')
        elif token in ('-d', '--destination'):
            condition = _address_condition(value, 'daddr')
        elif token in ('-p', '--protocol'):
            protocol = value
            condition = _protocol_condition(value)
        elif token in ('-i', '--in-interface'):
            condition = _interface_condition(value)
        elif token in ('-f', '--fragment'):
            condition = _never      # the first packet of a connection is not a fragment
        elif token in ('-m', '--match'):
            module = value
            continue
        elif token.startswith('--'):
            condition = _module_condition(module, token, arguments, protocol)
        else:
            condition = _undecidable
        if negated:
            condition = _negated(condition)
            negated = False
        conditions.append(condition)
    return chain, Rule(conditions, verdict, target, text=line, position=position)


def read_tables(text, family):
    """Tables of one iptables-save output; family 'ip' (iptables) or 'ip6' (ip6tables)."""
    tables = []
    table = None
    counts = {}
    for raw in (text or '').splitlines():
        line = raw.strip()
        if line.startswith('*'):
            table = Table(family, line[1:], 'iptables-save')
            tables.append(table)
            counts = {}
        elif table is None or not line or line.startswith('#') or line == 'COMMIT':
            continue
        elif line.startswith(':'):
            name, policy = line[1:].split()[:2]
            hook, priority, kind = BUILTIN_CHAINS.get((table.name, name), (None, 0, 'filter'))
            table.chains[name] = Chain(name, hook, priority, ACCEPT if policy in ('-', 'ACCEPT') else
                                       DROP if policy == 'DROP' else UNKNOWN, kind)
        elif line.startswith('-A '):
            name = line.split()[1]
            counts[name] = counts.get(name, 0) + 1
            chain_name, rule = parse_rule(line, 'rule %d' % counts[name], table.chains)
            if chain_name not in table.chains:
                table.chains[chain_name] = Chain(chain_name)
            table.chains[chain_name].rules.append(rule)
    return tables


def incompatible_tables(text):
    """Names of tables iptables-nft could not print (made by nft in an iptables table's name)."""
    names = []
    for line in (text or '').splitlines():
        if line.startswith('# Table `') and 'incompatible' in line:
            names.append(line.split('`')[1].split("'")[0])
    return names
