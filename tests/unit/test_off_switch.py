"""The off switch of the ufw backend: which commands it runs, and that on and off each act once."""

import subprocess

from ansible_collections.bluemind.firewall.plugins.module_utils import ufw_view
from ansible_collections.bluemind.firewall.plugins.modules.ufw_rules import switch_script

WANTED = [{'proto': 'tcp', 'ports': '22', 'source': 'any', 'comment': 'bluemind-firewall ssh'},
          {'proto': 'tcp', 'ports': '25,443', 'source': 'any', 'comment': 'bluemind-firewall everyone'}]
# The administrator's own "ufw allow 22/tcp", IPv4 and IPv6: it stands for the collection's SSH rule.
ADMIN_SSH = ufw_view.parse_user_rules('### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n', 'ipv4') + \
    ufw_view.parse_user_rules('### tuple ### allow tcp 22 ::/0 any ::/0 in\n', 'ipv6')


def test_the_switch_never_touches_the_administrators_identical_rule():
    owned = ufw_view.owned(WANTED, ADMIN_SSH)
    assert [(rule['ports'], rule['source']) for rule in owned] == [('25,443', '0.0.0.0/0'), ('25,443', '::/0')]
    on, off = ufw_view.switch_commands(owned, False, 'DROP')
    assert [ufw_view.command_text(words) for words in off] == [
        'ufw delete allow proto tcp from 0.0.0.0/0 to 0.0.0.0/0 port 25,443',
        'ufw delete allow proto tcp from ::/0 to ::/0 port 25,443']
    assert [ufw_view.command_text(words) for words in on] == [
        "ufw allow proto tcp from 0.0.0.0/0 to 0.0.0.0/0 port 25,443 comment 'bluemind-firewall everyone'",
        "ufw allow proto tcp from ::/0 to ::/0 port 25,443 comment 'bluemind-firewall everyone'"]


def test_off_gives_ufw_back_as_it_was_found():
    on, off = ufw_view.switch_commands(ufw_view.owned(WANTED, []), True, 'ACCEPT')
    assert off[-2:] == [['default', 'allow', 'incoming'], ['--force', 'disable']]
    assert on[-2:] == [['default', 'deny', 'incoming'], ['--force', 'enable']]
    assert ufw_view.switch_commands([], False, 'DROP') == ([], [])


def test_the_script_acts_once_each_way(tmp_path):
    calls = tmp_path / 'calls'
    fake = tmp_path / 'ufw'
    fake.write_text('#!/bin/sh\necho "$*" >> %s\n[ "$1" != delete ]\n' % calls)
    fake.chmod(0o755)
    on, off = ufw_view.switch_commands(ufw_view.owned(WANTED[1:], []), False, 'REJECT')
    script = tmp_path / 'switch.sh'
    script.write_text(switch_script(str(fake), on, off, str(tmp_path / 'ufw-off')))

    def run(way):
        done = subprocess.run(['sh', str(script), way], capture_output=True, text=True, check=False)
        return done.returncode, calls.read_text().splitlines() if calls.exists() else []

    assert run('on') == (0, [])                       # not switched off: nothing to put back
    code, seen = run('off')
    # A failing command (the fake's deletes) does not stop the others.
    assert code == 0 and seen == ['delete allow proto tcp from 0.0.0.0/0 to 0.0.0.0/0 port 25,443',
                                  'delete allow proto tcp from ::/0 to ::/0 port 25,443', 'default reject incoming']
    assert run('off')[1] == seen                      # already off
    code, seen = run('on')
    assert seen[3:] == ['allow proto tcp from 0.0.0.0/0 to 0.0.0.0/0 port 25,443 comment bluemind-firewall everyone',
                        'allow proto tcp from ::/0 to ::/0 port 25,443 comment bluemind-firewall everyone',
                        'default deny incoming']
    assert not (tmp_path / 'ufw-off').exists()
    assert run('sideways')[0] == 2
