# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads `iptables-save` / `ip6tables-save` (and their -legacy twins) into the ruleset model.

ufw, Docker, fail2ban and bm-iptables write iptables rules. With the nf_tables backend of iptables
they show in `nft -j` as opaque `xt` expressions; iptables-save prints them readably, so their
tables are read from here and skipped in the nft output. Legacy iptables tables live beside nft's
and are read from iptables-legacy-save. A match module or option this reader does not know is a
MAYBE atom; a target it does not know (one not in _TARGETS, _NON_TERMINAL or the cases of _target)
is an unknown verdict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.bluemind.firewall.plugins.module_utils import packet_space as space
from ansible_collections.bluemind.firewall.plugins.module_utils.packet_space import (
    CODE, CT, DADDR, DPORT, EXTHDR, FLAGS, PROTO, SADDR, SPORT, TTL, TYPE,
)
from ansible_collections.bluemind.firewall.plugins.module_utils.ruleset import (
    ACCEPT, DADDR_LOCAL, DROP, GOTO, IIF, JUMP, MAYBE, NEVER, NOTRACK, OIF, PKTTYPE, REDIRECT, REJECT, RETURN, RPF,
    SNAT, UNKNOWN, Chain, Names, Rule, Table, Values, any_of,
)

# Hook, priority and type of the built-in chains a packet to this host meets (iptables' fixed priorities).
BUILTIN_CHAINS = {
    ('raw', 'PREROUTING'): ('prerouting', -300, 'filter'),
    ('mangle', 'PREROUTING'): ('prerouting', -150, 'filter'),
    ('nat', 'PREROUTING'): ('prerouting', -100, 'nat'),
    ('mangle', 'INPUT'): ('input', -150, 'filter'),
    ('filter', 'INPUT'): ('input', 0, 'filter'),
    ('security', 'INPUT'): ('input', 50, 'filter'),
    ('nat', 'INPUT'): ('input', 100, 'nat'),
    ('mangle', 'FORWARD'): ('forward', -150, 'filter'),
    ('filter', 'FORWARD'): ('forward', 0, 'filter'),
    ('security', 'FORWARD'): ('forward', 50, 'filter'),
}
_TARGETS = {'ACCEPT': ACCEPT, 'DROP': DROP, 'REJECT': REJECT, 'RETURN': RETURN, 'QUEUE': UNKNOWN,
            'NFQUEUE': UNKNOWN, 'TPROXY': UNKNOWN, 'NOTRACK': NOTRACK, 'SNAT': SNAT, 'MASQUERADE': SNAT}
# Targets that change nothing this packet's path reads (marks are only ever read as MAYBE; TOS, DSCP
# and the MSS option are fields no match here reads): the packet goes on to the next rule. TTL and
# HL (a field the matches read) and SET (a set the matches read) are not among them.
_NON_TERMINAL = ('LOG', 'NFLOG', 'ULOG', 'MARK', 'CONNMARK', 'TCPMSS', 'CLASSIFY', 'TRACE', 'AUDIT', 'SECMARK',
                 'CONNSECMARK', 'DSCP', 'TOS', 'CHECKSUM', 'IDLETIMER', 'LED', 'RATEEST')
# CT target options that act on later or related packets only.
_CT_OPTIONS = ('--zone', '--zone-orig', '--zone-reply', '--helper', '--timeout', '--ctevents', '--expevents')
_FLAG_BITS = {'FIN': 1, 'SYN': 2, 'RST': 4, 'PSH': 8, 'ACK': 16, 'URG': 32}
# Named ICMP messages that are one type and code (iptables --icmp-type accepts them).
_ICMP_CODES = {4: {'network-unreachable': (3, 0), 'host-unreachable': (3, 1), 'protocol-unreachable': (3, 2),
                   'port-unreachable': (3, 3), 'fragmentation-needed': (3, 4), 'ttl-zero-during-transit': (11, 0),
                   'ttl-zero-during-reassembly': (11, 1)},
               6: {'no-route': (1, 0), 'communication-prohibited': (1, 1), 'address-unreachable': (1, 3),
                   'port-unreachable': (1, 4), 'ttl-zero-during-transit': (3, 0),
                   'ttl-zero-during-reassembly': (3, 1)}}
