# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-service exposure (bluemind_firewall_exposure): public, limited (a rate per source, then a
ban) or private (listed sources only), read into the policy's ports and its protection.

Plain Python with no Ansible import, like policy.py; every input error names the variable and value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import ipaddress
import json
import re

VARIABLE = 'bluemind_firewall_exposure'
PUBLIC = 'public'
LIMITED = 'limited'
PRIVATE = 'private'
MODES = (PUBLIC, LIMITED, PRIVATE)
PRIVATE_PREFIX = 'private:'
# The record's audience of the address Ansible connects from: never limited, so that no run of the
# collection (its confirmation connection included) can trip a limit.
CONTROLLER = 'controller'
_KEYS = ('mode', 'rate', 'burst', 'ban_seconds', 'sources')
LIMIT_KEYS = ('rate', 'burst', 'ban_seconds')
_DIGITS = re.compile(r'\s*[0-9]+\s*')

# rate: new connections a minute per source (an IPv4 address, an IPv6 /64); burst: the new
# connections let in at once above the rate; ban_seconds: how long a source over the rate is
# dropped on that port. Mail clients reconnect often, and a webmail page opens several connections
# at once: their limits are far above what a person does, and far below a password-guessing run.
MAIL_LIMIT = {'rate': 30, 'burst': 20, 'ban_seconds': 600}
WEB_LIMIT = {'rate': 300, 'burst': 100, 'ban_seconds': 300}
SSH_LIMIT = {'rate': 10, 'burst': 5, 'ban_seconds': 600}
OTHER_LIMIT = {'rate': 60, 'burst': 30, 'ban_seconds': 600}
DEFAULT_LIMITS = {'ssh': SSH_LIMIT, 'http': WEB_LIMIT, 'https': WEB_LIMIT}
for _service in ('smtp', 'smtps', 'submission', 'imap', 'imaps', 'pop3', 'pop3s'):
    DEFAULT_LIMITS[_service] = MAIL_LIMIT
# ufw's `limit` is fixed by ufw itself: a source's 6th new connection within 30 seconds is refused
# (iptables' recent match), until it has made fewer than 6 in the last 30 seconds.
UFW_LIMIT = {'rate': 12, 'burst': 6, 'ban_seconds': 30}
# The bounds of the nftables sets: a flood from many sources fills them, then new sources are not
# metered (meters) or not banned (bans) until entries expire; connections are never refused for it.
METER_SIZE = 65536
# An IPv6 source is its /64: one host usually holds a whole /64.
IPV6_SOURCE_PREFIX = 64
BAN_SIZE = 65536
# How fail2ban's action (bluemind_firewall_fail2ban_action) comments the elements it adds to the ban sets.
FAIL2BAN_COMMENT = 'fail2ban '


class ExposureError(ValueError):
    pass


def _fail(variable, value, why):
    raise ExposureError('%s: %r %s' % (variable, value, why))


def _whole(value, variable, minimum):
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and _DIGITS.fullmatch(value):
            value = int(value)
        else:
            _fail(variable, value, 'must be a whole number')
    if value < minimum:
        _fail(variable, value, 'must be at least %d' % minimum)
    return value


def read_setting(value, known, backend):
    """{service: {'mode', 'limit' (limited), 'sources' (private, CIDR texts)}} of the setting.

    known: the service names any port of the policy may carry (ssh included); backend: ufw fixes
    the limit, any other is refused here, before any change."""
    if value in (None, ''):
        value = {}
    if not isinstance(value, dict):
        _fail(VARIABLE, value, 'must be a mapping of service names to public, limited or private '
                               '(or to {mode, rate, burst, ban_seconds, sources})')
    found = {}
    for service, item in sorted(value.items(), key=lambda pair: str(pair[0])):
        where = '%s.%s' % (VARIABLE, service)
        if service not in known:
            close = difflib.get_close_matches(str(service), sorted(known), 1)
            _fail(VARIABLE, service, 'is not a service of this host%s; known: %s' % (
                ' (did you mean %s?)' % close[0] if close else '', ', '.join(sorted(known))))
        if isinstance(item, str):
            item = {'mode': item}
        if not isinstance(item, dict):
            _fail(where, item, 'must be public, limited, private or a mapping with mode')
        unknown = sorted(str(key) for key in set(item) - set(_KEYS))
        if unknown:
            _fail(where, item, 'has unknown key(s) %s; the keys are %s' % (', '.join(unknown), ', '.join(_KEYS)))
        mode = item.get('mode')
        if mode not in MODES:
            _fail(where + '.mode', mode, 'must be one of %s' % ', '.join(MODES))
        entry = {'mode': mode}
        given = [key for key in LIMIT_KEYS if item.get(key) is not None]
        if given and mode != LIMITED:
            _fail(where, item, 'gives %s, which only a limited service has' % ', '.join(given))
        if item.get('sources') is not None and mode != PRIVATE:
            _fail(where + '.sources', item['sources'], 'is given for a %s service: only a private one has sources'
                  % mode)
        if mode == LIMITED:
            entry['limit'] = _limit(service, item, where, backend)
        if mode == PRIVATE:
            if service == 'ssh':
                _fail(where + '.mode', mode, 'is not for SSH: bluemind_firewall_admin_sources says who reaches it')
            entry['sources'] = _private_sources(item.get('sources'), where + '.sources')
        found[service] = entry
    return found


