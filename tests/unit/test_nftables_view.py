"""What the nftables table holds for a policy, and that every variant renders to a ruleset nft accepts."""

import os
import shutil
import subprocess

import jinja2
import pytest

from conftest import ROLE
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import (
    fallback_iptables, fallback_paths, fallback_ruleset, nftables_view, without_dynamic_elements)
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import build_policy


def view(port_table, peers=None, **settings):
    hosts = peers or {'mx1': ['192.0.2.10', '2001:db8::10'], 'mx2': ['192.0.2.11']}
    return nftables_view(build_policy(port_table, settings, {'group': 'bluemind', 'hosts': hosts}))


def sets(result):
    return {s['name']: s for s in result['sets']}


def matches(result):
    return [r['match'] for r in result['rules']]


def render(result):
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLE, 'templates')),
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, keep_trailing_newline=True)
    return environment.get_template('bluemind_firewall.nft.j2').render(**result)


def test_default_policy(port_table):
    result = view(port_table)
    # SSH is limited while everyone may reach it: its protection comes before every accept rule.
    assert matches(result) == [
        'ip saddr @cluster_hosts_v4 tcp dport { 22 }',
        'meta nfproto ipv4 ip saddr . tcp dport @bans_v4',
        'meta nfproto ipv4 tcp dport { 22 } update @meters_v4 { ip saddr . tcp dport limit rate over 10/minute burst 5 '
        'packets } add @bans_v4 { ip saddr . tcp dport timeout 600s }',
        'ip6 saddr @cluster_hosts_v6 tcp dport { 22 }',
        'meta nfproto ipv6 ip6 saddr & ffff:ffff:ffff:ffff:: . tcp dport @bans_v6',
        'meta nfproto ipv6 tcp dport { 22 } update @meters_v6 { ip6 saddr & ffff:ffff:ffff:ffff:: . tcp dport limit '
        'rate over 10/minute burst 5 packets } add @bans_v6 { ip6 saddr & ffff:ffff:ffff:ffff:: . tcp dport timeout 600s }',
        'tcp dport 22',
        'tcp dport @everyone_tcp_ports',
        'ip saddr @cluster_hosts_v4 tcp dport @cluster_tcp_ports',
        'ip6 saddr @cluster_hosts_v6 tcp dport @cluster_tcp_ports',
    ]
    named = sets(result)
    assert named['everyone_tcp_ports']['elements'] == ['25', '443']
    assert '5701-5715' in named['cluster_tcp_ports']['elements']
    assert named['cluster_hosts_v4']['elements'] == ['192.0.2.10', '192.0.2.11']
    assert named['cluster_hosts_v6']['elements'] == ['2001:db8::10']


def test_restricted_admin_sources_get_sets_and_a_missing_family_gets_no_ssh(port_table):
    result = view(port_table, admin_sources=['198.51.100.0/24'], ssh_port=2222)
    assert matches(result)[0] == 'ip saddr @admin_hosts_v4 tcp dport 2222'
    assert not any('2222' in match for match in matches(result)[1:])
    assert sets(result)['admin_hosts_v4']['elements'] == ['198.51.100.0/24']
    assert 'admin_hosts_v6' not in sets(result)


def test_any_source_for_one_family_only(port_table):
    result = view(port_table, admin_sources=['0.0.0.0/0', '2001:db8:ad::/48'])
    assert matches(result)[:2] == ['meta nfproto ipv4 tcp dport 22', 'ip6 saddr @admin_hosts_v6 tcp dport 22']


def test_public_false_moves_public_ports_to_the_cluster_set(port_table):
    result = view(port_table, public=False, optional_services=['imaps'])
    assert 'everyone_tcp_ports' not in sets(result)
    assert {'25', '443', '993'} <= set(sets(result)['cluster_tcp_ports']['elements'])


