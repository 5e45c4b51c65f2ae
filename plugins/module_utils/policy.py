# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewall policy of one BlueMind host: which ports are open, to whom.

Plain Python with no Ansible import, so that the controller-side plugins, the modules that run on
the hosts and the unit tests all use this one implementation. Every input error raises
PolicyError with a message that names the variable and the bad value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import ipaddress
import re

from ansible_collections.bluemind.firewall.plugins.module_utils import exposure, server_roles
from ansible_collections.bluemind.firewall.plugins.module_utils import fail2ban as fail2ban_action

# The record's schema. 2 adds extra rules, drop logging and the BlueMind settings; 3 (record.py says
# what) where addresses came from, written-out extra ports, and this round's protections and backend.
# Verification still reads records of schema 1 and 2 (see READABLE_SCHEMAS), so that an upgrade never
# breaks a check.
SCHEMA_VERSION = 3
READABLE_SCHEMAS = (1, 2, 3)
BACKENDS = ('nftables', 'ufw')
PROTOCOLS = ('tcp', 'udp')
PORT_CLASSES = ('required', 'optional', 'internal', 'local')
TLS_MODES = ('implicit', 'starttls', 'plain_or_starttls', 'plain', 'unspecified')
# BlueMind's major versions the port table knows; 4, the seed's table, is the default.
BLUEMIND_VERSIONS = (4, 5)
DEFAULT_BLUEMIND_VERSION = 4
# cluster: every host of an installation reaches every internal port of the others; roles: only the
# flows between BlueMind's server roles (the data file's flow table).
ROLES_MODE = 'roles'
FLOWS_MODES = ('cluster', ROLES_MODE)
# The record's names of the audiences of roles mode: this prefix, then the calling hosts.
CALLERS_PREFIX = 'callers:'

# Who may connect to a port. "nobody" marks an optional service that is switched off, or a port the
# host uses on itself only: it stays in the policy so that verification checks it is closed.
EVERYONE = 'everyone'
CLUSTER = 'cluster'
ADMIN = 'admin'
NOBODY = 'nobody'

ANY_IPV4 = '0.0.0.0/0'
ANY_IPV6 = '::/0'

# Every validator is used with fullmatch: '$' also matches before a trailing newline, which would
# let "eth0\n" through to a rule that never matches (nft) or a rule split across two lines (ufw).
_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,47}')
# ASCII digits only: Python's int() also reads other scripts' digits, which no firewall tool does.
_NUMBER = re.compile(r'\s*([0-9]+)\s*')
_RANGE = re.compile(r'\s*([0-9]+)\s*[-:]\s*([0-9]+)\s*')
# Ansible's own spellings of booleans (ansible.module_utils.parsing.convert_bool), so that
# -e name=false on the command line means what it means everywhere else in Ansible.
_TRUE = ('y', 'yes', 'on', '1', 'true', 't')
_FALSE = ('n', 'no', 'off', '0', 'false', 'f')
_EXTRA_PORT_KEYS = ('port', 'proto', 'name', 'description')


class PolicyError(ValueError):
    """Bad input for the policy; the message names the variable and the value.

    by_host: {inventory host: message} when the bad input belongs to particular hosts, so that each
    is reported on the host whose variables hold it."""

    def __init__(self, message, by_host=None):
        super(PolicyError, self).__init__(message)
        self.by_host = by_host or {}


_COMMENT_UNSAFE = re.compile(r'[^A-Za-z0-9_.:@/,()+ -]')


def comment_text(words, limit=100):
    """Text a rule comment holds safely with either backend, whatever the inventory put in it (host
    names, in roles mode): ASCII letters, digits and "_.:@/,()+-" and spaces only, so no quote, newline,
    "$", "`", "#", "%", "\\" or "}" reaches an nft file, ufw's user.rules or a shell line; at most limit
    characters (None: no limit)."""
    text = _COMMENT_UNSAFE.sub('', str(words))
    return text if limit is None else text[:limit]


def _fail(variable, value, why):
    raise PolicyError('%s: %r %s' % (variable, value, why))


def parse_bool(value, variable):
    """True or False from a boolean or one of Ansible's spellings of one ("false", "no", 0, ...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    _fail(variable, value, 'must be true or false')


def parse_int(value, variable, minimum=None):
    """An integer from a number or a string of ASCII digits ("30" from the command line)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        _fail(variable, value, 'must be a whole number')
    if isinstance(value, str):
        if not _NUMBER.fullmatch(value):
            _fail(variable, value, 'must be a whole number written with the digits 0-9')
        value = int(value)
    if minimum is not None and value < minimum:
        _fail(variable, value, 'must be at least %d' % minimum)
    return value


MINIMUM_CONFIRM_TIMEOUT = 10


def confirm_timeout(confirm, timeout):
    """bluemind_firewall_rollback_timeout when bluemind_firewall_confirm is on, else 0."""
    if not parse_bool(confirm, 'bluemind_firewall_confirm'):
        return 0
    return parse_int(timeout, 'bluemind_firewall_rollback_timeout', MINIMUM_CONFIRM_TIMEOUT)