_CT_NAMES = dict((name.upper(), index) for index, name in enumerate(space.CT_STATES))
_ICMP_NAMES = {4: space.ICMP_TYPES, 6: space.ICMPV6_TYPES}
_ICMP_ALIASES = {'echo-request': 'echo-request', 'ping': 'echo-request', 'neighbour-solicitation':
                 'nd-neighbor-solicit', 'neighbour-advertisement': 'nd-neighbor-advert',
                 'router-solicitation': 'nd-router-solicit', 'router-advertisement': 'nd-router-advert'}


def _ports(text):
    ranges = []
    for item in text.split(','):
        first, colon, last = item.partition(':')
        if not (first or '0').isdigit() or not (last or '0').isdigit():
            return None
        ranges.append((int(first or 0), int(last or 65535) if colon else int(first)))
    return space.interval_set(ranges)


def _protocol(text):
    if text.isdigit():
        return space.single(int(text))
    number = space.PROTOCOL_NUMBERS.get(text.lower())
    return None if number is None else space.single(number)


def _addresses(text, version):
    values = Values()
    for item in text.split(','):
        values.add_network(item)
    if values.opaque or values.names:
        return None
    return values.intervals('ipv%d' % version)


def _flag_bits(text):
    """The bits of an iptables flag list; ALL is its six flags (not ECE and CWR); None if unreadable."""
    if text == 'ALL':
        return sum(_FLAG_BITS.values())
    if text == 'NONE':
        return 0
    bits = [_FLAG_BITS.get(name) for name in text.split(',')]
    return None if None in bits else sum(set(bits))


def _tcp_flags(mask, wanted):
    """[(FLAGS, values)] of `--tcp-flags mask wanted`: the flags under mask are exactly wanted."""
    if mask is None or wanted is None:
        return None
    return [(FLAGS, space.interval_set((v, v) for v in range(256) if v & mask == wanted))]


def _icmp_type(text, version):
    """Atoms of `--icmp-type T`, `T/C` or a name (some names are one type and one code)."""
    kind, slash, code = text.partition('/')
    if kind.isdigit() and (not slash or code.isdigit()):
        return [(TYPE, space.single(int(kind)))] + ([(CODE, space.single(int(code)))] if slash else [])
    if slash:
        return None
    if kind in _ICMP_CODES[version]:
        number, code = _ICMP_CODES[version][kind]
        return [(TYPE, space.single(number)), (CODE, space.single(code))]
    names = _ICMP_NAMES[version]
    number = names.get(_ICMP_ALIASES.get(kind, kind), names.get(kind))
    if number is None:
        return None
    return [(TYPE, space.single(number))]


def _constant(answer):
    return [] if answer else [NEVER]


