"""What the ufw_rules module arms as its rollback, for each state ufw was found in."""

import types

import pytest

from ansible_collections.bluemind.firewall.plugins.modules.ufw_rules import UfwRules

ADDED = {'proto': 'tcp', 'ports': '25,443', 'source': 'any', 'comment': 'bluemind-firewall everyone'}


class FakeModule(object):
    def __init__(self, state_dir):
        self.params = {'state_dir': state_dir, 'record_path': state_dir + '-etc/policy.json'}

    def get_bin_path(self, name, required=False):
        return '/usr/sbin/%s' % name

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs)


@pytest.fixture
def script(tmp_path):
    def arm(enabled, **kwargs):
        rules = UfwRules(FakeModule(str(tmp_path / 'run')))
        rules.current_rules = types.MethodType(lambda self: [], rules)
        rules.begin(enabled, 0, **kwargs)
        rules.work.release()
        return [line for line in (tmp_path / 'run' / 'rollback.sh').read_text().splitlines()
                if line.startswith(('/usr/sbin/', 'if '))]
    return arm


def test_rule_changes_are_taken_back_live_and_reload_is_only_the_fallback(script):
    assert script(True, add=[ADDED]) == [
        '/usr/sbin/ufw delete allow proto tcp from 0.0.0.0/0 to 0.0.0.0/0 port 25,443 || fallback=1',
        '/usr/sbin/ufw delete allow proto tcp from ::/0 to ::/0 port 25,443 || fallback=1',
        'if [ -n "$fallback" ]; then /usr/sbin/ufw reload || status=1; fi']


def test_a_changed_incoming_default_is_reloaded(script):
    assert script(True, then='reload')[-1] == '/usr/sbin/ufw reload || status=1'


def test_a_removal_that_disabled_ufw_enables_it_again(script):
    assert script(True, then='enable') == ['/usr/sbin/ufw --force enable || status=1']


def test_a_ufw_found_off_is_disabled_again_input_policy_first(script):
    assert script(False) == ['/usr/sbin/iptables -P INPUT ACCEPT || status=1',
                             '/usr/sbin/ip6tables -P INPUT ACCEPT || status=1',
                             '/usr/sbin/ufw --force disable || status=1']


def test_the_files_ufw_wrote_are_put_back_before_its_commands_take_the_change_back(tmp_path):
    rules = UfwRules(FakeModule(str(tmp_path / 'run')))
    rules.current_rules = types.MethodType(lambda self: [], rules)
    rules.begin(True, 0, add=[ADDED])
    rules.work.release()
    lines = (tmp_path / 'run' / 'rollback.sh').read_text().splitlines()
    first_undo = next(index for index, line in enumerate(lines) if line.startswith('/usr/sbin/ufw delete'))
    put_back = [index for index, line in enumerate(lines) if 'saved/new-' in line]
    assert len(put_back) == 4 and max(put_back) < first_undo