def parse_port(value, variable):
    """Return (first, last) for 10050, "10050" or "7000-7010"."""
    if isinstance(value, bool):
        _fail(variable, value, 'is not a port number or range')
    if isinstance(value, int):
        first = last = value
    elif isinstance(value, str) and _NUMBER.fullmatch(value):
        first = last = int(value)
    elif isinstance(value, str) and _RANGE.fullmatch(value):
        first, last = (int(part) for part in _RANGE.fullmatch(value).groups())
    else:
        _fail(variable, value, 'is not a port number or a range "first-last"')
    for number in (first, last):
        if not 1 <= number <= 65535:
            _fail(variable, value, 'is outside the port range 1-65535')
    if first > last:
        _fail(variable, value, 'is a range whose first port is above its last')
    return first, last


def port_text(first, last):
    return str(first) if first == last else '%d-%d' % (first, last)


def parse_address(value, variable):
    """A unicast IP literal (no prefix, no hostname, no scope) as its canonical string."""
    if not isinstance(value, str):
        _fail(variable, value, 'is not an IP address')
    if '%' in value:
        _fail(variable, value, 'has a scope id (%...): a firewall matches addresses, not interfaces; '
                               'give a global address')
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        _fail(variable, value, 'is not an IP address (hostnames are not accepted: give the address)')
    _refuse_scoped(address, variable, value)
    return str(address)


def _refuse_scoped(network, variable, value):
    """Link-local and multicast addresses never identify a peer or an administrator: a link-local one
    is the same on every link, a multicast one is no sender."""
    for test, words in (('is_multicast', 'a multicast'), ('is_link_local', 'a link-local'),
                        ('is_loopback', 'a loopback'), ('is_unspecified', 'the unspecified')):
        if getattr(network, test):
            _fail(variable, value, 'is %s address, which cannot identify a host here' % words)


def parse_network(value, variable, destination=False):
    """A CIDR (or a bare address, taken as /32 or /128); host bits set is an error, not a guess.
    As a source, link-local, multicast and loopback networks are refused; 0.0.0.0/0 and ::/0 are
    everyone. As a destination, multicast is what it is for (VRRP's 224.0.0.18)."""
    if not isinstance(value, str):
        _fail(variable, value, 'is not a CIDR')
    if '%' in value:
        _fail(variable, value, 'has a scope id (%...), which a firewall rule cannot match')
    try:
        network = ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as exc:
        if 'host bits set' in str(exc):
            loose = ipaddress.ip_network(value.strip(), strict=False)
            _fail(variable, value, 'has host bits set: the network is %s, or write %s/%d for that one address'
                  % (loose, value.strip().split('/')[0], loose.max_prefixlen))
        _fail(variable, value, 'is not a valid CIDR (%s)' % exc)
    if not destination and network.prefixlen:
        _refuse_scoped(network, variable, value)
    return network


def _as_list(value, variable):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    _fail(variable, value, 'must be a list; use a YAML list, such as [%s], or -e \'{"%s": [...]}\' on the '
                           'command line' % (value if isinstance(value, str) else '...', variable))


def networks_by_family(networks):
    """{'ipv4': [...], 'ipv6': [...]}: sorted, duplicates and networks inside another removed."""
    result = {}
    for version, family in ((4, 'ipv4'), (6, 'ipv6')):
        # Sorted by start, wider first: a network inside an earlier kept one is inside the last kept
        # one (CIDRs nest or are disjoint), so one comparison each keeps this linear after the sort.
        # A thousand-host cluster is planned for every host of the play.
        kept = []
        for net in sorted({n for n in networks if n.version == version},
                          key=lambda n: (n.network_address, n.prefixlen)):
            if not (kept and net.subnet_of(kept[-1])):
                kept.append(net)
        result[family] = [_net_text(n) for n in kept]
    return result


def _net_text(network):
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def _address_list(value, variable):
    items = value if isinstance(value, (list, tuple)) else [value]
    return [parse_address(item, variable) for item in items if item not in (None, '')]


def host_addresses(override, default_ipv4, default_ipv6):
    """The addresses peers know a host by.

    override (bluemind_firewall_address): one literal or a list, which replaces both families; or a
    mapping {ipv4: ..., ipv6: ...} whose families replace that family only (an empty list: none in
    that family). Without an override, or for a family the mapping leaves out: the default-route
    address of the family."""
    defaults = {}
    for family, facts in (('ipv4', default_ipv4), ('ipv6', default_ipv6)):
        if isinstance(facts, dict) and facts.get('address'):
            defaults[family] = [parse_address(facts['address'], 'ansible_default_%s' % family)]
    if override in (None, '', []):
        return defaults.get('ipv4', []) + defaults.get('ipv6', [])
    if not isinstance(override, dict):
        return _address_list(override, 'bluemind_firewall_address')
    unknown = sorted(set(override) - set(('ipv4', 'ipv6')))
    if unknown:
        _fail('bluemind_firewall_address', override, 'has key(s) %s; the keys are ipv4 and ipv6' % ', '.join(
            str(key) for key in unknown))
    found = []
    for family, version in (('ipv4', 4), ('ipv6', 6)):
        if family not in override:
            found.extend(defaults.get(family, []))
            continue
        variable = 'bluemind_firewall_address.%s' % family
        for address in _address_list(override[family] or [], variable):
            if ipaddress.ip_address(address).version != version:
                _fail(variable, address, 'is not an %s address' % family.replace('ip', 'IP'))
            found.append(address)
    return found


