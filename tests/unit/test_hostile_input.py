"""Fail closed on input: every string variable of the role, and every field of the extra ports and
extra rules, fed hostile values. Each is refused, naming the variable, or renders to rules that nft
and ufw accept and that mean what was written (issue 25).

The variables come from the role's argument specs, so that a new variable is covered without
touching this file. nft checks the rendering with -c inside a network namespace of its own
(unshare -n): nothing reaches this machine's ruleset. ufw runs --dry-run on a private copy of its
files (ufw's own --rootdir/--datadir, in unshare -n as well), from the ufw package extracted by
tests/harness/bootstrap.sh into .cache/ufw-tree.
"""

import copy
import ipaddress
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, load_yaml
from test_nftables_view import render

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.bluemind.firewall.plugins.module_utils import installations, ufw_view
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import nftables_view
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import (
    PolicyError, build_policy, comment_text, resolve_cluster)
from ansible_collections.bluemind.firewall.plugins.modules.ufw_rules import switch_script

PREFIX = 'bluemind_firewall_'
SPECS = load_yaml('roles', 'host_firewall', 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
DATA = load_yaml('roles', 'host_firewall', 'vars', 'main.yml')
GROUPS = {'all': ['mail1', 'mail2'], 'ungrouped': [], 'bluemind': ['mail1', 'mail2']}
FACTS = {'mail1': ({'address': '10.0.0.1'}, {'address': 'fd00::1'}),
         'mail2': ({'address': '10.0.0.2'}, {'address': 'fd00::2'})}
BASE = {PREFIX + 'admin_sources': ['192.0.2.0/24']}
INJECTED = '/tmp/bluemind-firewall-hostile-input-ran'

HOSTILE = {
    'newline': 'x\ny',
    'trailing newline': 'eth0\n',
    'carriage return': 'eth0\r',
    'tab': 'x\ty',
    'single quote': "a'b",
    'double quote': 'a"b',
    'semicolon': 'a;touch %s' % INJECTED,
    'command substitution': '$(touch %s)' % INJECTED,
    'backticks': '`touch %s`' % INJECTED,
    'closing brace': 'a}b',
    'hash': 'a#b',
    'percent': 'a%b',
    'backslash': 'a\\b',
    'non-ASCII letter': '\u00e9t\u00e9',
    'Arabic-Indic digit': '\u0663',
    'empty string': '',
    'empty list': [],
    'every IPv4 address': '0.0.0.0/0',
    'every IPv6 address': '::/0',
    'every IPv4 address as a netmask': '0.0.0.0/0.0.0.0',
    '200-character name': 'a' * 200,
}

# The values no name, port or interface may hold (the others may mean something: an empty value is
# often "the default", a /0 is a network).
UNSAFE = sorted(label for label in HOSTILE if label not in (
    'empty string', 'empty list', 'every IPv4 address', 'every IPv6 address', 'every IPv4 address as a netmask'))

# The string variables of the role, read from its argument specs: str, raw, and lists of str.
STRING_VARIABLES = sorted(name for name, spec in SPECS.items()
                          if spec.get('type') in ('str', 'raw') or spec.get('elements') == 'str')
EXTRA_FIELDS = {
    'extra_rules': ('protocol', 'ports', 'destination', 'sources', 'interface', 'family', 'comment'),
    'extra_public_ports': ('port', 'proto', 'name', 'description'),
    'extra_internal_ports': ('port', 'proto', 'name', 'description'),
}
# What a field of each list holds when it is not the one under test: a rule that nft and ufw accept.
EXTRA_BASE = {
    'extra_rules': {'protocol': 'tcp', 'ports': [7000], 'sources': ['198.51.100.0/24'], 'interface': 'eth0',
                    'family': 'both', 'comment': 'partner'},
    'extra_public_ports': {'port': 7001, 'proto': 'tcp', 'name': 'partner', 'description': 'a partner'},
    'extra_internal_ports': {'port': 7002, 'proto': 'tcp', 'name': 'partner', 'description': 'a partner'},
}


def _validator_spec(options):
    """The argument specs as Ansible's validator takes them (without the documentation keys)."""
    spec = {}
    for name, option in options.items():
        spec[name] = dict((key, value) for key, value in option.items()
                          if key not in ('description', 'version_added'))
        if 'options' in option:
            spec[name]['options'] = _validator_spec(option['options'])
    return spec


VALIDATOR = ArgumentSpecValidator(_validator_spec(SPECS))


def plan(port_table, variables):
    """The role's steps on the controller for host mail1: the argument specs (Ansible checks them when
    the role starts), the installation and its addresses (cluster_addresses), then the policy
    (host_policy). Returns the policy or raises PolicyError / ValueError with the refusal."""
    checked = VALIDATOR.validate(dict(variables))
    if checked.error_messages:
        raise ValueError('; '.join(checked.error_messages))
    # Ansible checks the variables against the specs but the role reads them as written.
    values = dict(variables)
    group = values.get(PREFIX + 'cluster_group', 'bluemind')
    found = installations.partition(['mail1'], GROUPS, lambda host: group)
    errors = [message for installation in found.values() for message in installation['errors'].values()]
    if errors:
        raise PolicyError(' '.join(errors))
    members = dict((host, ((values.get(PREFIX + 'address') if host == 'mail1' else None),) + FACTS[host])
                   for host in found[group]['members'])
    cluster = resolve_cluster(group, members)
    settings = dict((name[len(PREFIX):], value) for name, value in values.items())
    settings['host'] = 'mail1'
    if settings.get('flows') == 'roles':
        cluster['roles'] = {'mail1': settings.get('roles'), 'mail2': ['bm/core']}
    return build_policy(port_table, settings, cluster,
                        {'flow_table': DATA['bluemind_firewall_flow_table'],
                         'public_service_roles': DATA['bluemind_firewall_public_service_roles']})


def _value(spec, hostile):
    """The hostile value in the shape of the variable: alone, or as the one item of a list."""
    if spec.get('type') == 'list' and not isinstance(hostile, list):
        return [hostile]
    return hostile


def _names(variable):
    return [variable] + ([variable[len(PREFIX):]] if variable.startswith(PREFIX) else [])


def _refused_naming(error, variable, field=None):
    """Whether a refusal names the variable (and the field of an extra port or rule): Ansible's own
    check of the specs names the list and the field, the collection's the item too."""
    text = str(error)
    return any(name in text for name in _names(variable)) and (field is None or field in text)


def _printable(text):
    """Printable ASCII and tabs and newlines between words: what the collection's files may hold."""
    return all(32 <= ord(char) < 127 or char in '\t\n' for char in text)


class Checker(object):
    """Runs nft -c and ufw --dry-run once per distinct rendering / command."""

    def __init__(self, tmp_path, ufw_tree):
        self.tmp = tmp_path
        self.ufw_tree = ufw_tree
        self.nft_seen = {}
        self.ufw_seen = {}

    def nft(self, text):
        if text not in self.nft_seen:
            path = self.tmp / ('ruleset-%d.nft' % len(self.nft_seen))
            path.write_text(text)
            done = subprocess.run(['unshare', '-n', 'nft', '-c', '-f', str(path)], capture_output=True, text=True,
                                  check=False)
            self.nft_seen[text] = done.returncode, done.stderr
        return self.nft_seen[text]

    def ufw(self, words):
        key = tuple(words)
        if self.ufw_tree is None:
            return 0, 'not checked'
        if key not in self.ufw_seen:
            done = subprocess.run(ufw_command(self.ufw_tree, words), capture_output=True, text=True, check=False)
            self.ufw_seen[key] = done.returncode, done.stdout + done.stderr
        return self.ufw_seen[key]


def ufw_command(tree, words):
    """ufw --dry-run on the private tree: its files, not this machine's, in a network namespace of its own."""
    return (['unshare', '-n', 'env', 'PYTHONPATH=%s' % os.path.join(tree, 'usr', 'lib', 'python3', 'dist-packages'),
             sys.executable if os.path.basename(sys.executable).startswith('python3') else 'python3',
             os.path.join(tree, 'usr', 'sbin', 'ufw'), '--rootdir=%s' % tree, '--datadir=%s' % tree, '--dry-run']
            + list(words))


def _usable_ufw_tree():
    """The private ufw tree, and why not when it cannot be used: ufw runs there only inside a network
    namespace of its own, so that a dry run can never reach this machine's firewall."""
    tree = os.environ.get('BLUEMIND_FIREWALL_UFW_TREE') or os.path.join(ROOT, '.cache', 'ufw-tree')
    if not os.path.exists(os.path.join(tree, 'usr', 'sbin', 'ufw')):
        return None, 'no ufw tree at %s: tests/harness/bootstrap.sh extracts the ufw package there' % tree
    if not NETWORK_NAMESPACES:
        return None, 'ufw --dry-run runs in unshare -n, which this process may not do'
    return tree, None


@pytest.fixture(scope='module')
def ufw_tree():
    tree, why_not = _usable_ufw_tree()
    if tree is None:
        pytest.skip(why_not)
    return tree


def _network_namespaces():
    """Whether this process may make a network namespace (root in a container without SYS_ADMIN may not)."""
    if os.geteuid() != 0 or not shutil.which('unshare'):
        return False
    return subprocess.run(['unshare', '-n', 'true'], capture_output=True, check=False).returncode == 0


NETWORK_NAMESPACES = _network_namespaces()
needs_root = pytest.mark.skipif(not shutil.which('nft') or not NETWORK_NAMESPACES,
                                reason='nft -c in unshare -n needs nft, unshare and root')


def judge(port_table, checker, variables, where, baseline, allowed_changes, field=None):
    """'refused' or 'accepted', asserting what each must show."""
    try:
        policy = plan(port_table, variables)
    except (PolicyError, ValueError) as exc:
        assert _refused_naming(exc, where, field), 'refused without naming %s %s: %s' % (where, field or '', exc)
        return 'refused'
    text = render(nftables_view(policy))
    assert _printable(text), 'the ruleset holds a character outside printable ASCII:\n%s' % text
    rc, err = checker.nft(text)
    assert rc == 0, 'nft -c refused the ruleset: %s' % err
    for rule in ufw_view.ufw_rules(policy):
        words = ufw_view.add_command(rule)
        assert all(_printable(word) and '\n' not in word for word in words), words
        rc, out = checker.ufw(words)
        assert rc == 0 and 'ERROR' not in out, 'ufw --dry-run %s: %s' % (words, out)
    # What was meant: what the policy lets in differs from the baseline only as the value says.
    changed = sorted(key for key in set(policy) | set(baseline) if policy.get(key) != baseline.get(key))
    assert set(changed) <= set(allowed_changes(policy)), (where, field, changed, variables)
    return 'accepted'


@pytest.fixture(scope='module')
def baseline(port_table):
    return plan(port_table, BASE)


@pytest.fixture(scope='module')
def checker(tmp_path_factory, request):
    return Checker(tmp_path_factory.mktemp('hostile'), _usable_ufw_tree()[0])


def _variable_changes(variable, value):
    """The keys of the policy a variable may change when accepted: the admin sources say who reaches
    SSH, written out; an address of its own (bluemind_firewall_address) the peers. Any other string
    variable accepted with a hostile value must leave the policy as it was."""
    def allowed(policy):
        if variable == PREFIX + 'admin_sources':
            written = set(item for item in value if item)
            admin = set(policy['sources']['admin']['ipv4'] + policy['sources']['admin']['ipv6'])
            assert admin == set(str(ipaddress.ip_network(item)) for item in written), admin
            return ('sources',)
        return ()
    return allowed


@needs_root
@pytest.mark.parametrize('variable', STRING_VARIABLES)
def test_every_string_variable_refuses_or_renders_what_was_written(port_table, baseline, checker, variable):
    outcomes = {}
    for label, hostile in sorted(HOSTILE.items()):
        value = _value(SPECS[variable], hostile)
        variables = dict(BASE, **{variable: value})
        outcomes[label] = judge(port_table, checker, variables, variable, baseline, _variable_changes(variable, value))
        assert not os.path.exists(INJECTED)
    # The values that can only be an error are refused for every variable that reaches the policy.
    if variable in (PREFIX + 'cluster_sources', PREFIX + 'admin_sources', PREFIX + 'address'):
        for label in ('trailing newline', 'single quote', 'command substitution', 'non-ASCII letter',
                      'Arabic-Indic digit', '200-character name'):
            assert outcomes[label] == 'refused', (variable, label)


def test_the_role_variables_are_read_from_the_argument_specs():
    # A new variable in the specs is covered: the list is not written here.
    assert PREFIX + 'cluster_group' in STRING_VARIABLES and PREFIX + 'extra_rules' not in STRING_VARIABLES
    assert len(STRING_VARIABLES) >= 12


@pytest.mark.parametrize('variable, value', [
    ('cluster_sources', ['0.0.0.0/0']), ('cluster_sources', ['::/0']), ('cluster_sources', ['0.0.0.0/0.0.0.0']),
    ('cluster_sources', ['198.51.100.0/24', '::/0']),
    ('extra_rules', [{'protocol': 'tcp', 'ports': [], 'sources': ['0.0.0.0/0', '::/0']}]),
    ('extra_rules', [{'protocol': 'tcp', 'sources': ['0.0.0.0/0', '::/0']}]),
    ('extra_rules', [{'protocol': 'udp', 'ports': ''}]),
    ('extra_rules', [{'protocol': 132, 'ports': None}]),
    ('extra_rules', [{'protocol': 'dccp', 'ports': ['']}]),
    ('extra_rules', [{'protocol': 'udplite', 'comment': 'voice'}]),
    ('extra_rules', [{'protocol': 'tcp', 'ports': ['any', 25]}]),
    ('extra_rules', [{'protocol': 'tcp', 'ports': 7000, 'interface': 'eth0\n'}]),
])
def test_inputs_that_would_open_more_than_written_are_refused(port_table, variable, value):
    with pytest.raises(PolicyError) as caught:
        plan(port_table, dict(BASE, **{PREFIX + variable: value}))
    assert PREFIX + variable in str(caught.value)
    assert 'ports' not in variable or 'ports' in str(caught.value)


def test_a_port_rule_without_ports_says_what_to_write(port_table):
    with pytest.raises(PolicyError) as caught:
        plan(port_table, dict(BASE, bluemind_firewall_extra_rules=[
            {'protocol': 'esp'}, {'protocol': 'tcp', 'ports': [], 'comment': 'partner'}]))
    message = str(caught.value)
    assert message.startswith('bluemind_firewall_extra_rules[1].ports: []')
    assert "(comment 'partner')" in message and 'ports: any' in message and '1-65535' in message


def test_cluster_sources_of_everyone_name_the_variable_and_the_way_out(port_table):
    with pytest.raises(PolicyError) as caught:
        plan(port_table, dict(BASE, bluemind_firewall_cluster_sources=['0.0.0.0/0.0.0.0']))
    assert 'bluemind_firewall_cluster_sources' in str(caught.value) and 'set of hosts' in str(caught.value)
    assert 'bluemind_firewall_extra_rules' in str(caught.value)


@pytest.mark.parametrize('ports', ['any', 'ANY', ['any'], '1-65535', '1:65535', [1, '1-65535']])
def test_every_port_written_out_is_one_range_said_every_port(port_table, checker, ports):
    from ansible_collections.bluemind.firewall.plugins.module_utils.policy import summary
    policy = plan(port_table, dict(BASE, bluemind_firewall_extra_rules=[
        {'protocol': 'tcp', 'ports': ports, 'sources': ['0.0.0.0/0', '::/0'], 'comment': 'all of it'}]))
    assert policy['rules'][0]['ports'] == [[1, 65535]] and policy['rules'][0]['allow'] == 'everyone'
    assert summary(policy).endswith('; extra rules: tcp every port from everyone')
    assert 'tcp dport { 1-65535 } accept' in render(nftables_view(policy))
    extra = [rule for rule in ufw_view.ufw_rules(policy) if 'extra' in rule['comment']]
    assert set(rule['ports'] for rule in extra) == {'1:65535'}
    rc, out = checker.ufw(ufw_view.add_command(extra[0]))
    assert rc == 0 and 'ERROR' not in out, out


def test_one_family_of_everyone_is_said_so(port_table):
    from ansible_collections.bluemind.firewall.plugins.module_utils.policy import summary
    policy = plan(port_table, dict(BASE, bluemind_firewall_extra_rules=[
        {'protocol': 'udp', 'ports': 5060, 'sources': ['0.0.0.0/0', '2001:db8::/32']}]))
    assert summary(policy).endswith('; extra rules: udp 5060 from everyone over IPv4 and 2001:db8::/32')


def test_a_schema_2_record_without_ports_reads_as_every_port():
    from ansible_collections.bluemind.firewall.plugins.module_utils.policy import summary
    record = {'ports': [], 'sources': {}, 'rules': [
        {'protocol': 6, 'protocol_name': 'tcp', 'ports': [], 'allow': 'everyone', 'families': ['ipv4']},
        {'protocol': 47, 'protocol_name': 'gre', 'ports': [], 'allow': 'cluster', 'families': ['ipv4']}]}
    assert summary(record) == 'extra rules: tcp every port from everyone, gre from the cluster'


@needs_root
@pytest.mark.parametrize('listed', sorted(EXTRA_FIELDS))
def test_every_field_of_the_extra_lists_refuses_or_renders_what_was_written(port_table, baseline, checker, listed):
    variable = PREFIX + listed
    base_rule = EXTRA_BASE[listed]
    reference = plan(port_table, dict(BASE, **{variable: [base_rule]}))
    for field in EXTRA_FIELDS[listed]:
        for label, hostile in sorted(HOSTILE.items()):
            rule = dict(copy.deepcopy(base_rule), **{field: copy.deepcopy(hostile)})
            where = '%s[0].%s' % (variable, field)

            def allowed(policy, field=field, hostile=hostile):
                # A description is free text kept in the record only; a destination written as
                # everything, or a source of one family, is what was written.
                if field == 'comment':
                    assert [dict(item, comment='') for item in policy['rules']] == \
                        [dict(item, comment='') for item in reference['rules']]
                    return ('rules',)
                if field == 'description':
                    assert policy['ports'][:-1] == reference['ports'][:-1]
                    return ('ports',)
                if listed == 'extra_rules' and field in ('destination', 'sources', 'family'):
                    assert hostile not in ('', []) or field != 'sources'
                    return ('rules', 'sources')
                if field in ('ports',) and hostile in ('0.0.0.0/0',):
                    return ()
                return ()
            outcome = judge(port_table, checker, dict(BASE, **{variable: [rule]}),
                            variable, reference, allowed, field)
            assert not os.path.exists(INJECTED)
            if field in ('interface', 'name', 'comment', 'port', 'ports', 'protocol', 'proto') and label in UNSAFE:
                assert outcome == 'refused', (where, label)
            if field in ('port', 'ports', 'protocol', 'proto', 'interface') and label.startswith('every '):
                assert outcome == 'refused', (where, label)
            if listed == 'extra_rules' and field == 'ports' and label in ('empty string', 'empty list'):
                assert outcome == 'refused', (where, label)


@needs_root
def test_host_names_in_roles_mode_comments_are_sanitized_for_both_backends(port_table, checker):
    roles = {'core': ['bm/core', 'bm/nginx', 'mail/smtp', 'bm/pgsql', 'bm/es', 'metrics/influxdb', 'bm/keycloak'],
             "edge'$(touch %s)\n" % INJECTED: ['bm/nginx-edge', 'mail/smtp-edge']}
    hosts = {'core': ['192.0.2.10', '2001:db8::10'], list(roles)[1]: ['192.0.2.20', '2001:db8::20']}
    policy = build_policy(port_table, {'host': 'core', 'flows': 'roles', 'bluemind_version': 5,
                                       'admin_sources': ['192.0.2.0/24']},
                          {'group': 'bluemind', 'hosts': hosts, 'roles': roles},
                          {'flow_table': DATA['bluemind_firewall_flow_table'],
                           'public_service_roles': DATA['bluemind_firewall_public_service_roles']})
    text = render(nftables_view(policy))
    assert _printable(text) and "edge'" not in text and '$(' not in text
    assert checker.nft(text)[0] == 0, checker.nft(text)[1]
    comments = [rule['comment'] for rule in ufw_view.ufw_rules(policy)]
    assert any(comment.startswith('bluemind-firewall callers:edge(touch ') for comment in comments), comments
    assert all(comment == comment_text(comment, None) for comment in comments)
    for rule in ufw_view.ufw_rules(policy):
        rc, out = checker.ufw(ufw_view.add_command(rule))
        assert rc == 0 and 'ERROR' not in out, out


@pytest.mark.parametrize('host', ["a'b", '$(touch %s)' % INJECTED, '`touch %s`' % INJECTED, 'a"b;touch %s' % INJECTED])
def test_the_switch_script_runs_no_injected_command(tmp_path, host):
    """The off switch, built with comments that come straight from a host name (as an administrator's
    own comment read back from user.rules would), runs ufw with each word as one argument."""
    log = tmp_path / 'argv'
    fake = tmp_path / 'ufw'
    fake.write_text('#!/bin/sh\nfor word in "$@"; do printf "%%s\\0" "$word"; done >> %s\nprintf "\\n" >> %s\n'
                    % (log, log))
    fake.chmod(0o755)
    rule = {'proto': 'tcp', 'ports': '24', 'source': '10.0.0.2', 'destination': 'any',
            'comment': 'bluemind-firewall callers:%s' % host}
    on, off = ufw_view.switch_commands([rule], True, 'ACCEPT')
    marker = tmp_path / "ufw-off'$(id)`id`;x"
    script = tmp_path / 'ufw-switch.sh'
    script.write_text(switch_script(str(fake), on, off, str(marker)))
    assert subprocess.run(['bash', '-n', str(script)], check=False).returncode == 0
    for action in ('off', 'on'):
        done = subprocess.run(['sh', str(script), action], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    assert not os.path.exists(INJECTED)
    calls = [line.split('\0')[:-1] for line in log.read_text().splitlines() if line]
    added = [call for call in calls if call[0] == 'allow']
    assert added == [['allow', 'proto', 'tcp', 'from', '10.0.0.2', 'to', 'any', 'port', '24', 'comment',
                      'bluemind-firewall callers:%s' % host]]
    assert ['default', 'allow', 'incoming'] in calls and ['--force', 'disable'] in calls
    assert not marker.exists()


def test_command_text_quotes_every_word():
    assert ufw_view.command_text(['allow', 'comment', "a'b $(x)"]) == "ufw allow comment 'a'\"'\"'b $(x)'"
    assert ufw_view.command_text(['allow', 'comment', 'bluemind-firewall cluster']) == \
        "ufw allow comment 'bluemind-firewall cluster'"


def test_the_ufw_check_sees_what_ufw_refuses(ufw_tree):
    # The check above can fail: ufw's own parser refuses a quote in a comment and a bad port.
    for words in (['allow', 'proto', 'tcp', 'to', 'any', 'port', '24', 'comment', "a'b"],
                  ['allow', 'proto', 'tcp', 'to', 'any', 'port', '24;25']):
        done = subprocess.run(ufw_command(ufw_tree, words), capture_output=True, text=True, check=False)
        assert done.returncode != 0 and 'ERROR' in done.stdout + done.stderr
    done = subprocess.run(ufw_command(ufw_tree, ['allow', 'proto', 'tcp', 'to', 'any', 'port', '24']),
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and '### tuple ### allow tcp 24 0.0.0.0/0 any 0.0.0.0/0 in' in done.stdout


class _Refused(Exception):
    pass


class _PathModule(object):
    def __init__(self, **params):
        self.params = dict({'confirm_timeout': 0, 'state': 'present', 'switch_script': '/etc/bluemind-firewall/ufw-switch.sh',
                            'unit_path': '/etc/systemd/system/bluemind-firewall.service'}, **params)

    def get_bin_path(self, name, required=False):
        return '/nonexistent/%s' % name

    def fail_json(self, **kwargs):
        raise _Refused(kwargs['msg'])


@pytest.mark.parametrize('name, path', [('switch_script', "/etc/bluemind-firewall/ufw'$(id).sh"),
                                        ('switch_script', '/etc/bluemind-firewall/ufw%n.sh'),
                                        ('unit_path', '/etc/systemd/system/bluemind firewall.service'),
                                        ('unit_path', 'bluemind-firewall.service')])
def test_paths_written_into_the_unit_are_plain_or_refused(name, path):
    from ansible_collections.bluemind.firewall.plugins.modules.ufw_rules import UfwRules
    with pytest.raises(_Refused) as caught:
        UfwRules(_PathModule(**{name: path})).apply()
    assert caught.value.args[0].startswith('%s: ' % name) and 'nothing was changed' in caught.value.args[0]


@needs_root
def test_verification_reads_a_live_every_port_rule_as_the_record_says(port_table, tmp_path):
    """The table with ports: any, loaded in a network namespace of its own, is what the record
    expects; the same table against a record that names one port is exposed."""
    from ansible_collections.bluemind.firewall.plugins.module_utils import verification
    rules = [{'protocol': 'tcp', 'ports': 'any', 'sources': ['0.0.0.0/0', '::/0']},
             {'protocol': 'sctp', 'ports': '1-65535', 'sources': ['0.0.0.0/0', '::/0']}]
    policy = plan(port_table, dict(BASE, bluemind_firewall_extra_rules=rules))
    path = tmp_path / 'ruleset.nft'
    path.write_text(render(nftables_view(policy)))
    done = subprocess.run(['unshare', '-n', 'sh', '-c', 'nft -f "$1" && nft -j list ruleset', 'sh', str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    live = verification.live_tables(done.stdout)
    host = verification.LocalHost(['10.0.0.1', 'fd00::1'], [('10.0.0.0/24', 'eth0')], ['eth0'])
    assert verification.compare(live, verification.ExpectedPolicy(policy), host)[1] == []
    narrower = plan(port_table, dict(BASE, bluemind_firewall_extra_rules=[dict(rules[0], ports=7000), rules[1]]))
    found = verification.compare(live, verification.ExpectedPolicy(narrower), host)[1]
    assert found and set(item['kind'] for item in found) == {'exposed'}
