"""Which INPUT rules the bm_iptables module deletes."""

from ansible_collections.bluemind.firewall.plugins.modules.bm_iptables import jump_rules

LISTING = """-P INPUT ACCEPT
-A INPUT -j bmhosts
-A INPUT -i docker0 -j ACCEPT
-A INPUT -p tcp -m comment --comment "bmports -j bmhosts" -j ACCEPT
-A INPUT -s 192.0.2.0/24 -g bmports
-A INPUT -j ufw-before-input
"""


def test_only_jumps_and_gotos_to_its_chains_are_listed():
    assert jump_rules(LISTING, ['bmhosts', 'bmports']) == [['-j', 'bmhosts'], ['-s', '192.0.2.0/24', '-g', 'bmports']]


def test_nothing_when_the_chains_are_absent():
    assert jump_rules('-P INPUT ACCEPT\n-A INPUT -j ufw-before-input\n', ['bmhosts', 'bmports']) == []