def address_origins(override, addresses):
    """{family: 'inventory' | 'facts'} for each family a host has an address in: what host_addresses
    took from bluemind_firewall_address, and what from the host's default routes."""
    found = {}
    for family, version in (('ipv4', 4), ('ipv6', 6)):
        if not any(ipaddress.ip_address(address).version == version for address in addresses):
            continue
        if override in (None, '', []):
            found[family] = 'facts'
        elif isinstance(override, dict):
            found[family] = 'inventory' if family in override else 'facts'
        else:
            found[family] = 'inventory'
    return found


def unlisted_addresses(addresses, all_addresses):
    """The host's other addresses that could source its cluster traffic (not link-local, loopback
    or multicast) and that its peers do not know it by."""
    known = set(addresses)
    found = []
    for item in all_addresses or []:
        try:
            address = ipaddress.ip_address(str(item).split('%', 1)[0])
        except ValueError:
            continue
        if address.is_link_local or address.is_loopback or address.is_multicast or str(address) in known:
            continue
        found.append(str(address))
    return sorted(set(found), key=lambda text: (ipaddress.ip_address(text).version, ipaddress.ip_address(text)))


def resolve_cluster(group, members):
    """Addresses of every host of the cluster group, and a warning per host with addresses outside them.

    members: {host: (override, default_ipv4 facts, default_ipv6 facts[, every address the host has])}.
    All unknown hosts are named in one error, so that one run tells the operator everything to fix.
    """
    if not members:
        raise PolicyError('bluemind_firewall_cluster_group: %r has no hosts in the inventory' % (group,))
    hosts = {}
    origins = {}
    errors = {}
    warnings = []
    for name in sorted(members):
        override, ipv4, ipv6 = members[name][:3]
        try:
            addresses = host_addresses(override, ipv4, ipv6)
        except PolicyError as exc:
            errors[name] = 'host %s: %s' % (name, exc)
            continue
        if addresses:
            hosts[name] = addresses
            origins[name] = address_origins(override, addresses)
        else:
            errors[name] = ('bluemind_firewall_address: no address known for cluster host %s of group %r. '
                            'Gather its facts in this run, or set bluemind_firewall_address for it. Under --limit, '
                            'keep a fact cache and run once without --limit; in ansible.cfg: [defaults] '
                            'fact_caching = jsonfile, fact_caching_connection = ~/.cache/ansible/facts, '
                            'fact_caching_timeout = 0' % (name, group))
            continue
        others = unlisted_addresses(addresses, members[name][3] if len(members[name]) > 3 else ())
        if others:
            warnings.append(
                'host %s also has the address(es) %s, which its peers do not know it by (they know %s): '
                'what it sends to them from those is dropped. If cluster traffic can leave it from them '
                '(a second network, a ULA beside a global IPv6, temporary IPv6 addresses), list them in '
                'its bluemind_firewall_address (a list, or {ipv4: [...], ipv6: [...]} to replace one '
                'family only).' % (name, ', '.join(others), ', '.join(addresses)))
    if errors:
        raise PolicyError(' '.join(errors[name] for name in sorted(errors)), by_host=errors)
    return {'group': group, 'hosts': hosts, 'origins': origins, 'warnings': warnings}


def _extra_ports(value, variable):
    ports = []
    for index, item in enumerate(_as_list(value, variable)):
        where = '%s[%d]' % (variable, index)
        if not isinstance(item, dict):
            _fail(where, item, 'must be a mapping with port, proto, name and description')
        unknown = sorted(set(item) - set(_EXTRA_PORT_KEYS))
        if unknown:
            _fail(where, item, 'has unknown key(s) %s' % ', '.join(unknown))
        if 'port' not in item:
            _fail(where, item, 'has no port')
        first, last = parse_port(item['port'], where + '.port')
        proto = item.get('proto', 'tcp')
        if proto not in PROTOCOLS:
            _fail(where + '.proto', proto, 'must be tcp or udp')
        name = item.get('name')
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            _fail(where + '.name', name, 'must be a short name of letters, digits, "_", "-" or "."')
        description = item.get('description', '')
        if not isinstance(description, str):
            _fail(where + '.description', description, 'must be a string')
        ports.append({'service': name, 'first': first, 'last': last, 'proto': proto,
                      'description': description})
    return ports


# IP protocols an extra rule may name, and their numbers. nftables takes any number 0-255 as well;
# ufw knows a fixed list of names (ufw 0.36.2; Debian 11's ufw 0.36 lacks vrrp, found on the host).
IP_PROTOCOLS = {'icmp': 1, 'igmp': 2, 'ipv6': 41, 'tcp': 6, 'udp': 17, 'gre': 47, 'esp': 50, 'ah': 51,
                'icmpv6': 58, 'ospf': 89, 'pim': 103, 'vrrp': 112, 'l2tp': 115, 'sctp': 132, 'dccp': 33,
                'udplite': 136}
