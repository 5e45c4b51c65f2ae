# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether BlueMind's bm-iptables runs on a host, and what keeping it beside the policy would do.

bm-iptables puts two chains at the top of INPUT, in iptables and ip6tables: bmhosts accepts every
packet from the BlueMind hosts it knows (IPv4 addresses only), and sends every other new connection to
bmports, which drops BlueMind's internal ports. Kept beside the collection's rules, so that a packet
must pass both:
- every internal port the policy opens to a peer over IPv6, or to a cluster source bm-iptables does
  not know, is dropped by bmports: verify reports it `blocked`, whatever the backend;
- with ufw, whose chains hang off the same INPUT chain after bmhosts, bmhosts' accept of a peer wins
  over ufw for every port, those the policy closes included: verify reports them `exposed`.
Both are known before anything is applied, so the plan refuses instead of applying and then failing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import shlex

SERVICE = 'bm-iptables.service'
CHAINS = ('bmhosts', 'bmports')


def jump_rules(listing, chains):
    """The `-A INPUT ...` specs of `iptables -S INPUT` that jump or go to one of chains."""
    found = []
    for line in listing.splitlines():
        words = shlex.split(line)
        if words[:2] != ['-A', 'INPUT']:
            continue
        for flag in ('-j', '-g'):
            if flag in words and words.index(flag) + 1 < len(words) and words[words.index(flag) + 1] in chains:
                found.append(words[2:])
                break
    return found


def _jumps(listing):
    """The bm-iptables chains that `iptables -S INPUT` jumps or goes to."""
    return set(chain for chain in CHAINS if jump_rules(listing, [chain]))


def _trusted(listing):
    """The sources that `iptables -S bmhosts` accepts on every port."""
    found = []
    for line in listing.splitlines():
        words = line.split()
        if words[:2] == ['-A', 'bmhosts'] and words[-2:] == ['-j', 'ACCEPT'] and '-s' in words[:-1]:
            found.append(words[words.index('-s') + 1])
    return found


def state(module):
    """What of bm-iptables runs on the host, read without changing it: {'active', 'enabled' (its unit),
    'chains' (those INPUT jumps to), 'trusted' (the sources its chain bmhosts accepts, when loaded)}."""
    env = {'LANG': 'C', 'LC_ALL': 'C'}
    systemctl = module.get_bin_path('systemctl')
    active = enabled = False
    if systemctl:
        active = module.run_command([systemctl, 'is-active', '--quiet', SERVICE], environ_update=env)[0] == 0
        enabled = module.run_command([systemctl, 'is-enabled', '--quiet', SERVICE], environ_update=env)[0] == 0
    chains, trusted, loaded = set(), [], False
    for tool in ('iptables', 'ip6tables'):
        path = module.get_bin_path(tool)
        if not path:
            continue
        rc, out, dummy = module.run_command([path, '-w', '-S', 'INPUT'], environ_update=env)
        if rc == 0:
            chains |= _jumps(out)
        rc, out, dummy = module.run_command([path, '-w', '-S', 'bmhosts'], environ_update=env)
        if rc == 0:
            loaded = True
            trusted += _trusted(out)
    return {'active': active, 'enabled': enabled, 'chains': sorted(chains),
            'trusted': trusted if loaded else None}


def running(found):
    """Whether bm-iptables filters now or will at the next boot."""
    return bool(found and (found.get('active') or found.get('enabled') or found.get('chains')))


def _covered(address, trusted):
    network = ipaddress.ip_network(address, strict=False)
    for source in trusted:
        try:
            other = ipaddress.ip_network(source, strict=False)
        except ValueError:
            continue
        if other.version == network.version and network.subnet_of(other):
            return True
    return False


def predicted_findings(policy, host, found):
    """{kind: why} of what verify would report with bm-iptables kept beside this host's policy.

    The sources bm-iptables trusts are read from its loaded chain; a unit not running yet will trust
    what BlueMind writes: the IPv4 addresses of the installation's servers."""
    others = dict((name, addresses) for name, addresses in (policy.get('peers') or {}).items() if name != host)
    trusted = (found or {}).get('trusted')
    if trusted is None:
        trusted = [address for addresses in others.values() for address in addresses
                   if ipaddress.ip_network(address, strict=False).version == 4]
    dropped = ['%s (peer %s)' % (address, name) for name, addresses in sorted(others.items())
               for address in addresses if not _covered(address, trusted)]
    dropped += [source for source in policy.get('cluster_sources') or [] if not _covered(source, trusted)]
    findings = {}
    if dropped:
        findings['blocked'] = ('its chain bmports drops the internal ports that this policy opens to %s'
                               % ', '.join(dropped))
    accepted = sorted(name for name, addresses in others.items() if any(_covered(a, trusted) for a in addresses))
    if policy.get('backend') == 'ufw' and accepted:
        findings['exposed'] = ('its chain bmhosts accepts every port from %s before ufw\'s chains are reached, '
                               'the ports this policy closes to them included' % ', '.join(accepted))
    return findings


def refusal(found, policy, host, choice, fail_on):
    """Why keeping bm-iptables would apply this policy and then fail its check, or None."""
    if choice != 'keep' or not running(found):
        return None
    failing = dict((kind, why) for kind, why in predicted_findings(policy, host, found).items() if kind in fail_on)
    if not failing:
        return None
    where = []
    if found.get('active') or found.get('enabled'):
        where.append('%s is %s' % (SERVICE, 'active' if found.get('active') else 'enabled'))
    if found.get('chains'):
        where.append('INPUT jumps to %s' % ', '.join(found['chains']))
    kinds = ' and '.join(sorted(failing))
    return ('BlueMind\'s bm-iptables runs on this host (%s) and bluemind_firewall_bm_iptables is keep, so a packet '
            'would have to pass both firewalls: %s. The check after the change would fail on %s '
            '(bluemind_firewall_verify_fail_on). Choose bluemind_firewall_bm_iptables: disabled (the default), which '
            'turns bm-iptables off once the collection\'s rules are in force (the firewall page of BlueMind\'s admin '
            'console then changes nothing); or, to keep it, take %s out of bluemind_firewall_verify_fail_on.'
            % ('; '.join(where), '; '.join('%s (%s)' % (why, kind) for kind, why in sorted(failing.items())),
               kinds, kinds))