def _limit(service, item, where, backend):
    default = UFW_LIMIT if backend == 'ufw' else DEFAULT_LIMITS.get(service, OTHER_LIMIT)
    limit = {}
    for key in LIMIT_KEYS:
        value = item.get(key)
        limit[key] = default[key] if value is None else _whole(value, '%s.%s' % (where, key), 1)
        if backend == 'ufw' and limit[key] != UFW_LIMIT[key]:
            _fail('%s.%s' % (where, key), value, 'cannot be rendered by ufw, whose limit is fixed (a source\'s 6th '
                  'new connection within 30 seconds refused: rate %d a minute, burst %d, ban_seconds %d); '
                  'leave it out with ufw, or choose the nftables backend. Nothing was changed.' % (
                      UFW_LIMIT['rate'], UFW_LIMIT['burst'], UFW_LIMIT['ban_seconds']))
    return limit


def _private_sources(value, where):
    items = value if isinstance(value, (list, tuple)) else ([value] if isinstance(value, str) and value else [])
    if not items:
        _fail(where, value, 'is empty: a private service is open to its listed sources only (CIDRs), so list them')
    networks = []
    for item in items:
        try:
            network = ipaddress.ip_network(str(item).strip(), strict=True) if isinstance(item, str) else None
        except ValueError:
            network = None
        if network is None:
            _fail(where, item, 'is not a CIDR')
        if network.prefixlen == 0:
            _fail(where, item, 'is every IPv%d address: that is public, not private' % network.version)
        networks.append(network)
    return networks


def default_modes(admin_everyone):
    """The exposure of a service the setting leaves out: SSH limited while everyone may reach it,
    every other service public (SMTP above all: limiting it hurts mail delivery)."""
    return {'ssh': LIMITED} if admin_everyone else {}


def set_names(family_suffixes=(('ipv4', 'v4'), ('ipv6', 'v6'))):
    """The protection of the record: the nftables sets of the meters and of the bans, per family."""
    return ({family: 'meters_' + suffix for family, suffix in family_suffixes},
            {family: 'bans_' + suffix for family, suffix in family_suffixes})


def ssh_session(ssh_connection):
    """(client address, server port) of SSH_CONNECTION ("client port server port"), None without one;
    ValueError when it does not read so. An IPv4 client seen over IPv6 is its IPv4 address."""
    fields = (ssh_connection or '').split()
    if len(fields) != 4:
        return None
    address = ipaddress.ip_address(fields[0].split('%')[0])
    return getattr(address, 'ipv4_mapped', None) or address, int(fields[3])


def controller_address(ssh_connection):
    """The client address of Ansible's SSH session (SSH_CONNECTION), None without one."""
    try:
        session = ssh_session(ssh_connection)
    except ValueError:
        return None
    return session[0] if session else None


def limited_ports(record):
    """The TCP ports a record limits, as a set of numbers."""
    ports = set()
    for item in (record or {}).get('ports') or []:
        if item.get('exposure') == LIMITED and item.get('proto') == 'tcp':
            ports.update(range(int(item['first']), int(item['last']) + 1))
    return ports


def kept_bans(table, set_name, listing_json, record):
    """`add element` lines that put a ban set's live elements back with the time they have left,
    for the transaction that reloads the table: a converge during a ban keeps it. Only the bans of
    ports the record still limits are kept (the ban rule drops any port in the set), and fail2ban's
    (commented "fail2ban JAIL", on any port, some without an end) while the record keeps its action."""
    try:
        items = json.loads(listing_json or '{}').get('nftables') or []
    except ValueError:
        return []
    ports = limited_ports(record)
    fail2ban = bool(((record or {}).get('protection') or {}).get('fail2ban'))
    lines = []
    for item in items:
        for element in ((item.get('set') or {}).get('elem') or []) if isinstance(item, dict) else []:
            element = element.get('elem') if isinstance(element, dict) else None
            value = element.get('val') if isinstance(element, dict) else None
            key = value.get('concat') if isinstance(value, dict) else None
            if not (isinstance(key, list) and len(key) == 2):
                continue
            comment = element.get('comment')
            by_fail2ban = isinstance(comment, str) and comment.startswith(FAIL2BAN_COMMENT)
            left = element.get('expires', element.get('timeout'))
            # fail2ban's permanent bans have no timeout: fail2ban lifts them.
            lasting = by_fail2ban and 'timeout' not in element and 'expires' not in element
            if not (lasting or (isinstance(left, int) and not isinstance(left, bool) and left > 0)):
                continue
            source, port = key
            try:
                source = ipaddress.ip_address(str(source))
            except ValueError:
                continue
            if not isinstance(port, int) or not (fail2ban if by_fail2ban else port in ports):
                continue
            extra = '' if lasting else ' timeout %ds' % left
            if by_fail2ban:
                extra += ' comment "%s"' % re.sub(r'[^A-Za-z0-9_. -]', '_', comment)[:100]
            lines.append('add element inet %s %s { %s . %d%s }\n' % (table, set_name, source, port, extra))
    return lines