UFW_PROTOCOLS = ('tcp', 'udp', 'ipv6', 'esp', 'ah', 'igmp', 'gre', 'vrrp')
# Protocols of one address family only (MLD, not IGMP, on IPv6; 6in4 travels over IPv4).
_ONE_FAMILY = {'icmp': 'ipv4', 'igmp': 'ipv4', 'ipv6': 'ipv4', 'icmpv6': 'ipv6'}
FAMILIES = ('ipv4', 'ipv6')
# The IP protocols whose rules need ports, by number: a protocol given as a number is the same one.
PORT_PROTOCOLS = {6: 'tcp', 17: 'udp', 33: 'dccp', 132: 'sctp', 136: 'udplite'}
ANY_PORT = 'any'
_EXTRA_RULE_KEYS = ('protocol', 'ports', 'destination', 'sources', 'interface', 'family', 'comment')
_INTERFACE = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}')
_COMMENT = re.compile(r'[A-Za-z0-9][A-Za-z0-9 _.,:/()+-]{0,63}')


def extra_rule_key(index):
    """The record's name of an extra rule's own sources."""
    return 'extra_rules[%d]' % index


def _protocol(value, backend, where):
    """(number, name) of an extra rule's protocol."""
    if isinstance(value, str) and value.strip().lower() in IP_PROTOCOLS:
        name = value.strip().lower()
        if backend == 'ufw' and name not in UFW_PROTOCOLS:
            _fail(where, value, 'is not a protocol ufw knows (ufw knows %s); choose the nftables backend '
                                'for it' % ', '.join(UFW_PROTOCOLS))
        return IP_PROTOCOLS[name], name
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and _NUMBER.fullmatch(value))):
        _fail(where, value, 'is not a protocol name (%s) or number' % ', '.join(sorted(IP_PROTOCOLS)))
    number = int(value)
    if not 0 <= number <= 255:
        _fail(where, value, 'is not an IP protocol number (0-255)')
    if backend == 'ufw':
        _fail(where, value, 'is a protocol number, which ufw does not take; give one of %s, or choose the '
                            'nftables backend' % ', '.join(UFW_PROTOCOLS))
    names = [name for name, known in IP_PROTOCOLS.items() if known == number]
    return number, names[0] if names else str(number)


def _rule_ports(item, number, name, where):
    """[[first, last], ...] of an extra rule: required for a protocol with ports, [] for the others.

    A rule of a port protocol without ports would accept every port of it (PostgreSQL's included), so
    "every port" must be written out: ports: any, or 1-65535, both kept as the one range 1-65535."""
    ports = item.get('ports')
    empty = ports is None or (isinstance(ports, (str, list, tuple)) and not [
        port for port in (ports if isinstance(ports, (list, tuple)) else [ports]) if str(port).strip()])
    if number not in PORT_PROTOCOLS:
        if not empty:
            _fail(where + '.ports', ports, 'is given for %s, which has no ports (%s do)' % (
                name, ', '.join(PORT_PROTOCOLS.values())))
        return []
    if empty:
        raise PolicyError(
            '%s.ports: %r: the rule%s is %s, whose rules need ports: without them it would accept every %s port%s. '
            'Write the ports (ports: [7000, "7100-7110"]), or, if every port is meant, write ports: any (or '
            '1-65535). Nothing was changed.' % (
                where, ports, ' (comment %r)' % item['comment'] if item.get('comment') else '', name, name,
                ', PostgreSQL\'s included' if name == 'tcp' else ''))
    listed = ports if isinstance(ports, (list, tuple)) else [ports]
    if any(isinstance(port, str) and port.strip().lower() == ANY_PORT for port in listed):
        if len(listed) > 1:
            _fail(where + '.ports', ports, 'mixes any with other ports: write ports: any alone')
        return [[1, 65535]]
    ranges = [parse_port(port, where + '.ports') for port in listed]
    return [list(pair) for pair in merged_port_ranges({'first': a, 'last': b} for a, b in ranges)]


def every_port(rule):
    """Whether an extra rule of the record accepts every port of its protocol: [[1, 65535]] written
    out, or a schema 2 record's [] for a protocol with ports."""
    ports = [list(pair) for pair in rule.get('ports') or []]
    return ports == [[1, 65535]] or (not ports and rule.get('protocol') in PORT_PROTOCOLS)


