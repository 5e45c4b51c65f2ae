"""The engine against a real kernel: every cell of every case is sent to a ruleset loaded in a
throwaway network namespace, and the kernel's decision is compared with the engine's (netns.py,
oracle.py, cases.py). Run by `make oracle`, as root; skipped where namespaces are not available.

Every cell must agree. The cells where the engine is wrong or imprecise today are listed in KNOWN,
each with its construct and why: they are expected to fail (strict), so that a fix in the engine
makes them pass, and so fail here until they are taken off the list.
"""

import pytest

import cases
import netns
import oracle

UNAVAILABLE = netns.available()
pytestmark = pytest.mark.skipif(UNAVAILABLE is not None, reason=UNAVAILABLE or '')

_FLAGS = 'the first TCP packet is modelled as SYN alone; Linux opens connections from SYN|ECE|CWR and SYN|PSH'
_EXT = 'ip6 nexthdr is read as the transport protocol; with an extension header it is the header\'s number'
# (case, cell): (what the engine gives today, the construct, why).
KNOWN = {
    ('mangle-tcp-dport-set', 'syn-2222-4'): (oracle.DISAGREE, 'tcp dport set before input', 'mangling taken as no effect'),
    ('mangle-tcp-dport-set', 'syn-2222-6'): (oracle.DISAGREE, 'tcp dport set before input', 'mangling taken as no effect'),
    ('mangle-ip-saddr-set', 'from-b-4'): (oracle.DISAGREE, 'ip saddr set before input', 'mangling taken as no effect'),
    ('mangle-ip-saddr-set', 'from-b-6'): (oracle.DISAGREE, 'ip6 saddr set before input', 'mangling taken as no effect'),
    ('ct-state-before-conntrack', 'syn-22-4'): (oracle.DISAGREE, 'ct state at priority -300',
                                                'before conntrack every packet is invalid'),
    ('ct-state-before-conntrack', 'syn-22-6'): (oracle.DISAGREE, 'ct state at priority -300',
                                                'before conntrack every packet is invalid'),
    ('ct-state-before-conntrack', 'udp-53-4'): (oracle.DISAGREE, 'ct state at priority -300',
                                                'before conntrack every packet is invalid'),
    ('ct-state-before-conntrack', 'udp-53-6'): (oracle.DISAGREE, 'ct state at priority -300',
                                                'before conntrack every packet is invalid'),
    ('notrack', 'syn-22-4'): (oracle.DISAGREE, 'notrack', 'an untracked packet is not ct state new'),
    ('notrack', 'syn-22-6'): (oracle.DISAGREE, 'notrack', 'an untracked packet is not ct state new'),
    ('nat-chain-on-input-drops', 'syn-22-4'): (oracle.DISAGREE, 'nat chain on the input hook',
                                               'nat chains on input are skipped; the kernel honours their drop'),
    ('bridge-family-table', 'from-a-4'): (oracle.DISAGREE, 'bridge table', 'bridge family tables are not read'),
    ('bridge-family-table', 'from-a-6'): (oracle.DISAGREE, 'bridge table', 'bridge family tables are not read'),
    ('netdev-chain-on-bridge-port', 'from-a-4'): (oracle.DISAGREE, 'ingress chain on a bridge port',
                                                  'the packet\'s iif is the bridge; the port\'s chain is skipped'),
    ('netdev-chain-on-bridge-port', 'from-a-6'): (oracle.DISAGREE, 'ingress chain on a bridge port',
                                                  'the packet\'s iif is the bridge; the port\'s chain is skipped'),
    ('multipath-default-route', 'off-link-4'): (oracle.UNJUDGED, 'multipath default route',
                                                'ip -j route gives nexthops and no dev: the default route is lost'),
    ('multipath-default-route', 'off-link-6'): (oracle.UNJUDGED, 'multipath default route',
                                                'ip -j route gives nexthops and no dev: the default route is lost'),
    ('ipset-nomatch', 'from-a-4'): (oracle.DISAGREE, 'ipset nomatch', 'nomatch entries are read as members'),
    ('tcp-flags-equal-syn', 'ecn-syn-4'): (oracle.DISAGREE, 'tcp flags == syn', _FLAGS),
    ('tcp-flags-equal-syn', 'ecn-syn-6'): (oracle.DISAGREE, 'tcp flags == syn', _FLAGS),
    ('tcp-flags-equal-syn', 'syn-psh-4'): (oracle.DISAGREE, 'tcp flags == syn', _FLAGS),
    ('tcp-flags-equal-syn', 'syn-psh-6'): (oracle.DISAGREE, 'tcp flags == syn', _FLAGS),
    ('tcp-flags-not-syn-drop', 'ecn-syn-4'): (oracle.DISAGREE, 'tcp flags != syn drop', _FLAGS),
    ('tcp-flags-not-syn-drop', 'ecn-syn-6'): (oracle.DISAGREE, 'tcp flags != syn drop', _FLAGS),
    ('tcp-flags-not-syn-drop', 'syn-psh-4'): (oracle.DISAGREE, 'tcp flags != syn drop', _FLAGS),
    ('tcp-flags-not-syn-drop', 'syn-psh-6'): (oracle.DISAGREE, 'tcp flags != syn drop', _FLAGS),
    ('iptables-tcp-flags-all-syn', 'syn-psh-4'): (oracle.DISAGREE, '--tcp-flags ALL SYN', _FLAGS),
    ('ip6-nexthdr', 'ext-hbh-6'): (oracle.DISAGREE, 'ip6 nexthdr with Hop-by-Hop', _EXT),
    ('ip6-nexthdr', 'ext-dst-6'): (oracle.DISAGREE, 'ip6 nexthdr with Destination Options', _EXT),
    ('ip6-nexthdr', 'ext-rt-6'): (oracle.DISAGREE, 'ip6 nexthdr with Routing', _EXT),
    ('ip6-nexthdr', 'ext-frag-6'): (oracle.DISAGREE, 'ip6 nexthdr with Fragment', _EXT),
    ('multicast-fib-daddr-type', 'group-4'): (oracle.DISAGREE, 'fib daddr type local, multicast destination',
                                              'a group is judged with a unicast answer (local)'),
    ('multicast-fib-daddr-type', 'group-6'): (oracle.DISAGREE, 'fib daddr type local, multicast destination',
                                              'a group is judged with a unicast answer (local)'),
    ('multicast-pkttype-host', 'group-4'): (oracle.DISAGREE, 'meta pkttype host, multicast destination',
                                            'pkttype is read as host for every packet'),
    ('multicast-pkttype-host', 'group-6'): (oracle.DISAGREE, 'meta pkttype host, multicast destination',
                                            'pkttype is read as host for every packet'),
    ('redirect-to-first-address', 'second-address-4'): (oracle.DISAGREE, 'redirect',
                                                        'the new destination is the iif\'s first address, not the old one'),
    ('redirect-to-first-address', 'first-address-6'): (oracle.DISAGREE, 'redirect',
                                                       'IPv6: the first address `ip addr` lists (the last added, '
                                                       'fd99::9 here), not the old one'),
    ('th-dport', 'proto253-port22-4'): (oracle.DISAGREE, 'th dport', 'th matches any protocol, not the five port ones'),
    ('th-dport', 'proto253-port22-6'): (oracle.DISAGREE, 'th dport', 'th matches any protocol, not the five port ones'),
    ('iptables-comment-bang', 'syn-22-4'): (oracle.DISAGREE, 'iptables --comment "!"', 'read as negating the next option'),
    ('iptables-comment-bang', 'syn-80-4'): (oracle.DISAGREE, 'iptables --comment "!"', 'read as negating the next option'),
    ('iptables-icmp-type-code', 'echo-4'): (oracle.DISAGREE, 'iptables --icmp-type 8/1', 'read as the whole type 8'),
    ('iptables-icmp-type-code', 'echo-6'): (oracle.DISAGREE, 'ip6tables --icmpv6-type 128/1', 'read as the whole type 128'),
    ('dnat-to-localhost-nft', 'syn-2222-4'): (oracle.DISAGREE, 'dnat to 127.0.0.1',
                                              'a martian without route_localnet, read as delivered'),
    ('dnat-to-localhost-iptables', 'syn-2222-4'): (oracle.DISAGREE, 'DNAT --to-destination 127.0.0.1',
                                                   'a martian without route_localnet, read as delivered'),
    ('concatenated-set-accept', 'allowed-4'): (oracle.UNKNOWN, 'ip saddr . tcp dport @set', 'concatenations not read'),
    ('concatenated-set-accept', 'other-source-4'): (oracle.UNKNOWN, 'ip saddr . tcp dport @set', 'concatenations not read'),
    ('concatenated-set-accept', 'other-port-4'): (oracle.UNKNOWN, 'ip saddr . tcp dport @set', 'concatenations not read'),
    ('inet-dnat-ip-with-ipv6', 'syn-2222-6'): (oracle.UNKNOWN, 'dnat ip to in an inet nat chain, IPv6 packet',
                                               'the kernel skips it for IPv6'),
    ('fib-reverse-path', 'on-link-4'): (oracle.UNKNOWN, 'fib saddr . iif oif missing drop', 'reverse path not modelled'),
    ('fib-reverse-path', 'off-link-4'): (oracle.UNKNOWN, 'fib saddr . iif oif missing drop', 'reverse path not modelled'),
    ('fib-reverse-path', 'eth1-source-on-eth0-4'): (oracle.UNKNOWN, 'fib saddr . iif oif missing drop',
                                                    'reverse path not modelled'),
    ('fib-reverse-path', 'on-link-6'): (oracle.UNKNOWN, 'fib saddr . iif oif missing drop', 'reverse path not modelled'),
    ('fib-reverse-path', 'off-link-6'): (oracle.UNKNOWN, 'fib saddr . iif oif missing drop', 'reverse path not modelled'),
    ('fib-reverse-path', 'eth1-source-on-eth0-6'): (oracle.UNKNOWN, 'fib saddr . iif oif missing drop',
                                                    'reverse path not modelled'),
}
SOUND = (oracle.AGREE, oracle.UNKNOWN)
_CASES = dict((case.name, case) for case in cases.HAND)