def test_rule_count_does_not_grow_with_the_cluster(port_table):
    small = view(port_table)
    peers = {'mx%d' % i: ['10.0.%d.%d' % (i // 250, i % 250 + 1), 'fd00::%x' % (i + 1)] for i in range(1000)}
    large = view(port_table, peers=peers)
    assert len(large['rules']) == len(small['rules'])
    assert len(sets(large)['cluster_hosts_v4']['elements']) == 1000


def test_udp_and_overlapping_extra_ports(port_table):
    result = view(port_table,
                  extra_internal_ports=[{'port': '8000-8085', 'name': 'wide'}, {'port': 161, 'proto': 'udp', 'name': 'snmp'}])
    tcp = sets(result)['cluster_tcp_ports']['elements']
    assert '8000-8085' in tcp and '8021' not in tcp and '8080' not in tcp
    assert sets(result)['cluster_udp_ports']['elements'] == ['161']
    assert 'ip6 saddr @cluster_hosts_v6 udp dport @cluster_udp_ports' in matches(result)


def test_rendering_has_no_empty_element_lists(port_table):
    text = render(view(port_table, peers={'mx1': ['192.0.2.10']}))
    assert 'elements = {  }' not in text and 'elements = { }' not in text
    assert text.count('table inet bluemind_firewall') == 3
    assert 'delete table inet bluemind_firewall' in text


VARIANTS = {
    'defaults': {},
    'restricted admin, public false, extras': {
        'admin_sources': ['198.51.100.0/24', '2001:db8:ad::/48'], 'public': False,
        'cluster_sources': ['10.0.0.0/8', 'fd00::/8'],
        'extra_public_ports': [{'port': '7000-7010', 'name': 'a'}],
        'extra_internal_ports': [{'port': 161, 'proto': 'udp', 'name': 'snmp'}, {'port': '8000-8085', 'name': 'w'}]},
    'ipv4 admin only, every optional service': {
        'admin_sources': ['0.0.0.0/0'],
        'optional_services': ['http', 'pop3', 'imap', 'smtps', 'submission', 'imaps', 'pop3s', 'xmpp_client',
                              'xmpp_client_tls', 'xmpp_server']},
    'extra rules of every kind, drops not logged': {
        'log_drops': False,
        'extra_rules': [
            {'protocol': 'vrrp', 'destination': '224.0.0.18'},
            {'protocol': 'vrrp', 'destination': 'ff02::12', 'interface': 'eth1'},
            {'protocol': 'udp', 'ports': [500, 4500, '6000-6010'], 'sources': ['cluster', '198.51.100.0/24']},
            {'protocol': 132, 'ports': 'any', 'sources': ['0.0.0.0/0']},
            {'protocol': 'dccp', 'ports': 5004},
            {'protocol': 136, 'ports': '7000-7001', 'sources': ['::/0']},
            {'protocol': 'icmp', 'sources': ['0.0.0.0/0', '::/0']},
            {'protocol': 'esp', 'sources': ['198.51.100.0/24', '2001:db8::/32'], 'interface': 'wg0'}]},
}


def test_drops_are_counted_and_logged_unless_switched_off(port_table):
    logged = render(view(port_table))
    assert 'meta pkttype host limit rate 5/second burst 10 packets log prefix "bluemind-firewall drop: " level info' in logged
    lines = [line.strip() for line in logged.splitlines() if line.strip()]
    assert lines[-3:] == ['counter drop comment "dropped: everything not accepted above"', '}', '}']
    assert lines.index(next(line for line in lines if ' log prefix ' in line)) == len(lines) - 4
    quiet = render(view(port_table, log_drops=False))
    assert ' log ' not in quiet and 'counter drop' in quiet


def test_dynamic_set_elements_are_not_a_change_of_the_table():
    listing = ('table inet bluemind_firewall {\n\tset cluster_hosts_v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n'
               '\t\telements = { 10.0.0.1, 10.0.0.2 }\n\t}\n\tset ping_senders_v4 {\n\t\ttype ipv4_addr\n'
               '\t\tsize 4096\n\t\tflags dynamic,timeout\n\t\ttimeout 1m\n\t\telements = { 10.0.0.9,\n'
               '\t\t\t     10.0.0.10 }\n\t}\n}\n')
    cleaned = without_dynamic_elements(listing)
    assert '10.0.0.9' not in cleaned and '10.0.0.10' not in cleaned
    assert 'elements = { 10.0.0.1, 10.0.0.2 }' in cleaned and 'timeout 1m' in cleaned
    assert cleaned == without_dynamic_elements(cleaned)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('nft'), reason='nft -c needs nft and root')
@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_nft_accepts_every_variant(port_table, tmp_path, name):
    ruleset = tmp_path / 'ruleset.nft'
    ruleset.write_text(render(view(port_table, peers={'mx1': ['10.1.2.3', 'fd00::1'], 'mx2': ['192.0.2.11']},
                                   **VARIANTS[name])))
    check = subprocess.run(['nft', '-c', '-f', str(ruleset)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr


def test_set_elements_name_their_services_and_hosts(port_table):
    result = view(port_table, cluster_sources=['198.51.100.0/24'], optional_services=['imaps'])
    listing = {s['name']: s['listing'] for s in result['sets']}
    assert listing['everyone_tcp_ports'] == '25 comment "smtp", 443 comment "https", 993 comment "imaps"'
    ranges = dict((entry['port'], entry['service']) for entry in port_table
                  if entry['class'] == 'internal' and 4 in entry['versions'])
    for port, service in ranges.items():
        assert '%s comment "%s"' % (port, service) in listing['cluster_tcp_ports']
    assert listing['cluster_hosts_v4'] == ('192.0.2.10 comment "mx1", 192.0.2.11 comment "mx2", '
                                           '198.51.100.0/24 comment "cluster source"')
    assert listing['cluster_hosts_v6'] == '2001:db8::10 comment "mx1"'
    text = render(result)
    assert 'elements = { 25 comment "smtp", 443 comment "https", 993 comment "imaps" }' in text


FALLBACK_VARIANTS = {
    'admin networks of both families': {'admin_sources': ['198.51.100.0/24', '2001:db8:ad::/48']},
    'IPv4 admin network only, another SSH port': {'admin_sources': ['198.51.100.0/24'], 'ssh_port': 2222},
    'everyone': {},
    'IPv4 everyone, IPv6 a network': {'admin_sources': ['0.0.0.0/0', '2001:db8:ad::/48']},
}


def fallback_policy(port_table, **settings):
    return build_policy(port_table, settings, {'group': 'bluemind', 'hosts': {'mx1': ['192.0.2.10', '2001:db8::10']}})


@pytest.mark.parametrize('name', sorted(FALLBACK_VARIANTS))
def test_the_last_resort_opens_ssh_to_the_admin_sources_and_nothing_else(port_table, name):
    policy = fallback_policy(port_table, **FALLBACK_VARIANTS[name])
    text = fallback_ruleset(policy)
    accepts = [line.strip() for line in text.splitlines() if ' accept' in line]
    port = policy['ssh_port']
    services = [line for line in accepts if 'dport' in line]
    admin = policy['sources']['admin']
    assert len(services) == sum(1 for family in ('ipv4', 'ipv6') if admin[family])
    assert all('tcp dport %d accept' % port in line for line in services)
    # The cluster's peers and BlueMind's ports are no part of it.
    assert '192.0.2.10' not in text and '5432' not in text and '@cluster' not in text
    assert 'policy drop;' in text and text.startswith('#') and 'delete table inet bluemind_firewall' in text
    for family in ('ipv4', 'ipv6'):
        rules = fallback_iptables(policy, family)
        dports = [line for line in rules.splitlines() if '--dport' in line]
        assert dports == ['-A bluemind-fallback -p tcp -s %s --dport %d -j ACCEPT' % (network, port)
                          for network in admin[family]]
        assert rules.endswith('-A bluemind-fallback -j DROP\nCOMMIT\n')


def _network_namespaces():
    """Whether this process may make a network namespace (root in a container without SYS_ADMIN may not)."""
    if os.geteuid() != 0 or not shutil.which('unshare'):
        return False
    return subprocess.run(['unshare', '-n', 'true'], capture_output=True, check=False).returncode == 0


ISOLATED = shutil.which('nft') and shutil.which('iptables-restore') and _network_namespaces()


@pytest.mark.skipif(not ISOLATED, reason='loading needs root, nft, iptables and unshare')
@pytest.mark.parametrize('name', sorted(FALLBACK_VARIANTS))
def test_the_last_resort_loads_in_a_network_namespace_of_its_own(port_table, tmp_path, name):
    """Loaded for real (not only nft -c) in an empty network namespace, with nft and with
    iptables-restore --noflush, as the boot unit does; and nft -c accepts it over the live table."""
    policy = fallback_policy(port_table, **FALLBACK_VARIANTS[name])
    paths = fallback_paths(str(tmp_path / 'bluemind_firewall.nft'))
    with open(paths['nft'], 'w') as handle:
        handle.write(fallback_ruleset(policy))
    for family in ('ipv4', 'ipv6'):
        with open(paths[family], 'w') as handle:
            handle.write(fallback_iptables(policy, family))
    script = ('nft -f {nft} && nft -c -f {nft} && nft -f {nft} && nft list table inet bluemind_firewall && '
              'iptables-restore -n {ipv4} && ip6tables-restore -n {ipv6} && iptables -S bluemind-fallback && '
              'ip6tables -S bluemind-fallback && iptables -S INPUT && ip6tables -S INPUT').format(**paths)
    done = subprocess.run(['unshare', '-n', 'sh', '-c', script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    # Loaded twice: the file's own "delete table" replaces it, one table.
    assert done.stdout.count('table inet bluemind_firewall {') == 1
    assert 'policy drop;' in done.stdout and 'tcp dport %d' % policy['ssh_port'] in done.stdout
    assert '-A INPUT -j bluemind-fallback' in done.stdout and '-A bluemind-fallback -j DROP' in done.stdout