def _extra_rules(value, backend, cluster_networks):
    """(rules for the record, {source key: networks by family}) of bluemind_firewall_extra_rules."""
    rules = []
    sources = {}
    for index, item in enumerate(_as_list(value, 'bluemind_firewall_extra_rules')):
        where = 'bluemind_firewall_extra_rules[%d]' % index
        if not isinstance(item, dict):
            _fail(where, item, 'must be a mapping with protocol and, optionally, %s' % ', '.join(_EXTRA_RULE_KEYS[1:]))
        unknown = sorted(set(item) - set(_EXTRA_RULE_KEYS))
        if unknown:
            _fail(where, item, 'has unknown key(s) %s' % ', '.join(str(key) for key in unknown))
        if 'protocol' not in item:
            _fail(where, item, 'has no protocol')
        number, name = _protocol(item['protocol'], backend, where + '.protocol')
        families = set(FAMILIES)
        family = item.get('family', 'both')
        if family not in FAMILIES + ('both',):
            _fail(where + '.family', family, 'must be ipv4, ipv6 or both')
        if family != 'both':
            families = set((family,))
        if name in _ONE_FAMILY:
            if family not in ('both', _ONE_FAMILY[name]):
                _fail(where + '.family', family, 'does not carry %s, an %s protocol' % (name, _ONE_FAMILY[name]))
            families = set((_ONE_FAMILY[name],))

        ranges = _rule_ports(item, number, name, where)

        destinations = None
        if item.get('destination') not in (None, ''):
            listed = item['destination'] if isinstance(item['destination'], (list, tuple)) else [item['destination']]
            networks = [parse_network(text, where + '.destination', destination=True) for text in listed]
            destinations = networks_by_family(networks)
            families &= set(f for f in FAMILIES if destinations[f])

        listed = item.get('sources', [CLUSTER])
        listed = listed if isinstance(listed, (list, tuple)) else [listed]
        if not listed:
            _fail(where + '.sources', listed, 'is empty: give CIDRs or the word cluster (the default)')
        networks = [parse_network(text, where + '.sources') for text in listed if text != CLUSTER]
        if CLUSTER in listed and not networks:
            allow = CLUSTER
        else:
            if CLUSTER in listed:
                networks = networks + list(cluster_networks)
            found = networks_by_family(networks)
            families &= set(f for f in FAMILIES if found[f])
            allow = EVERYONE if found == {'ipv4': [ANY_IPV4], 'ipv6': [ANY_IPV6]} else extra_rule_key(index)
            if allow != EVERYONE:
                sources[allow] = found

        interface = item.get('interface')
        if interface is not None and not (isinstance(interface, str) and _INTERFACE.fullmatch(interface)):
            _fail(where + '.interface', interface, 'is not an interface name (up to 15 letters, digits, "_.@-")')
        comment = item.get('comment', 'extra rule %d' % index)
        if not isinstance(comment, str) or not _COMMENT.fullmatch(comment):
            _fail(where + '.comment', comment, 'must be up to 64 letters, digits, spaces or "_.,:/()+-"')
        if not families:
            _fail(where, item, 'matches no address family: its family, destination and sources do not meet')
        rules.append({'protocol': number, 'protocol_name': name, 'ports': ranges,
                      'destinations': destinations, 'allow': allow, 'interface': interface,
                      'families': [f for f in FAMILIES if f in families], 'comment': comment})
    return rules, sources


def _ssh_port(explicit, ssh_connection, ansible_port):
    """The explicit setting, else the server port of Ansible's own SSH connection, else ansible_port, else 22."""
    if explicit not in (None, ''):
        source, value = 'bluemind_firewall_ssh_port', explicit
    else:
        fields = (ssh_connection or '').split()
        if len(fields) == 4:
            source, value = 'SSH_CONNECTION', fields[3]
        elif ansible_port not in (None, ''):
            source, value = 'ansible_port', ansible_port
        else:
            return 22
    first, last = parse_port(value, source)
    if first != last:
        _fail(source, value, 'must be a single port')
    return first


def check_port_table(table):
    """The shipped data file is data: still, a broken edit must fail loudly, not open a wrong port."""
    seen_optional = set()
    seen_ports = set()
    for index, entry in enumerate(_as_list(table, 'bluemind_firewall_port_table')):
        where = 'bluemind_firewall_port_table[%d]' % index
        if not isinstance(entry, dict):
            _fail(where, entry, 'must be a mapping')
        first, last = parse_port(entry.get('port'), where + '.port')
        for key, allowed in (('proto', PROTOCOLS), ('class', PORT_CLASSES), ('tls', TLS_MODES)):
            if entry.get(key) not in allowed:
                _fail(where + '.' + key, entry.get(key), 'must be one of %s' % ', '.join(allowed))
        if not isinstance(entry.get('service'), str) or not _NAME.fullmatch(entry['service']):
            _fail(where + '.service', entry.get('service'), 'is not a service name')
        versions = entry.get('versions')
        if (not isinstance(versions, list) or not versions
                or any(isinstance(v, bool) or v not in BLUEMIND_VERSIONS for v in versions)):
            _fail(where + '.versions', versions, 'must list BlueMind versions among %s'
                  % ', '.join(str(v) for v in BLUEMIND_VERSIONS))
        for version in versions:
            # One entry per port and version: two would make the port's class ambiguous.
            if (first, last, entry['proto'], version) in seen_ports:
                _fail(where + '.port', entry['port'], 'has a second entry for BlueMind %d' % version)
            seen_ports.add((first, last, entry['proto'], version))
            if entry['class'] == 'optional':
                if (entry['service'], version) in seen_optional:
                    _fail(where + '.service', entry['service'], 'names a second optional entry')
                seen_optional.add((entry['service'], version))
    return table


def parse_bluemind_version(value):
    """4 or 5, from an integer or its text (an extra variable on the command line is text)."""
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or value not in BLUEMIND_VERSIONS:
        _fail('bluemind_firewall_bluemind_version', value, 'must be one of %s (the BlueMind major version)'
              % ', '.join(str(v) for v in BLUEMIND_VERSIONS))
    return value


def entries_of_version(table, version):
    """The port table's entries that belong to one BlueMind version."""
    return [entry for entry in table if version in entry['versions']]


def optional_services(table, version=DEFAULT_BLUEMIND_VERSION):
    return [entry['service'] for entry in entries_of_version(table, version) if entry['class'] == 'optional']


