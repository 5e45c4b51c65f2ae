"""Several BlueMind installations in one play: which installation each host belongs to, the inventories
that do not partition the play, and what the role says when one installation stops."""

import pytest

from ansible_collections.bluemind.firewall.plugins.filter.installations import installation_recap
from ansible_collections.bluemind.firewall.plugins.module_utils.installations import UNNAMED, partition


def hosting(**customers):
    """groups of a hosting company's inventory: bluemind, the parent, holds one group per customer."""
    groups = dict((name, list(hosts)) for name, hosts in customers.items())
    groups['bluemind'] = [host for hosts in customers.values() for host in hosts]
    groups['all'] = list(groups['bluemind'])
    groups['ungrouped'] = []
    return groups


def named_by_group(groups, **overrides):
    """Each host names the customer group it is in (as group variables do), unless overridden."""
    named = {}
    for group, hosts in groups.items():
        if group.startswith('customer_'):
            for host in hosts:
                named.setdefault(host, group)
    named.update(overrides)
    return named


def test_each_host_gets_its_own_installation_and_only_the_plays_installations_are_read():
    groups = hosting(customer_a=['a1', 'a2'], customer_b=['b1'], customer_c=['c1', 'c2'])
    named = named_by_group(groups)
    read = []

    def group_of(host):
        read.append(host)
        return named[host]

    found = partition(['a1', 'b1'], groups, group_of)
    assert sorted(found) == ['customer_a', 'customer_b']
    assert found['customer_a'] == {'play_hosts': ['a1'], 'members': ['a1', 'a2'], 'errors': {}}
    assert found['customer_b'] == {'play_hosts': ['b1'], 'members': ['b1'], 'errors': {}}
    # Each host read once; customer_c's hosts are never read (under --limit they are not in the play).
    assert sorted(read) == ['a1', 'a2', 'b1']


def test_one_installation_on_the_default_group_is_todays_behaviour():
    groups = {'bluemind': ['mx1', 'mx2'], 'all': ['mx1', 'mx2'], 'ungrouped': []}
    found = partition(['mx1', 'mx2'], groups, lambda host: 'bluemind')
    assert found == {'bluemind': {'play_hosts': ['mx1', 'mx2'], 'members': ['mx1', 'mx2'], 'errors': {}}}


def test_a_host_left_on_the_default_among_installations_is_refused_and_the_others_go_on():
    groups = hosting(customer_a=['a1'], customer_b=['b1'])
    groups['bluemind'].append('forgotten')
    named = named_by_group(groups, forgotten='bluemind')
    found = partition(['a1', 'b1', 'forgotten'], groups, named.get)
    assert found['customer_a']['errors'] == {} and found['customer_b']['errors'] == {}
    message = found['bluemind']['errors']['forgotten']
    assert 'forgotten is left on the installation bluemind (the default of bluemind_firewall_cluster_group)' in message
    assert 'a1 (customer_a); b1 (customer_b)' in message


def test_a_host_listed_in_two_installations_is_refused_naming_both():
    groups = hosting(customer_a=['a1', 'shared'], customer_b=['b1', 'shared'])
    # Its group variables are read in some order: it names one of the two.
    named = named_by_group(groups, shared='customer_b')
    found = partition(['a1', 'b1', 'shared'], groups, named.get)
    assert 'shared is listed in two installations, customer_b (its bluemind_firewall_cluster_group) and customer_a' \
        in found['customer_b']['errors']['shared']
    # customer_a's group holds a host that names customer_b: customer_a is refused too, naming it.
    assert 'also holds hosts that name other installations: shared (customer_b)' in found['customer_a']['errors']['a1']
    # b1 itself is fine: the host_policy step refuses it with its installation, through shared's error.
    assert 'b1' not in found['customer_b']['errors']


def test_a_host_listed_in_two_installations_is_refused_even_when_the_other_is_outside_the_play():
    groups = hosting(customer_a=['a1', 'shared'], customer_b=['b1', 'shared'])
    named = named_by_group(groups, shared='customer_b')
    found = partition(['shared'], groups, named.get)
    assert 'listed in two installations, customer_b' in found['customer_b']['errors']['shared']


def test_a_parent_group_of_the_installation_is_not_another_installation():
    groups = hosting(customer_a=['a1'], customer_b=['b1'])
    groups['paris'] = ['a1', 'b1']  # a datacentre, not named by any host
    groups['debian'] = ['a1', 'b1']
    named = named_by_group(groups)
    found = partition(['a1', 'b1'], groups, named.get)
    assert all(not installation['errors'] for installation in found.values())


