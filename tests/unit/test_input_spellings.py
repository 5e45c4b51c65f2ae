"""Input as it arrives from inventories and command lines: Ansible's spellings of booleans and
integers, addresses that cannot identify a host, and peers with more than one address."""

import pytest

from ansible_collections.bluemind.firewall.plugins.filter.settings import confirm_timeout as confirm_filter
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (
    PolicyError, build_policy, confirm_timeout, host_addresses, parse_bool, parse_int, parse_port, resolve_cluster)
from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE

V4 = {'address': '192.0.2.10'}
V6 = {'address': '2001:db8::10'}
CLUSTER = {'group': 'bluemind', 'hosts': {'mx1': ['192.0.2.10']}}


@pytest.mark.parametrize('value', sorted(BOOLEANS_TRUE, key=repr) + ['TRUE', ' Yes '])
def test_every_spelling_ansible_reads_as_true(value):
    assert parse_bool(value, 'x') is True


@pytest.mark.parametrize('value', sorted(BOOLEANS_FALSE, key=repr) + ['FALSE', 'Off'])
def test_every_spelling_ansible_reads_as_false(value):
    assert parse_bool(value, 'x') is False


@pytest.mark.parametrize('value', ['maybe', '', None, 2, [], 'truee'])
def test_other_values_are_not_booleans(value):
    with pytest.raises(PolicyError, match='x: .* must be true or false'):
        parse_bool(value, 'x')


@pytest.mark.parametrize('confirm, timeout, expected', [
    ('false', '30', 0), ('no', 60, 0), (False, 'x', 0), ('true', '30', 30), ('yes', 45, 45), (True, ' 60 ', 60)])
def test_confirmation_reads_command_line_strings(confirm, timeout, expected):
    assert confirm_timeout(confirm, timeout) == expected
    assert confirm_filter(confirm, timeout) == expected


@pytest.mark.parametrize('timeout, words', [
    ('٣٠', 'digits 0-9'), ('30s', 'whole number'), (5, 'at least 10'), (True, 'whole number'), (30.5, 'whole number')])
def test_bad_timeouts_name_the_variable(timeout, words):
    with pytest.raises(PolicyError) as error:
        confirm_timeout(True, timeout)
    assert 'bluemind_firewall_rollback_timeout' in str(error.value) and words in str(error.value)
    with pytest.raises(AnsibleFilterError, match='nothing was changed'):
        confirm_filter(True, timeout)


def test_integers_from_strings_and_ascii_digits_only():
    assert parse_int('30', 'x') == 30 and parse_int(30, 'x') == 30
    for value in ('٢٥', '２５', '2٥'):
        with pytest.raises(PolicyError):
            parse_port(value, 'p')
        with pytest.raises(PolicyError):
            parse_int(value, 'x')


@pytest.mark.parametrize('settings', [{'public': 'false'}, {'public': 'no'}, {'public': 0}])
def test_public_false_spelled_as_ansible_does(port_table, settings):
    assert build_policy(port_table, settings, CLUSTER)['public'] is False


@pytest.mark.parametrize('variable, value, words', [
    ('admin_sources', ['fe80::/10'], 'link-local'),
    ('admin_sources', ['fe80::1%eth0'], 'scope id'),
    ('admin_sources', ['ff02::/16'], 'multicast'),
    ('cluster_sources', ['224.0.0.0/4'], 'multicast'),
    ('cluster_sources', ['169.254.0.0/16'], 'link-local'),
    ('cluster_sources', ['127.0.0.0/8'], 'loopback'),
    ('ssh_port', '٢٢', 'port number'),
])
def test_sources_that_cannot_identify_a_host_are_refused(port_table, variable, value, words):
    with pytest.raises(PolicyError) as error:
        build_policy(port_table, {variable: value}, CLUSTER)
    assert ('bluemind_firewall_%s' % variable) in str(error.value) and words in str(error.value)


@pytest.mark.parametrize('override, words', [
    ('fe80::1%eth0', 'scope id'), ('fe80::1', 'link-local'), ('224.0.0.18', 'multicast'), ('::1', 'loopback'),
    ('0.0.0.0', 'unspecified'), ({'ipv4': '2001:db8::1'}, 'not an IPv4 address'), ({'ipv5': '10.0.0.1'}, 'ipv5'),
])
def test_peer_addresses_that_cannot_identify_a_host_are_refused(override, words):
    with pytest.raises(PolicyError) as error:
        resolve_cluster('bluemind', {'mx1': (override, V4, V6)})
    assert 'host mx1' in str(error.value) and words in str(error.value)


@pytest.mark.parametrize('override, expected', [
    (None, ['192.0.2.10', '2001:db8::10']),
    ('10.0.0.5', ['10.0.0.5']),
    (['10.0.0.5', '192.0.2.10'], ['10.0.0.5', '192.0.2.10']),
    ({'ipv4': ['10.0.0.5', '192.0.2.10']}, ['10.0.0.5', '192.0.2.10', '2001:db8::10']),
    ({'ipv6': 'fd00::5'}, ['192.0.2.10', 'fd00::5']),
    ({'ipv6': []}, ['192.0.2.10']),
])
def test_the_override_replaces_both_families_or_the_ones_it_names(override, expected):
    assert host_addresses(override, V4, V6) == expected


def test_a_host_with_addresses_its_peers_do_not_know_is_warned_about():
    members = {
        'edge': (None, V4, V6, ['192.0.2.10', '10.89.49.11', '2001:db8::10', 'fd42::11', 'fe80::1', '127.0.0.1']),
        'core': ({'ipv4': ['10.89.49.12', '192.0.2.12']}, {'address': '192.0.2.12'}, None,
                 ['10.89.49.12', '192.0.2.12']),
        'facts_unknown': ('10.89.49.13', None, None),
    }
    result = resolve_cluster('bluemind', members)
    assert len(result['warnings']) == 1
    warning = result['warnings'][0]
    assert warning.startswith('host edge also has the address(es) 10.89.49.11, fd42::11, which its peers')
    assert 'bluemind_firewall_address' in warning and 'fe80' not in warning