def _check_optional_services(table, version, enabled):
    """Each named service is an optional service of this BlueMind version; a service of the other
    version is named as such, a misspelling gets a suggestion."""
    known = optional_services(table, version)
    for service in enabled:
        if service in known:
            continue
        elsewhere = [other for other in BLUEMIND_VERSIONS if other != version
                     and service in optional_services(table, other)]
        if elsewhere:
            _fail('bluemind_firewall_optional_services', service, 'is a service of BlueMind %s, not of BlueMind %d '
                  '(bluemind_firewall_bluemind_version); the optional services of BlueMind %d: %s' % (
                      ' and '.join(str(v) for v in elsewhere), version, version, ', '.join(known)))
        close = difflib.get_close_matches(str(service), known, 1)
        _fail('bluemind_firewall_optional_services', service, 'is not an optional service%s; known: %s' % (
            ' (did you mean %s?)' % close[0] if close else '', ', '.join(known)))


def _cluster_source(item):
    """A network of bluemind_firewall_cluster_sources; a /0 (in any spelling) is refused: it would give
    every internal port, PostgreSQL's included, to everyone while the summary says "to the cluster"."""
    network = parse_network(item, 'bluemind_firewall_cluster_sources')
    if network.prefixlen == 0:
        _fail('bluemind_firewall_cluster_sources', item,
              'is every IPv%d address: the cluster is a set of hosts. List the networks of the peers that are not '
              'in the inventory (for example 192.0.2.0/24), or, to open a port to everyone, write an extra rule '
              '(bluemind_firewall_extra_rules, with its ports and sources: ["0.0.0.0/0", "::/0"]). Nothing was '
              'changed.' % network.version)
    return network


def _callers_audience(callers, hosts):
    """The record's name of the audience of these callers (registered in callers), or nobody."""
    if hosts is None:
        return NOBODY
    name = CALLERS_PREFIX + ','.join(hosts)
    callers[name] = hosts
    return name


def _role_audiences(settings, cluster, version, flow_data, enabled, public, has_cluster_sources):
    """(this host's roles, by_role): by_role(port entry) is EVERYONE, the sorted hosts its flows admit
    (possibly [] when only the cluster sources may call), or None for nobody."""
    host = settings.get('host')
    roles_by_host = cluster.get('roles') or {}
    if host not in roles_by_host:
        _fail('bluemind_firewall_roles', settings.get('roles'), 'of %s is not among the roles of its installation %r: '
              'with bluemind_firewall_flows: roles, every host of the installation lists its roles'
              % (host, cluster.get('group')))
    roles = list(roles_by_host[host])
    sources = server_roles.flow_sources(flow_data.get('flow_table') or [], version, host, roles_by_host)
    enrolled = parse_bool(settings.get('bm_node_enrolled', False), 'bluemind_firewall_bm_node_enrolled')

    def by_role(entry):
        port = str(entry['port'])
        hosts = sources.get(port)
        if entry['class'] == 'local':
            return None
        if entry['class'] in ('required', 'optional'):
            served = server_roles.serves(flow_data.get('public_service_roles') or [], version, roles, entry['service'])
            if served and (entry['class'] == 'required' or entry['service'] in enabled):
                if public:
                    return EVERYONE
                # A back end serves its public ports to their callers and the cluster sources.
                return hosts or ([] if has_cluster_sources else None)
            return hosts
        if entry.get('until_enrolled') and enrolled:
            return None
        return hosts or ([] if has_cluster_sources else None)
    return roles, by_role