@pytest.fixture(scope='module')
def hand_results():
    """{(case, cell): row} of every hand-written case, each case loaded and probed once."""
    found = {}
    for name, rows in oracle.run_cases(cases.HAND):
        for row in rows:
            found[name, row[0].name] = (name, row)
    return found


@pytest.fixture(scope='module')
def random_results():
    return dict(oracle.run_cases([cases.random_case(seed) for seed in cases.RANDOM_SEEDS]))


def _cells(unsound_only):
    for case in cases.HAND:
        for cell in case.cells:
            known = KNOWN.get((case.name, cell.name))
            marks = []
            if known and (not unsound_only or known[0] not in SOUND):
                marks.append(pytest.mark.xfail(strict=True, reason='%s (%s): %s' % known))
            yield pytest.param(case.name, cell.name, marks=marks, id='%s/%s' % (case.name, cell.name))


def _row(hand_results, case, cell):
    missing = [tool for tool in _CASES[case].needs if not netns._has(tool)]
    if missing:
        pytest.skip('%s is not installed (tests/harness/bootstrap.sh installs it)' % ', '.join(missing))
    return hand_results[case, cell]


@pytest.mark.parametrize('case, cell', list(_cells(False)))
def test_the_engine_decides_as_the_kernel_did(hand_results, case, cell):
    found = _row(hand_results, case, cell)
    assert found[1][-1] == oracle.AGREE, oracle.table_text([(found[0], [found[1]])])


@pytest.mark.parametrize('case, cell', list(_cells(True)))
def test_the_engine_never_contradicts_the_kernel(hand_results, case, cell):
    found = _row(hand_results, case, cell)
    assert found[1][-1] in SOUND, oracle.table_text([(found[0], [found[1]])])


def test_every_known_cell_is_a_cell_of_a_case():
    names = set((case.name, cell.name) for case in cases.HAND for cell in case.cells)
    assert set(KNOWN) <= names


@pytest.mark.parametrize('seed', list(cases.RANDOM_SEEDS))
def test_a_random_ruleset_agrees_with_the_kernel_on_every_cell(random_results, seed):
    rows = random_results['random-%d' % seed]
    wrong = [row for row in rows if row[-1] != oracle.AGREE]
    assert not wrong, '%s\n%s' % (cases.random_case(seed).nft, oracle.table_text([('random-%d' % seed, wrong)]))