def _module_atoms(module, option, arguments, version, ipsets):
    """Atoms of one option of a match module; None when it cannot be read."""
    value = arguments[0] if arguments else ''
    if module in ('tcp', 'udp', 'sctp', 'dccp', 'udplite'):
        if option in ('--dport', '--destination-port', '--sport', '--source-port'):
            ports = _ports(value)
            return None if ports is None else [(DPORT if 'd' in option[2:4] else SPORT, ports)]
        if option == '--syn':
            return _tcp_flags(_flag_bits('SYN,RST,ACK,FIN'), _flag_bits('SYN'))
        if option == '--tcp-flags' and len(arguments) == 2:
            return _tcp_flags(_flag_bits(arguments[0]), _flag_bits(arguments[1]))
        return None
    if module == 'multiport' and option in ('--dports', '--destination-ports', '--sports', '--source-ports'):
        ports = _ports(value)
        return None if ports is None else [(DPORT if 'd' in option[2:4] else SPORT, ports)]
    if (module, option) in (('conntrack', '--ctstate'), ('state', '--state')):
        states = [_CT_NAMES.get(name) for name in value.upper().split(',')]
        return None if None in states else [(CT, space.interval_set((s, s) for s in states))]
    if module == 'addrtype' and option == '--dst-type':
        return [(DADDR_LOCAL, (frozenset(value.lower().split(',')), False))]
    if module == 'addrtype' and option == '--src-type':
        return _constant('UNICAST' in value.upper().split(','))
    if module == 'addrtype' and option.startswith('--limit-iface'):
        return []
    if module == 'iprange' and option in ('--src-range', '--dst-range'):
        first, dummy, last = value.partition('-')
        values = Values()
        values.add_range(first, last or first)
        if values.opaque:
            return None
        return [(SADDR if option == '--src-range' else DADDR, values.intervals('ipv%d' % version))]
    if module == 'pkttype' and option == '--pkt-type':
        return [(PKTTYPE, (frozenset(['host' if value.lower() == 'unicast' else value.lower()]), False))]
    if module == 'rpfilter':
        return 'invert' if option == '--invert' else 'other rpfilter'
    if module == 'rt':
        # A Routing header is one of the extension headers a first packet may carry: its type is modelled
        # as 0 or another; its other fields are not read.
        routing = space.interval_set([(space.EXTHDR_ROUTING0, space.EXTHDR_ROUTING)])
        if option == '--rt-type' and value == '0':
            return [(EXTHDR, space.single(space.EXTHDR_ROUTING0))]
        if option == '--rt-type' and value.isdigit():
            return [(EXTHDR, space.single(space.EXTHDR_ROUTING)), MAYBE]
        return [(EXTHDR, routing), MAYBE]
    if module in ('comment', 'limit') or (module == 'connlimit' and option == '--connlimit-upto'):
        return []
    if module == 'connlimit' and option == '--connlimit-above':
        return [NEVER]
    if module == 'hashlimit':
        return [NEVER] if option == '--hashlimit-above' else []
    if module == 'recent':
        # A hit count is a rate (ufw's limit: the 6th new connection in 30 s), read as not reached, as
        # --hashlimit-above; without one, --update and --rcheck test a list of sources: unknown.
        if option == '--hitcount':
            return [NEVER]
        return None if option in ('--update', '--rcheck') else []
    if module in ('icmp', 'icmp6') and option in ('--icmp-type', '--icmpv6-type'):
        return _icmp_type(value, version)
    if (module, option) in (('hl', '--hl-eq'), ('ttl', '--ttl-eq')) and value.isdigit():
        return [(TTL, space.single(int(value)))]
    if (module, option) in (('hl', '--hl-lt'), ('ttl', '--ttl-lt')) and value.isdigit():
        return [(TTL, space.interval_set([(0, int(value) - 1)]))]
    if (module, option) in (('hl', '--hl-gt'), ('ttl', '--ttl-gt')) and value.isdigit():
        return [(TTL, space.interval_set([(int(value) + 1, 255)]))]
    if module == 'set' and option == '--match-set' and len(arguments) == 2:
        members = ipsets.get(arguments[0])
        if members is None or members.opaque or arguments[1] not in ('src', 'dst'):
            return None
        return [(SADDR if arguments[1] == 'src' else DADDR, members.intervals('ipv%d' % version))]
    return None