def build_policy(port_table, settings, cluster, flow_data=None):
    """The resolved policy of one host, as a JSON-able dict (this is also the on-host record).

    settings: the role's variables, without their bluemind_firewall_ prefix (and host, the host's
    inventory name, which roles mode needs).
    cluster: what resolve_cluster() returned for the play; in roles mode, with roles: {host: roles}.
    flow_data: {'flow_table': ..., 'public_service_roles': ...} of the data file, for roles mode.
    """
    check_port_table(port_table)
    backend = settings.get('backend', 'nftables')
    if backend not in BACKENDS:
        _fail('bluemind_firewall_backend', backend, 'must be one of %s' % ', '.join(BACKENDS))

    version = parse_bluemind_version(settings.get('bluemind_version', DEFAULT_BLUEMIND_VERSION))
    enabled = _as_list(settings.get('optional_services'), 'bluemind_firewall_optional_services')
    _check_optional_services(port_table, version, enabled)

    public = parse_bool(settings.get('public', True), 'bluemind_firewall_public')
    log_drops = parse_bool(settings.get('log_drops', True), 'bluemind_firewall_log_drops')

    group = settings.get('cluster_group')
    if group is not None and group != cluster['group']:
        _fail('bluemind_firewall_cluster_group', group,
              'differs from the installation %r read from this host\'s inventory variables: set it in the '
              'inventory (host or group variables) or as an extra variable, where every step of the play '
              'reads the same value, not in a play\'s or a role\'s vars' % (cluster['group'],))

    cluster_sources = [_cluster_source(item)
                       for item in _as_list(settings.get('cluster_sources'), 'bluemind_firewall_cluster_sources')]
    admin_items = settings.get('admin_sources')
    if admin_items is None:
        admin_items = [ANY_IPV4, ANY_IPV6]
    admin_items = _as_list(admin_items, 'bluemind_firewall_admin_sources')
    if not admin_items:
        _fail('bluemind_firewall_admin_sources', admin_items,
              'is empty, which would close SSH to everyone; list the networks you administer from')
    admin_sources = [parse_network(item, 'bluemind_firewall_admin_sources') for item in admin_items]

    ssh_port = _ssh_port(settings.get('ssh_port'), settings.get('ssh_connection'), settings.get('ansible_port'))
    extra_public = _extra_ports(settings.get('extra_public_ports'), 'bluemind_firewall_extra_public_ports')
    extra_internal = _extra_ports(settings.get('extra_internal_ports'), 'bluemind_firewall_extra_internal_ports')

    flows = settings.get('flows', CLUSTER)
    if flows not in FLOWS_MODES:
        _fail('bluemind_firewall_flows', flows, 'must be one of %s' % ', '.join(FLOWS_MODES))
    peers = cluster['hosts']
    public_audience = EVERYONE if public else CLUSTER
    ports = [{'service': 'ssh', 'first': ssh_port, 'last': ssh_port, 'proto': 'tcp', 'class': 'admin',
              'allow': ADMIN, 'description': 'Management SSH'}]
    callers = {}
    host_roles = []
    if flows == ROLES_MODE:
        host_roles, by_role = _role_audiences(settings, cluster, version, flow_data or {}, enabled, public,
                                              bool(cluster_sources))
    for entry in entries_of_version(port_table, version):
        first, last = parse_port(entry['port'], 'bluemind_firewall_port_table')
        if flows == ROLES_MODE:
            hosts = by_role(entry)
            allow = EVERYONE if hosts is EVERYONE else _callers_audience(callers, hosts)
        elif entry['class'] == 'internal':
            allow = CLUSTER
        elif entry['class'] == 'local' or (entry['class'] == 'optional' and entry['service'] not in enabled):
            allow = NOBODY
        else:
            allow = public_audience
        ports.append({'service': entry['service'], 'first': first, 'last': last, 'proto': entry['proto'],
                      'class': entry['class'], 'allow': allow, 'description': entry['description']})
    for extras, port_class, allow in ((extra_public, 'extra_public', public_audience),
                                      (extra_internal, 'extra_internal', CLUSTER)):
        for item in extras:
            item.update({'class': port_class, 'allow': allow})
            ports.append(item)
    for item in ports:
        item['port'] = port_text(item['first'], item['last'])

    peer_networks = [ipaddress.ip_network(address) for addresses in peers.values() for address in addresses]
    rules, rule_sources = _extra_rules(settings.get('extra_rules'), backend, peer_networks + cluster_sources)
    sources = {
        ADMIN: networks_by_family(admin_sources),
        CLUSTER: networks_by_family(peer_networks + cluster_sources),
    }
    sources.update(rule_sources)
    # Each set of callers that a flow admits, with the cluster sources, which reach every internal port.
    for name, hosts in callers.items():
        sources[name] = networks_by_family([ipaddress.ip_network(address) for host in hosts
                                            for address in peers.get(host, ())] + cluster_sources)
    protection = _exposure(settings, backend, port_table, ports, sources, peer_networks + cluster_sources)
    return {
        'schema': SCHEMA_VERSION,
        'backend': backend,
        'public': public,
        'ssh_port': ssh_port,
        'cluster_group': cluster['group'],
        'peers': peers,
        'address_origins': dict((peer, (cluster.get('origins') or {}).get(peer, {})) for peer in peers),
        'cluster_sources': [_net_text(n) for n in cluster_sources],
        'sources': sources,
        'ports': ports,
        'rules': rules,
        'log_drops': log_drops,
        'bluemind': {'version': version, 'flows': flows, 'roles': host_roles},
        'protection': protection,
    }


def _exposure(settings, backend, port_table, ports, sources, cluster_networks):
    """Sets each port's exposure (and a limited port's limit, a private port's audience) from
    bluemind_firewall_exposure; returns the record's protection.

    Only a port open to everyone (and SSH) takes a limit or a private audience: on a back end behind
    an edge (bluemind_firewall_public: false) the setting of the installation changes nothing. A
    private port stays open to the cluster, which reaches every port of the host anyway."""
    known = set(entry.get('service') for entry in port_table) | set(item['service'] for item in ports)
    admin_everyone = sources[ADMIN] == {'ipv4': [ANY_IPV4], 'ipv6': [ANY_IPV6]}
    try:
        chosen = exposure.read_setting(settings.get('exposure'), known, backend)
        for service, mode in exposure.default_modes(admin_everyone).items():
            if service not in chosen:
                chosen[service] = exposure.read_setting({service: mode}, known, backend)[service]
    except exposure.ExposureError as exc:
        raise PolicyError(str(exc))
    limited = False
    for item in ports:
        item['exposure'] = exposure.PUBLIC
        wanted = chosen.get(item['service'])
        if not wanted or item['allow'] not in (EVERYONE, ADMIN):
            continue
        if wanted['mode'] == exposure.LIMITED and item['proto'] != 'tcp':
            # A limit counts new TCP connections: a service's UDP port stays public.
            continue
        item['exposure'] = wanted['mode']
        if wanted['mode'] == exposure.LIMITED:
            item['limit'] = dict(wanted['limit'])
            limited = True
        elif wanted['mode'] == exposure.PRIVATE:
            audience = exposure.PRIVATE_PREFIX + item['service']
            item['allow'] = audience
            sources[audience] = networks_by_family(list(wanted['sources']) + list(cluster_networks))
    for service, wanted in sorted(chosen.items()):
        opened = [item for item in ports if item['service'] == service and item['allow'] in (EVERYONE, ADMIN)]
        if wanted['mode'] == exposure.LIMITED and opened and all(item['proto'] != 'tcp' for item in opened):
            raise PolicyError('%s.%s: limited is for TCP ports (a limit counts new connections), and %s opens only '
                              '%s; make it public or private. Nothing was changed.' % (
                                  exposure.VARIABLE, service, service,
                                  ', '.join('%s/%s' % (item['port'], item['proto']) for item in opened)))
    # Ansible reaches the host over SSH only: its address is exempt there, and recorded only while SSH is
    # limited, so that runs from another admin address change nothing otherwise.
    client = exposure.controller_address(settings.get('ssh_connection'))
    ssh_limited = any(item['service'] == 'ssh' and item['exposure'] == exposure.LIMITED for item in ports)
    if ssh_limited and client is not None:
        sources[exposure.CONTROLLER] = networks_by_family([ipaddress.ip_network(client)])
    meters, bans = exposure.set_names()
    # fail2ban's action bans into the same sets: they exist while it is on, limited port or not.
    fail2ban = parse_bool(settings.get('fail2ban_action', False), fail2ban_action.VARIABLE)
    if fail2ban_action.refusal(fail2ban, backend, True):
        raise PolicyError(fail2ban_action.refusal(fail2ban, backend, True))
    if not limited or backend != 'nftables':
        meters = {}
    if not (limited or fail2ban) or backend != 'nftables':
        bans = {}
    return {'meters': meters, 'bans': bans, 'fail2ban': fail2ban}


