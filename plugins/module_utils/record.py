# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record's text on the host, and the one part of it that says when it was written.

"applied" (the time, and the collection version the controller ran) changes only with the rest:
a run that changes nothing leaves the record, its time included, as it was.

Schema 3 (release 0.7.0) was designed once for every issue of its round, so that a fleet's record
changes once: verification reads 1, 2 and 3, and a key that a schema-3 record leaves out means what
schema 2 meant. Beside schema 2's keys (schema, backend, public, ssh_port, cluster_group, peers,
cluster_sources, sources, ports, rules, log_drops, bluemind, and the backend's own: nftables or ufw):

- address_origins: {host: {'ipv4': ORIGIN, 'ipv6': ORIGIN}} for every peer (the host itself
  included), ORIGIN 'inventory' (bluemind_firewall_address) or 'facts' (its default route): a
  facts address that differs from the last record's warns on every host that admits it.
- rules[].ports: never empty for a protocol with ports; every port is written [[1, 65535]] and said
  "every port" (schema 2's [] for a port protocol still reads as every port). An extra rule's sources
  written as 0.0.0.0/0 and ::/0 are said "everyone".
- bluemind.version_from: 'inventory', 'package' (the version of BlueMind's core package read on
  the host when the variable is not set) or 'default' (neither: BlueMind not installed yet).
- ports[].exposure: 'public' (schema 2's only kind), 'limited' or 'private'; a limited port has
  ports[].limit {rate, burst, ban_seconds}; a private port's allow names its own audience
  ('private:SERVICE') under sources. protection: {'meters': {family: set name}, 'bans': {family: set
  name}, 'fail2ban': bool} names the dynamic sets whose elements verify reports as bans (empty
  mappings without a limited port, and with ufw, whose limit keeps no set). sources.controller: the
  address Ansible connected from, never limited on SSH, written only while SSH is limited.
- firewalld: {'zone', 'policies', 'ipsets': {audience: {family: name}}}, beside nftables and ufw, for
  the firewalld backend.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

APPLIED = 'applied'


def text(record, now=None):
    """The record as written, with the time of writing under "applied"."""
    content = dict(record)
    applied = dict(content.get(APPLIED) or {})
    applied['at'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now))
    content[APPLIED] = applied
    return json.dumps(content, indent=2, sort_keys=True) + '\n'


def same(current_text, record):
    """Whether the record on the host already says what record says, "applied" left aside."""
    try:
        current = json.loads(current_text or 'null')
    except ValueError:
        return False
    return isinstance(current, dict) and _without_applied(current) == _without_applied(_as_json(record))


def _as_json(record):
    """The record as it reads back from the host (tuples become lists)."""
    return json.loads(json.dumps(record))


def _without_applied(content):
    content = dict(content)
    content.pop(APPLIED, None)
    return content


def _listing(content):
    return json.dumps(_without_applied(content), indent=2, sort_keys=True) + '\n'


def diff(current_text, record, path):
    """A diff of the record (its "applied" left aside), for Ansible's --diff."""
    try:
        current = json.loads(current_text or '{}')
    except ValueError:
        current = None
    before = _listing(current) if isinstance(current, dict) else (current_text or '')
    return {'before': before if current_text else '', 'after': _listing(_as_json(record)),
            'before_header': path, 'after_header': path}


def moved_addresses(current_text, record):
    """Warnings for each peer whose address, taken from facts (its default route), differs from the one
    the record on the host holds: a renumbered peer, or one whose facts are wrong, silently moves this
    host's internal ports to its new address."""
    try:
        current = json.loads(current_text or 'null')
    except ValueError:
        return []
    if not isinstance(current, dict) or not isinstance(current.get('peers'), dict):
        return []
    warnings = []
    for peer, origins in sorted((record.get('address_origins') or {}).items()):
        before = current['peers'].get(peer)
        if not isinstance(before, list):
            continue
        after = record['peers'].get(peer) or []
        for family, version in (('ipv4', '.'), ('ipv6', ':')):
            if origins.get(family) != 'facts':
                continue
            old = sorted(address for address in before if version in str(address))
            new = sorted(address for address in after if version in address)
            if old and old != new:
                warnings.append(
                    'peer %s: its %s address, taken from its facts, was %s in the last run and is %s now: this host '
                    'now admits %s to its internal ports instead. If that is not a renumbering you made, stop and '
                    'check the peer; in production pin its bluemind_firewall_address.' % (
                        peer, family.replace('ip', 'IP'), ', '.join(old), ', '.join(new) or 'none',
                        ', '.join(new) or 'no address'))
    return warnings