def _negate(atoms, version):
    """The atoms of `! option`: only the option's own field is negated."""
    if atoms == []:
        return [NEVER]
    if atoms == [NEVER]:
        return []
    if len(atoms) == 2 and atoms[0][0] == TYPE and atoms[1][0] == CODE:
        # ! --icmp-type T/C: another type, or type T with another code.
        return [any_of([[(TYPE, space.subtract(space.full_range(TYPE), atoms[0][1]))],
                        [atoms[0], (CODE, space.subtract(space.full_range(CODE), atoms[1][1]))]])]
    dim, values = atoms[-1]
    if dim == DADDR_LOCAL:
        return atoms[:-1] + [(dim, (values[0], not values[1]))]
    if isinstance(values, Names):
        return atoms[:-1] + [(dim, values.negate())]
    if dim == PKTTYPE:
        return atoms[:-1] + [(dim, (values[0], not values[1]))]
    if dim not in (SADDR, DADDR, PROTO, DPORT, SPORT, CT, TYPE, TTL, CODE, FLAGS, EXTHDR):
        return [MAYBE]
    return atoms[:-1] + [(dim, space.subtract(space.full_range(dim, version), values))]


def _target(value, arguments, chains):
    """(verdict, jump target, nat) of `-j VALUE ARGUMENTS...`."""
    if value in chains:
        return JUMP, value, None
    if value in _TARGETS:
        return _TARGETS[value], None, None
    if value in ('DNAT', 'REDIRECT'):
        options = dict(zip(arguments[::2], arguments[1::2]))
        if value == 'REDIRECT':
            port = options.get('--to-ports', '').split('-')[0]
            return REDIRECT, None, ('local', int(port) if port.isdigit() else None)
        destination = options.get('--to-destination', '')
        if destination.startswith('['):
            address, dummy, port = destination[1:].partition(']')
            port = port.lstrip(':')
        elif destination.count(':') == 1:
            address, dummy, port = destination.partition(':')
        else:
            address, port = destination, ''
        port = port.split('-')[0]
        if not address or '-' in address or (port and not port.isdigit()):
            return REDIRECT, None, None
        return REDIRECT, None, (address, int(port) if port else None)
    if value in _NON_TERMINAL:
        return None, None, None
    if value == 'CT':
        options = [item for item in arguments if item.startswith('--')]
        if options == ['--notrack']:
            return NOTRACK, None, None
        if all(option in _CT_OPTIONS for option in options):
            return None, None, None
    return UNKNOWN, None, None


def _tokens(line):
    """[(word, quoted)] of a line as iptables-save quotes it: a quoted word ("!", "-j DROP" in a
    comment) is always an argument, never an option or a negation."""
    found = []
    word, quoted, inside, escaped = [], False, False, False
    for char in line:
        if escaped:
            word.append(char)
            escaped = False
        elif char == '\\':
            escaped = True
        elif char == '"':
            inside, quoted = not inside, True
        elif char.isspace() and not inside:
            if word or quoted:
                found.append((''.join(word), quoted))
            word, quoted = [], False
        else:
            word.append(char)
    if word or quoted:
        found.append((''.join(word), quoted))
    return found


def _is_option(word, quoted):
    return not quoted and ((word.startswith('-') and len(word) > 1 and not word[1].isdigit()) or word == '!')


