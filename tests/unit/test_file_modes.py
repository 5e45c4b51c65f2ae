"""The modes of the files the nftables_table module keeps, and a file loosened by hand, run through
the module with fake nft and systemctl commands (test_nftables_table_module.py)."""

import os
import stat

# host is a fixture: pytest finds it by name in this module.
from test_nftables_table_module import host, run  # noqa: F401  # pylint: disable=unused-import


def attributes(path):
    found = os.stat(str(path))
    return oct(stat.S_IMODE(found.st_mode)), found.st_uid, found.st_gid


def kept(host):
    directory = host['ruleset'].parent
    return {'ruleset': host['ruleset'], 'listing': directory / 'bluemind_firewall.nft.listing',
            'record': host['record'], 'unit': host['unit']}


def test_the_ruleset_listing_and_record_are_root_only_and_the_unit_readable(host):
    old_umask = os.umask(0)
    try:
        run(host)
    finally:
        os.umask(old_umask)
    files = kept(host)
    assert {name: attributes(path) for name, path in files.items()} == {
        'ruleset': ('0o600', 0, 0), 'listing': ('0o600', 0, 0), 'record': ('0o600', 0, 0), 'unit': ('0o644', 0, 0)}


def test_a_loosened_ruleset_is_reported_by_check_mode_untouched_then_tightened_once(host):
    run(host)
    ruleset = host['ruleset']
    content = ruleset.read_text()
    os.chmod(str(ruleset), 0o666)
    checked = run(host, check=True, diff=True)
    assert checked['changed'] and checked['reasons'] == ['%s is mode 0666, not 0600' % ruleset]
    assert checked['diff']['before'] == 'mode 0666 owner 0:0\n' and checked['diff']['after'] == 'mode 0600 owner 0:0\n'
    assert checked['diff']['before_header'].startswith(str(ruleset))
    assert attributes(ruleset) == ('0o666', 0, 0)
    fixed = run(host)
    assert fixed['changed'] and fixed['reasons'] == ['%s is mode 0666, not 0600' % ruleset]
    # Nothing was loaded again: only the file's mode was wrong.
    assert not fixed['loaded'] and not [call for call in fixed['calls'] if call.startswith('nft -f ')]
    assert attributes(ruleset) == ('0o600', 0, 0) and ruleset.read_text() == content
    again = run(host)
    assert not again['changed'] and again['reasons'] == []


def test_a_record_given_away_and_a_loosened_unit_are_taken_back(host):
    run(host)
    os.chown(str(host['record']), 1000, 1000)
    os.chmod(str(host['unit']), 0o666)
    fixed = run(host)
    assert fixed['reasons'] == ['%s is owner 1000:1000, not 0:0' % host['record'], '%s is mode 0666, not 0644' % host['unit']]
    assert attributes(host['record']) == ('0o600', 0, 0) and attributes(host['unit']) == ('0o644', 0, 0)
    assert not run(host)['changed']
