#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: verify
short_description: Prove that the live firewall of a host enforces its BlueMind policy
version_added: 0.4.0
description:
  - Reads the whole inbound path of the host, not only the collection's table, and computes what
    the kernel does with every packet that opens a new connection to the host; compares that with
    the policy. The answer is exact, not sampled (see notes for what "every packet" covers).
  - The policy is the record the role wrote (C(/etc/bluemind-firewall/policy.json)), or O(policy).
  - "Read: every nftables table and base chain on the ingress (device-bound chains for their
    device only), prerouting, input and (after a DNAT) forward hooks, in priority order, with chain
    policies, jumps, gotos, returns, named and anonymous sets, intervals, prefixes, interface
    wildcards and verdict maps. Tables that iptables manages through nf_tables (ufw, Docker,
    fail2ban, bm-iptables) hold opaque C(xt) expressions in C(nft -j) output, so they are read from
    C(iptables-save) and C(ip6tables-save) instead; legacy iptables tables from
    C(iptables-legacy-save) when C(/proc/net/ip_tables_names) lists any; ipset contents from
    C(ipset save)."
  - A packet must pass every base chain, so a drop in any table closes the port. A DNAT in
    prerouting rewrites the destination; the rewritten packet is followed through the forward hook
    (Docker's DOCKER-USER included), or through the input hook again when the new destination is
    the host itself (a redirect). A port the policy closes that a DNAT makes reachable is
    V(exposed), naming the DNAT rule; every DNAT and redirect rule is also listed in RV(redirects).
  - The packets are split into boxes at every boundary the live rules mention (protocol,
    destination and source port, source address, input interface, destination address, ICMP type
    and code, hop limit, TCP flags of the first packet, IPv6 extension header); the rules treat
    every packet of a box alike, so one evaluation per box is exact.
  - A difference is V(exposed) (reachable, should be closed), V(blocked) (closed, should be
    reachable) or V(unknown) (a rule the module cannot evaluate exactly decides it, for example a
    packet mark or a random number). Unknown is never resolved by a guess. Nothing the module does
    not model is read as having no effect - a statement, match, target, chain type or host fact it
    does not know makes what it can touch V(unknown), naming the rule.
  - With O(targets), it also makes TCP connections from this host, concurrently, and classifies each
    as open, refused or filtered. The collection's rules drop, so its closed ports show as filtered.
    Refused means the packet reached the target and nothing listens there, or another firewall
    rejected it with a reset; for that distinction the static check is the authority.
  - Never changes anything.
author:
  - bluemind.firewall contributors !UNKNOWN
options:
  policy:
    description:
      - The expected policy, in the record's format (schema 2, or schema 1 as version 0.3.0 wrote it).
        Default is the record at O(record_path).
    type: dict
  record_path:
    description:
      - The record the role writes once the rules are live.
    type: path
    default: /etc/bluemind-firewall/policy.json
  static:
    description:
      - Compare the live ruleset with the policy. Set to V(false) to only run the probes of O(targets);
        then no record is needed.
    type: bool
    default: true
  fail_on:
    description:
      - Kinds of difference that make the task fail. An empty list only reports.
      - Probe mismatches count as V(exposed) or V(blocked) like static ones.
      - V(banned) (a ban by other software, see RV(banned)) is left out by default - such a host is
        compliant, and its message counts the bans. Add it to fail on bans too.
      - A boot that loaded the last-resort policy (RV(last_resort)) fails the task with any non-empty list.
    type: list
    elements: str
    choices: [exposed, blocked, unknown, banned]
    default: [exposed, blocked, unknown]
  outsiders:
    description:
      - Addresses or networks that the user probes this host from (an outsiders' group, a monitoring
        service). A drop by other software that closes a port the policy opens to one of them is
        V(blocked), not V(banned), as it is for a peer, a cluster source or an admin source.
    type: list
    elements: str
    default: []
    version_added: 0.6.0
  targets:
    description:
      - Hosts to probe from this host. Each gets either O(targets[].policy) (its record; the module
        works out which ports this host should reach there) or O(targets[].ports) with
        O(targets[].expect).
    type: list
    elements: dict
    default: []
    suboptions:
      address:
        description: IP address to connect to.
        type: str
        required: true
      name:
        description: A name for reports, such as the inventory hostname.
        type: str
      policy:
        description: The target's policy record; its ports and a sample of others are probed.
        type: dict
      ports:
        description: TCP ports to probe. With O(targets[].policy), limits the probes to these ports.
        type: list
        elements: int
      expect:
        description:
          - What every port of O(targets[].ports) should show when there is no O(targets[].policy).
          - V(reachable) is open or refused; V(closed) is refused or filtered.
        type: str
        choices: [open, reachable, refused, filtered, closed]
  prober:
    description:
      - This host as its peers know it, for the probes of O(targets). A probe whose source address (the
        one this host sends from to reach the target) is not one of O(prober.addresses) is a V(blocked)
        finding naming this host, the address seen and C(bluemind_firewall_address), and the probe
        expects what the policy intends for this host, not for that address.
      - The verify playbook passes each cluster host's own record (C(peers)); without it, the probes
        expect what the target's record says of the source address actually used.
    type: dict
    suboptions:
      name:
        description: The inventory hostname.
        type: str
      addresses:
        description: The addresses the records give this host.
        type: list
        elements: str
        default: []
  probe_timeout:
    description: Seconds to wait for an answer to each connection attempt.
    type: float
    default: 1.0
  probe_workers:
    description: Connection attempts in flight at once.
    type: int
    default: 64
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
  platform:
    support: full
    description: Linux hosts with nftables or iptables.
    platforms: posix
notes:
  - Needs root to read the ruleset. Uses C(nft), C(iptables-save), C(ip6tables-save), C(ipset) and
    C(ip) when present; a host without C(nft) is read from iptables alone.
  - "Every packet means: the first packet of a new inbound connection (a TCP SYN, a UDP or other
    datagram with conntrack state new, an ICMP or ICMPv6 request) and IPv6 neighbour and multicast
    listener discovery (untracked), over IPv4 and IPv6, to any address of the host (secondary,
    virtual and link-local ones included), from any source address, coming in on the interface the
    host routes that source through or on any interface a rule names. Loopback, martian sources
    and the host's own addresses are not judged. Replies, ICMP errors (related or invalid) and
    packets to broadcast or multicast addresses are not part of it, except a multicast group that an
    extra rule of the policy names (VRRP's 224.0.0.18), for that rule's protocol."
  - Rate limits, quotas and connection counts are read as not yet exceeded (the packet is the first
    of one new connection), so a rule that accepts a port under a rate limit opens that port.
  - Policy routing rules (C(ip rule)) are not read; sources are routed with the main table.
seealso:
  - module: bluemind.firewall.nftables_table
'''

EXAMPLES = r'''
- name: Check the live firewall against the record the role wrote
  bluemind.firewall.verify:

- name: Report drift without failing
  bluemind.firewall.verify:
    fail_on: []
  register: firewall_check

- name: Fail only on ports that are open but should be closed
  bluemind.firewall.verify:
    fail_on: [exposed]

- name: Probe a peer from this host, expectations from the peer's record
  bluemind.firewall.verify:
    static: false
    targets:
      - name: mx2
        address: 192.0.2.12
        policy: "{{ hostvars['mx2'].firewall_check.policy }}"

- name: Probe explicit ports
  bluemind.firewall.verify:
    static: false
    targets:
      - address: 192.0.2.12
        ports: [3306, 6379]
        expect: filtered
'''

RETURN = r'''
compliant:
  description: True when nothing is exposed, blocked or unknown (static check and probes), and no ban is found where
    O(fail_on) holds V(banned).
  returned: always
  type: bool
checks:
  description: Boxes of packets the static check evaluated, over both families (each box is a set of
    packets the rules treat alike).
  returned: always
  type: int
exposed:
  description: Reachable but should be closed. Each entry groups the ports that one rule decides for one source.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: V(exposed), V(blocked) or V(unknown).
      type: str
    family:
      description: V(ipv4) or V(ipv6).
      type: str
    proto:
      description: V(tcp), V(udp), V(icmp), V(icmpv6), another protocol's name, or V(protocol ...) for several.
      type: str
    ports:
      description: The port numbers, when the entry holds at most 1024 of them (else empty; see
        RV(exposed[].port_ranges)).
      type: list
      elements: int
    port:
      description: The same port numbers, as text with ranges; for ICMP, the message types (C(type 13,15));
        V(any) for protocols without ports.
      type: str
      sample: "10050-10052,10060"
    port_ranges:
      description: The ports as [first, last] pairs.
      type: list
      elements: list
    source_ports:
      description: The source ports, when the difference holds only for some (null for any).
      type: str
    sources:
      description: The source addresses the difference holds for, as prefixes.
      type: list
      elements: str
    sources_text:
      description: The same, for reading (C(any source), C(any source except ...)).
      type: str
    interfaces:
      description: The input interfaces it holds for; V((any interface no rule names)) stands for every other.
      type: list
      elements: str
    destinations:
      description: The host's addresses it holds for, when not all of them (null for all).
      type: list
      elements: str
    hop_limit:
      description: The TTL or hop limit values it holds for, when not all (null for all).
      type: str
    tcp_flags:
      description:
        - For TCP, the flag combinations of the first packet it holds for (C(syn), C(syn|ece|cwr)...), when
          not every combination Linux opens a connection from (null for all, and for other protocols).
      type: str
    extension_headers:
      description:
        - For IPv6, the extension headers the first packet carries that it holds for (C(none), C(hop-by-hop),
          C(destination options), C(routing type 0), C(routing), C(fragment)), when not all (null for all).
      type: str
    via:
      description: The DNAT rule the packets went through, or null.
      type: str
    services:
      description: The policy's names for those ports.
      type: list
      elements: str
    source:
      description: One source address of the difference, preferably a documentation address or a peer.
      type: str
    source_class:
      description: What the sources hold, such as V(outsider), V(peer mx2), V(cluster source 192.0.2.0/24),
        joined by commas.
      type: str
    expected:
      description: V(open) or V(closed).
      type: str
    actual:
      description: V(open), V(closed) or V(unknown).
      type: str
    table:
      description: Family and name of the deciding table (the DNAT's for a packet it forwarded); null
        when no chain decided (netfilter accepts by default).
      type: str
    chain:
      description: Deciding chain.
      type: str
    position:
      description: nft rule handle or iptables rule number; null for a chain policy.
      type: str
    rule:
      description: The deciding rule, as an iptables-save line or an nft-like rendering.
      type: str
  sample:
    - kind: blocked
      family: ipv4
      proto: tcp
      ports: [10050]
      port: "10050"
      services: [zabbix_agent]
      source: 203.0.113.7
      source_class: outsider
      expected: open
      actual: closed
      table: inet foreign_guard
      chain: input
      position: handle 2
      rule: tcp dport 10050 drop
blocked:
  description: Closed but should be reachable; entries as in RV(exposed).
  returned: always
  type: list
  elements: dict
unknown:
  description: Decided by a rule the module cannot evaluate exactly; entries as in RV(exposed).
  returned: always
  type: list
  elements: dict
banned:
  description:
    - Closed to a few sources by another program's ban (fail2ban, a hand-made list) - a drop or reject
      outside the collection's own rules that closes fewer remote sources than it leaves open, none of
      them a peer, a cluster source, an admin source or one of O(outsiders). One entry per table and
      chain, or named set, and family, as in RV(exposed), with C(banned) (how many addresses or networks),
      C(set) (the named set, or null) and C(about) (for example C(fail2ban chain f2b-sshd (ip filter)
      - 2 addresses banned)).
    - Not failed by default (O(fail_on)); a host whose only findings are bans is compliant.
  returned: always
  type: list
  elements: dict
  version_added: 0.6.0
redirects:
  description: DNAT and redirect rules on the inbound path (they make ports reachable without the input chains).
  returned: always
  type: list
  elements: dict
  sample:
    - table: ip nat
      chain: DOCKER
      position: rule 2
      rule: -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8000 -j DNAT --to-destination 172.17.0.2:8000
probes:
  description: One entry per connection attempt.
  returned: always
  type: list
  elements: dict
  sample:
    - name: mx2
      address: 192.0.2.12
      source: 192.0.2.11
      port: 10050
      service: zabbix_agent
      expected: reachable
      state: open
      detail: ""
      kind: null
boot_fallback:
  description: When the ruleset file did not load at boot and the previous one (or the last-resort policy) was
    loaded instead, what the boot unit noted; null otherwise.
  returned: always
  type: str
last_resort:
  description:
    - When neither the ruleset file nor the previous one loaded at boot, what the boot unit noted (it loaded the
      last-resort policy, SSH from the admin sources only, or took the network interfaces down); null otherwise.
    - A finding of its own, first in RV(msg); it makes the host not compliant and fails the task whenever
      O(fail_on) is not empty. The next run of the site playbook loads the policy and removes it.
  returned: always
  type: str
  version_added: 0.6.0
probe_mismatches:
  description: The entries of RV(probes) whose state does not meet the expectation; kind is exposed or blocked.
  returned: always
  type: list
  elements: dict
about:
  description:
    - "What the policy lets in, in one sentence - the ports open to everyone, to the cluster, to the admin
      sources, and the extra rules (protocol, ports or C(every port), and who - C(everyone), C(the cluster)
      or the sources), as in C(open to everyone: PORT, PORT; to the cluster: PORT, ...; extra rules: tcp
      every port from everyone). Ansible prints it first."
  returned: when O(static=true)
  type: str
source_mismatches:
  description:
    - Probes that left this host from an address that is not one of O(prober.addresses), one per target
      address; kind is V(blocked), as the target's peers drop what comes from there.
    - Each with C(kind), C(prober), C(source) (the address seen), C(recorded) (the prober's addresses),
      C(name) and C(address) of the target.
  returned: always
  type: list
  elements: dict
policy:
  description: The policy checked against (the record, or O(policy)); null when O(static=false).
  returned: always
  type: dict
msg:
  description: One line per difference, or the count of checks when there is none.
  returned: always
  type: str
'''

import ipaddress
import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bluemind.firewall.plugins.module_utils import host_files, nft_json, probes, verification
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import BOOT_FALLBACK_NOTE
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError, summary

MESSAGE_LINES = 20


class Verify(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params

    def output(self, args, required=False):
        """Standard output of a read-only command; '' when the tool is not installed."""
        path = self.module.get_bin_path(args[0], required=required)
        if not path:
            return ''
        rc, out, err = self.module.run_command([path] + args[1:])
        if rc != 0:
            self.module.fail_json(msg='%s failed (rc=%d): %s' % (' '.join(args), rc, err.strip() or out.strip()))
        return out

    def expected_policy(self):
        policy = self.params['policy']
        if policy is None:
            path = self.params['record_path']
            if not os.path.exists(path):
                self.module.fail_json(msg='no policy record at %s: this host was not configured by '
                                          'bluemind.firewall (run its site playbook), or pass the '
                                          'expected policy as the policy option' % path)
            try:
                with open(path) as handle:
                    policy = json.load(handle)
            except (IOError, ValueError) as exc:
                self.module.fail_json(msg='cannot read the policy record %s: %s' % (path, exc))
        try:
            return verification.ExpectedPolicy(policy)
        except PolicyError as exc:
            self.module.fail_json(msg=str(exc))

    def local_host(self):
        """Every address of the host (secondary, virtual and link-local ones included), its main
        routing table (which interface each source comes in on) and its interface names."""
        def listing(args):
            return json.loads(self.output(['ip', '-j'] + args) or '[]')
        forwarding = {}
        for version, path in ((4, '/proc/sys/net/ipv4/ip_forward'), (6, '/proc/sys/net/ipv6/conf/all/forwarding')):
            try:
                with open(path) as handle:
                    forwarding[version] = handle.read().strip() != '0'
            except (IOError, OSError):
                continue
        # `-d` gives each link's kind (bridge, bond, VLAN): which tables and ingress chains see its packets.
        return verification.host_from_listings(
            listing(['address', 'show']), listing(['-4', 'route', 'show', 'table', 'main']),
            listing(['-6', 'route', 'show', 'table', 'main']), listing(['-d', 'link', 'show']), forwarding,
            self.route_localnet())

    @staticmethod
    def route_localnet():
        """net.ipv4.conf.*.route_localnet as verification.route_localnet_of judges it; None when unreadable."""
        base = '/proc/sys/net/ipv4/conf'
        try:
            values = {}
            for name in os.listdir(base):
                with open(os.path.join(base, name, 'route_localnet')) as handle:
                    values[name] = handle.read().strip() != '0'
        except (IOError, OSError):
            return None
        return verification.route_localnet_of(values)

    def legacy_listing(self, command, names):
        """iptables-legacy-save output when the host has legacy tables of that family. The list in /proc
        is read first: running the legacy tool on a host without them would load kernel modules."""
        try:
            with open(names) as handle:
                if not handle.read().split():
                    return ''
        except (IOError, OSError):
            return ''
        return self.output([command])

    def static_check(self):
        expected = self.expected_policy()
        # Parsed once: the version check below and the reading of the tables both take the document.
        nft = self.output(['nft', '-j', 'list', 'ruleset'])
        listings = {'nft': json.loads(nft) if nft.strip() else {}}
        # Where iptables itself is the legacy variant, its save output is the legacy tables.
        legacy = 'legacy' in self.output(['iptables-save', '--version'])
        for command, names in (('iptables', '/proc/net/ip_tables_names'), ('ip6tables', '/proc/net/ip6_tables_names')):
            if legacy:
                listings[command] = ''
                listings[command + '-legacy'] = self.legacy_listing(command + '-save', names)
            else:
                listings[command] = self.output([command + '-save'])
                listings[command + '-legacy'] = self.legacy_listing(command + '-legacy-save', names)
        rules = self.output(['nft', '-a', 'list', 'ruleset']) if nft_json.lists_set_statements_partly(listings['nft']) else ''
        tables = verification.live_tables(
            listings['nft'], listings['iptables'], listings['ip6tables'], listings['iptables-legacy'],
            listings['ip6tables-legacy'], self.output(['ipset', 'save']), self.output(['nft', 'list', 'chains']), rules)
        try:
            outsiders = [str(ipaddress.ip_network(item, strict=False)) for item in self.params['outsiders']]
        except ValueError as exc:
            self.module.fail_json(msg='outsiders: %s' % exc)
        checks, differences = verification.compare(tables, expected, self.local_host(), outsiders)
        return expected.policy, checks, differences, verification.redirects(tables)

    def probe_targets(self):
        """(the probes and their states, the sources that are not this host's recorded addresses)."""
        plan = []
        unrecorded = []
        prober = self.params['prober'] or {}
        recorded = [verification.canonical(item) for item in prober.get('addresses') or []]
        for index, target in enumerate(self.params['targets']):
            address = target['address']
            try:
                source = probes.source_address(address)
            except OSError as exc:
                self.module.fail_json(msg='targets[%d]: no route to %s: %s' % (index, address, exc))
            intended = verification.intended_source(source, recorded)
            if intended != source:
                unrecorded.append({'kind': verification.BLOCKED, 'prober': prober.get('name'), 'source': source,
                                   'recorded': recorded, 'name': target.get('name') or address, 'address': address})
            if target.get('policy') is not None:
                try:
                    expected = verification.ExpectedPolicy(target['policy'])
                except PolicyError as exc:
                    self.module.fail_json(msg='targets[%d]: %s' % (index, exc))
                ports = verification.probe_plan(expected, intended)
                if target.get('ports'):
                    ports = [item for item in ports if item[0] in target['ports']]
            elif target.get('ports') and target.get('expect'):
                ports = [(port, target['expect'], '') for port in target['ports']]
            else:
                self.module.fail_json(msg='targets[%d] (%s): give policy, or ports with expect' % (index, address))
            for port, expect, service in ports:
                plan.append({'name': target.get('name') or address, 'address': address, 'source': source,
                             'port': port, 'service': service, 'expected': expect})
        states = probes.probe_all([(item['address'], item['port']) for item in plan],
                                  self.params['probe_timeout'], self.params['probe_workers'])
        for item, (state, detail) in zip(plan, states):
            item.update({'state': state, 'detail': detail,
                         'kind': verification.probe_difference(item['expected'], state)})
        return plan, unrecorded

    def run(self):
        result = {'changed': False, 'checks': 0, 'redirects': [], 'policy': None}
        differences = []
        if self.params['static']:
            result['policy'], result['checks'], differences, result['redirects'] = self.static_check()
            # Sorted first in Ansible's output: what the host lets in, in words, before the detail.
            result['about'] = summary(result['policy'])
        # The boot unit leaves this note when the ruleset file did not hold the whole table and it
        # loaded the previous one instead: the rules in force may be older than the record.
        result['boot_fallback'] = (host_files.read(BOOT_FALLBACK_NOTE) or '').strip() or None
        # Neither ruleset loaded: the host runs the last resort (or is cut off), whatever the record says.
        result['last_resort'] = result['boot_fallback'] if 'last-resort' in (result['boot_fallback'] or '') else None
        if result['boot_fallback'] and not result['last_resort']:
            self.module.warn('%s (the file is written again by the next run of the site playbook)'
                             % result['boot_fallback'])
        for kind in verification.FINDING_KINDS:
            result[kind] = [item for item in differences if item['kind'] == kind]
        result['probes'], result['source_mismatches'] = self.probe_targets()
        result['probe_mismatches'] = [item for item in result['probes'] if item['kind']]
        lines = [verification.difference_text(item) for item in differences]
        lines += [verification.source_mismatch_text(item) for item in result['source_mismatches']]
        grouped = {}
        for item in result['probe_mismatches']:
            key = (item['kind'], item['name'], item['address'], item['source'], item['state'], item['expected'])
            grouped.setdefault(key, []).append(item['port'])
        lines += ['%s tcp/%s on %s %s from %s: %s (expected %s)' % (
            kind, verification.port_list_text(ports), name, address, source, state, expect)
            for (kind, name, address, source, state, expect), ports in grouped.items()]
        failing = [line for line in lines if line.split(' ', 1)[0] in self.params['fail_on']]
        if result['last_resort']:
            lines.insert(0, '%s (the next run of the site playbook loads the policy again)' % result['last_resort'])
            if self.params['fail_on']:
                failing.insert(0, lines[0])
        # A ban by other software (fail2ban) is reported; it makes the host not compliant only when asked to.
        bans = [line for line in lines if line.startswith(verification.BANNED + ' ')]
        result['compliant'] = not [line for line in lines if line not in bans] and (
            not bans or verification.BANNED not in self.params['fail_on'])
        if lines and result['compliant']:
            # Counted in addresses, as the verify playbook's report counts them.
            result['msg'] = 'compliant, with %d ban(s) by other software: %s, %d probes:\n%s' % (
                sum(item['banned'] for item in result[verification.BANNED]), 'every new inbound connection checked (%d boxes of packets)' % result['checks'],
                len(result['probes']), '\n'.join(bans[:MESSAGE_LINES]))
        elif lines:
            counts = ', '.join(['last-resort boot'] * bool(result['last_resort']) + [
                '%d %s' % (sum(1 for line in lines if line.startswith(kind + ' ')), kind)
                for kind in verification.FINDING_KINDS
                if kind in verification.DEFAULT_FAIL_ON or any(line.startswith(kind + ' ') for line in lines)])
            shown = lines[:MESSAGE_LINES]
            if len(lines) > MESSAGE_LINES:
                shown.append('... %d more' % (len(lines) - MESSAGE_LINES))
            result['msg'] = 'not compliant (%s):\n%s' % (counts, '\n'.join(shown + verification.hints(differences)))
        else:
            result['msg'] = 'compliant: %s, %d probes, no difference' % (
                'every new inbound connection checked (%d boxes of packets)' % result['checks']
                if self.params['static'] else 'no static check', len(result['probes']))
        if failing:
            self.module.fail_json(**result)
        if lines and self.params['fail_on']:
            # Differences of kinds that do not fail the task still reach the operator's screen.
            self.module.warn(result['msg'])
        return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            policy=dict(type='dict'),
            record_path=dict(type='path', default='/etc/bluemind-firewall/policy.json'),
            static=dict(type='bool', default=True),
            fail_on=dict(type='list', elements='str', choices=list(verification.FINDING_KINDS),
                         default=list(verification.DEFAULT_FAIL_ON)),
            outsiders=dict(type='list', elements='str', default=[]),
            targets=dict(type='list', elements='dict', default=[], options=dict(
                address=dict(type='str', required=True),
                name=dict(type='str'),
                policy=dict(type='dict'),
                ports=dict(type='list', elements='int'),
                expect=dict(type='str', choices=list(verification.PROBE_EXPECTATIONS)),
            )),
            prober=dict(type='dict', options=dict(
                name=dict(type='str'),
                addresses=dict(type='list', elements='str', default=[]),
            )),
            probe_timeout=dict(type='float', default=1.0),
            probe_workers=dict(type='int', default=64),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**Verify(module).run())


if __name__ == '__main__':
    main()
