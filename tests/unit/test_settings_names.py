"""One name per setting: the playbooks read the role's variables, with the role's defaults, and the
former names and spellings still work, with a deprecation, for one release."""

import glob
import os
import re

import pytest
import yaml

from conftest import ROOT, load_yaml

from ansible_collections.bluemind.firewall.plugins.module_utils import renamed_settings
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import PolicyError

OPTIONS = load_yaml('roles', 'host_firewall', 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
# "bluemind_firewall_x | default(LITERAL)" in a playbook; LITERAL is read as YAML.
_READ = re.compile(r"\b(bluemind_firewall_[a-z0-9_]+)\s*(?:\|\s*default\(((?:[^()]|\([^()]*\))*)\))?")


def playbook_reads():
    reads = {}
    for path in sorted(glob.glob(os.path.join(ROOT, 'playbooks', '*.yml'))):
        with open(path) as handle:
            text = '\n'.join(line for line in handle if not line.lstrip().startswith('#'))
        for name, default in _READ.findall(text):
            reads.setdefault(name, set())
            if default:
                reads[name].add(default.strip())
    return reads


def test_every_variable_a_playbook_reads_is_documented_with_the_role_default():
    reads = playbook_reads()
    # The playbooks' own names (registered results, the report) are not settings.
    settings = {name: defaults for name, defaults in reads.items()
                if name not in ('bluemind_firewall_static', 'bluemind_firewall_probes', 'bluemind_firewall_report')}
    assert set(settings) >= {'bluemind_firewall_cluster_group', 'bluemind_firewall_verify_fail_on',
                             'bluemind_firewall_probe_timeout', 'bluemind_firewall_outsiders_group'}
    for name, defaults in settings.items():
        assert name in OPTIONS, '%s is read by a playbook but not in the role argument specs' % name
        for default in defaults:
            if default.startswith('bluemind_firewall_'):
                # Defaults to another setting: documented without a default of its own.
                assert 'default' not in OPTIONS[name] and default.split('|')[0].strip() in OPTIONS, (name, default)
                continue
            assert yaml.safe_load(default) == OPTIONS[name]['default'], (name, default)


def test_the_outsiders_group_is_a_variable_not_a_name_written_in_the_playbook():
    with open(os.path.join(ROOT, 'playbooks', 'verify.yml')) as handle:
        code = [line for line in handle if not line.lstrip().startswith('#')]
    assert [line for line in code if "'bluemind_outsiders'" in line] == \
        [line for line in code if "bluemind_firewall_outsiders_group | default('bluemind_outsiders')" in line]


def test_bm_iptables_disabled_is_the_modules_spelling_and_disable_still_works():
    assert renamed_settings.bm_iptables('keep') == ('keep', [])
    assert renamed_settings.bm_iptables('disabled') == ('disabled', [])
    value, deprecations = renamed_settings.bm_iptables('disable')
    assert value == 'disabled'
    assert len(deprecations) == 1 and 'now spelt disabled' in deprecations[0] and '0.7.0' in deprecations[0]
    with pytest.raises(PolicyError, match=r"bluemind_firewall_bm_iptables: 'off' must be one of keep, disabled"):
        renamed_settings.bm_iptables('off')


def test_verify_fail_on_and_its_former_name():
    assert renamed_settings.verify_fail_on(['exposed']) == (['exposed'], [])
    # The old name, when the inventory still sets it, is the one the user wrote: it wins, and is named.
    value, deprecations = renamed_settings.verify_fail_on(['exposed', 'blocked', 'unknown'], ['unknown'])
    assert value == ['unknown']
    assert len(deprecations) == 1 and 'bluemind_firewall_verify is now bluemind_firewall_verify_fail_on' in deprecations[0]
    assert renamed_settings.verify_fail_on([], None) == ([], [])
    with pytest.raises(PolicyError, match=r"bluemind_firewall_verify_fail_on: 'blockd' not among exposed"):
        renamed_settings.verify_fail_on(['exposed', 'blockd'])
    with pytest.raises(PolicyError, match=r'bluemind_firewall_verify: .* must be a list'):
        renamed_settings.verify_fail_on([], 'exposed')


def test_the_removal_release_is_after_the_current_one():
    current = tuple(int(part) for part in load_yaml('galaxy.yml')['version'].split('.'))
    assert tuple(int(part) for part in renamed_settings.REMOVED_IN.split('.')) > current


def test_the_former_names_are_documented_as_deprecated_without_a_default():
    assert 'default' not in OPTIONS['bluemind_firewall_verify']
    assert 'Deprecated' in ' '.join(OPTIONS['bluemind_firewall_verify']['description'])
    assert OPTIONS['bluemind_firewall_bm_iptables']['choices'] == ['keep', 'disabled', 'disable']
    defaults = load_yaml('roles', 'host_firewall', 'defaults', 'main.yml')
    assert 'bluemind_firewall_verify' not in defaults
    assert defaults['bluemind_firewall_verify_fail_on'] == OPTIONS['bluemind_firewall_verify_fail_on']['default']


def test_the_action_announces_the_removal_release_the_messages_name():
    with open(os.path.join(ROOT, 'plugins', 'action', 'host_policy.py')) as handle:
        source = handle.read()
    assert re.findall(r"deprecated\(message, version='([0-9.]+)'", source) == [renamed_settings.REMOVED_IN]