def test_a_host_outside_its_group_and_a_group_that_does_not_exist_are_refused():
    groups = hosting(customer_a=['a1'], customer_b=['b1'])
    named = named_by_group(groups, b1='customer_a')
    found = partition(['a1', 'b1'], groups, named.get)
    assert 'b1 is not a member of the group customer_a' in found['customer_a']['errors']['b1']
    found = partition(['a1'], groups, lambda host: 'customr_a')
    message = found['customr_a']['errors']['a1']
    assert "'customr_a' is not a group of this inventory (its groups: bluemind, customer_a, customer_b)" in message


@pytest.mark.parametrize('value', [None, '', 3, ['customer_a']])
def test_a_value_that_is_no_group_name_is_refused(value):
    groups = hosting(customer_a=['a1'])
    found = partition(['a1'], groups, lambda host: value)
    assert found[UNNAMED]['errors']['a1'].startswith('bluemind_firewall_cluster_group of a1: %r must be' % (value,))


def test_per_host_work_does_not_grow_with_the_other_installations():
    """The variable of each host is read once, and each group's members once, whatever the inventory."""
    for count in (10, 1000):
        customers = dict(('customer_%04d' % index, ['h%04d-%d' % (index, n) for n in range(4)]) for index in range(count))
        groups = hosting(**customers)
        named = named_by_group(groups)
        reads = []
        found = partition(customers['customer_0000'], groups, lambda host: reads.append(host) or named[host])
        # The play's installation only, however many others the inventory holds.
        assert sorted(reads) == customers['customer_0000'] and list(found) == ['customer_0000']


def resolved(**play_hosts):
    return {'installations': dict((name, {'group': name, 'play_hosts': hosts}) for name, hosts in play_hosts.items())}


def test_the_recap_says_which_installations_changed_which_did_not_and_which_stopped():
    result = resolved(customer_a=['a1', 'a2'], customer_b=['b1'], customer_c=['c1', 'c2'])
    hostvars = {
        'a1': {'__bluemind_firewall_applied_nftables': {'changed': True}},
        'a2': {'__bluemind_firewall_applied_nftables': {'changed': False},
               '__bluemind_firewall_applied_ufw': {'skipped': True, 'changed': False}},
        'b1': {'__bluemind_firewall_applied_ufw': {'changed': False}},
        'c1': {'__bluemind_firewall_applied_ufw': {'changed': True}},
        'c2': {},
    }
    assert installation_recap(result, hostvars, ['a1', 'a2', 'b1', 'c1']) == [
        'installation customer_a: changed on a1; unchanged on a2',
        'installation customer_b: unchanged (b1)',
        'installation customer_c: stopped, c2 failed (the error is above) and the other hosts of the installation '
        'stopped with it; rules changed before the stop on c1',
    ]
    assert installation_recap(result, hostvars, ['a1', 'a2', 'b1', 'c1', 'c2'], True)[2] == \
        'installation customer_c: would change on c1; unchanged on c2'


def test_the_readmes_hosting_inventory_partitions_as_ansible_reads_it(tmp_path):
    """The README's layout for a hosting company, read by ansible-inventory itself."""
    import json
    import os
    import re
    import subprocess
    import sys

    from conftest import ROOT

    with open(os.path.join(ROOT, 'README.md')) as handle:
        section = handle.read().split('### Several installations in one inventory', 1)[1]
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(re.search(r'```yaml\n(.*?)```', section, re.S).group(1))
    listed = json.loads(subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(inventory), '--list'],
        capture_output=True, text=True, check=True).stdout)
    hostvars = listed['_meta']['hostvars']

    def members(group):
        hosts = list(listed.get(group, {}).get('hosts', []))
        for child in listed.get(group, {}).get('children', []):
            hosts.extend(host for host in members(child) if host not in hosts)
        return hosts

    groups = dict((group, members(group)) for group in listed if group != '_meta')

    def named(host):
        return hostvars[host].get('bluemind_firewall_cluster_group', 'bluemind')

    found = partition(sorted(hostvars), groups, named)
    assert sorted(found) == ['customer_acme', 'customer_globex']
    assert all(not installation['errors'] for installation in found.values())
    assert found['customer_acme']['members'] == ['mx1.acme.example', 'store1.acme.example']