def open_ssh(policy):
    """Whether the policy opens SSH to every address of both families."""
    admin = policy['sources'][ADMIN]
    return admin.get('ipv4') == [ANY_IPV4] and admin.get('ipv6') == [ANY_IPV6]


def merged_port_ranges(ports):
    """[(first, last)] sorted, overlapping ranges merged (nft interval sets refuse overlaps)."""
    merged = []
    for first, last in sorted((p['first'], p['last']) for p in ports):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged


def summary(record):
    """What a policy record opens, in words: 'open to everyone: PORT, PORT; to the cluster: PORT, ...'
    (TCP ports bare, in port order, others with their protocol)."""
    groups = {}
    for item in sorted(record.get('ports') or [], key=lambda entry: (entry.get('proto') != 'tcp', entry.get('first') or 0)):
        text = item.get('port') or port_text(item.get('first'), item.get('last'))
        groups.setdefault(item.get('allow'), []).append(text if item.get('proto') == 'tcp' else '%s %s' % (
            item.get('proto'), text))
    words = {EVERYONE: 'open to everyone', CLUSTER: 'to the cluster', ADMIN: 'to the admin sources'}
    callers = sorted(audience for audience in groups if str(audience).startswith(CALLERS_PREFIX))
    for audience in callers:
        hosts = [host for host in audience[len(CALLERS_PREFIX):].split(',') if host]
        words[audience] = 'from %s' % (', '.join(hosts) or 'the cluster sources')
    # A private service: to its own sources (and the cluster).
    privates = sorted(audience for audience in groups if str(audience).startswith(exposure.PRIVATE_PREFIX))
    for audience in privates:
        words[audience] = 'to the sources of %s' % audience[len(exposure.PRIVATE_PREFIX):]
    parts = ['%s: %s' % (words[audience], ', '.join(groups[audience]))
             for audience in [EVERYONE, CLUSTER] + callers + privates + [ADMIN] if groups.get(audience)]
    extras = [_rule_words(rule, record.get('sources') or {}) for rule in record.get('rules') or []]
    if extras:
        parts.append('extra rules: %s' % ', '.join(extras))
    return '; '.join(parts) or 'nothing open'


def _rule_words(rule, sources):
    """An extra rule in words: its protocol, its ports ("every port" when all are open), where to, on
    which interface, and from whom ("everyone" for 0.0.0.0/0 and ::/0, written out in the rule)."""
    words = [str(rule.get('protocol_name'))]
    if every_port(rule):
        words.append('every port')
    elif rule.get('ports'):
        words.append(', '.join(port_text(first, last) for first, last in rule['ports']))
    destinations = rule.get('destinations') or {}
    if destinations:
        words.append('to %s' % ', '.join(destinations.get('ipv4', []) + destinations.get('ipv6', [])))
    if rule.get('interface'):
        words.append('on %s' % rule['interface'])
    words.append('from %s' % _audience_words(rule.get('allow'), sources))
    return ' '.join(words)


def _audience_words(allow, sources):
    if allow == EVERYONE:
        return 'everyone'
    if allow == CLUSTER:
        return 'the cluster'
    networks = sources.get(allow) or {}
    named = []
    for family, everything in (('ipv4', ANY_IPV4), ('ipv6', ANY_IPV6)):
        if everything in (networks.get(family) or []):
            named.append('everyone over %s' % family.replace('ip', 'IP'))
    others = [net for family in ('ipv4', 'ipv6') for net in networks.get(family) or [] if net not in (ANY_IPV4, ANY_IPV6)]
    shown = 4 - len(named)
    named.extend(others[:shown])
    if len(others) > shown:
        named.append('%d more' % (len(others) - shown))
    return ' and '.join([', '.join(named[:-1]), named[-1]]) if len(named) > 1 else (named[0] if named else 'nobody')