def parse_rule(line, position, chains, version=4, ipsets=None):
    """(chain, Rule) of one `-A CHAIN ...` line; chains: the names of the table's chains."""
    quoted_tokens = _tokens(line)
    tokens = [word for word, dummy in quoted_tokens]
    chain = tokens[1]
    atoms = []
    verdict = target = nat = None
    module = None
    negated = False
    index = 2
    while index < len(tokens):
        token = tokens[index]
        arguments = []
        index += 1
        if token == '!' and not quoted_tokens[index - 1][1]:
            negated = True
            continue
        while index < len(tokens) and not _is_option(*quoted_tokens[index]):
            arguments.append(tokens[index])
            index += 1
        value = arguments[0] if arguments else ''
        if token in ('-j', '--jump', '-g', '--goto'):
            rest = tokens[index:]
            if token in ('-g', '--goto'):
                verdict, target = GOTO, value
            else:
                verdict, target, nat = _target(value, rest, chains)
            break
        if token in ('-m', '--match'):
            module = value
            if value == 'rpfilter':
                # Strict reverse-path check: the source is routed back out through the incoming interface.
                atoms.append((RPF, False))
            continue
        if token in ('-s', '--source', '-d', '--destination'):
            values = _addresses(value, version)
            found = None if values is None else [(SADDR if token in ('-s', '--source') else DADDR, values)]
        elif token in ('-p', '--protocol'):
            values = None if value.lower() == 'all' or value == '0' else _protocol(value)
            found = [] if values is None and (value.lower() == 'all' or value == '0') else (
                None if values is None else [(PROTO, values)])
        elif token in ('-i', '--in-interface', '-o', '--out-interface'):
            found = [(IIF if token in ('-i', '--in-interface') else OIF, Names([value]))]
        elif token in ('-f', '--fragment'):
            found = [NEVER]    # the first packet of a connection is not a fragment
        elif token.startswith('--'):
            found = _module_atoms(module, token, arguments, version, ipsets or {})
        else:
            found = None
        if found in ('invert', 'other rpfilter'):
            # --invert: the check fails; --loose, --validmark, --accept-local: another check, not modelled.
            atoms = [atom for atom in atoms if atom[0] != RPF] + [(RPF, True) if found == 'invert' else MAYBE]
            negated = False
            continue
        if found is None:
            found = [MAYBE]
        elif negated:
            found = _negate(found, version)
        negated = False
        atoms.extend(found)
    return chain, Rule(atoms, verdict, target, text=line, position=position, nat=nat)


def read_tables(text, family, source='iptables-save', ipsets=None):
    """Tables of one iptables-save output; family 'ip' (iptables) or 'ip6' (ip6tables)."""
    version = 4 if family == 'ip' else 6
    tables = []
    table = None
    counts = {}
    for raw in (text or '').splitlines():
        line = raw.strip()
        if line.startswith('*'):
            table = Table(family, line[1:], source)
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
            chain_name, rule = parse_rule(line, 'rule %d' % counts[name], table.chains, version, ipsets)
            if chain_name not in table.chains:
                table.chains[chain_name] = Chain(chain_name)
            table.chains[chain_name].rules.append(rule)
    return tables


def read_ipsets(text):
    """{name: Values} of `ipset save`; sets of pairs (hash:ip,port...) are opaque. An entry marked
    nomatch is an exception: the longest prefix that holds an address decides whether it is a member."""
    sets = {}
    entries = {}
    for line in (text or '').splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == 'create':
            sets[words[1]] = Values()
            entries[words[1]] = []
            if ',' in words[2] or not words[2].startswith(('hash:ip', 'hash:net', 'bitmap:ip')):
                sets[words[1]].opaque = True
        elif len(words) >= 3 and words[0] == 'add' and words[1] in sets:
            item = words[2]
            try:
                if '-' in item and '/' not in item:
                    first, dummy, last = item.partition('-')
                    networks = list(ipaddress.summarize_address_range(ipaddress.ip_address(first),
                                                                      ipaddress.ip_address(last)))
                else:
                    networks = [ipaddress.ip_network(item, strict=False)]
            except (TypeError, ValueError):
                sets[words[1]].opaque = True
                continue
            entries[words[1]].extend((network, 'nomatch' in words[3:]) for network in networks)
    for name, found in entries.items():
        members = {4: (), 6: ()}
        for network, nomatch in sorted(found, key=lambda entry: entry[0].prefixlen):
            interval = ((int(network.network_address), int(network.broadcast_address)),)
            change = space.subtract if nomatch else space.union
            members[network.version] = change(members[network.version], interval)
        for version, values in members.items():
            for first, last in values:
                sets[name].add_range(space.address_text(version, first), space.address_text(version, last))
    return sets


def incompatible_tables(text):
    """Names of tables iptables-nft could not print (made by nft in an iptables table's name)."""
    names = []
    for line in (text or '').splitlines():
        if line.startswith('# Table `') and 'incompatible' in line:
            names.append(line.split('`')[1].split("'")[0])
    return names
