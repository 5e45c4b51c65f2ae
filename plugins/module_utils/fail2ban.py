# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fail2ban's action that puts its bans into the collection's ban sets (bluemind_firewall_fail2ban_action),
and the one drop-in that makes the admin's jails use it.

Plain Python with no Ansible import: the files' texts, read by the module that installs them and by
the unit tests, which render the action with fail2ban's own reader.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

VARIABLE = 'bluemind_firewall_fail2ban_action'
ACTION = 'bluemind-firewall'
ACTION_PATH = '/etc/fail2ban/action.d/bluemind-firewall.conf'
# jail.d/*.local are read last (after jail.conf, jail.d/*.conf and jail.local), in name order: "zz-"
# puts this one after the admin's usual names, so that its [DEFAULT] banaction wins over theirs. A
# jail that names its own banaction or action in its section keeps it.
DROPIN_PATH = '/etc/fail2ban/jail.d/zz-bluemind-firewall.local'
HELPER_PATH = '/usr/local/sbin/bluemind-firewall-fail2ban'
# Jails restarted, not only reloaded: a plain reload of fail2ban 1.0.2 drops a jail's new action along
# with its old one, leaving the jail banning through nothing. A restarted jail puts its live bans back
# from fail2ban's database through the action it now takes.
RESTART_JAILS = ['reload', '--restart']
HELPER_MODE = 0o755
CONF_MODE = 0o644

BACKENDS = ('nftables', 'ufw')
WHERE = {
    'nftables': """# Puts a jail's bans into the collection's ban sets (table inet bluemind_firewall, sets bans_v4 and
# bans_v6), which its input chain drops from: one element per port of the jail (an IPv6 ban holds the
# address's /64, as the collection's own bans do), ending with the jail's bantime. The table is the
# collection's: starting or stopping a jail does not touch it, and a converge that reloads it keeps
# the bans.""",
    'ufw': """# Puts a jail's bans into ufw as deny rules before all others (ufw prepend), from the address (an IPv6
# ban: its /64) to the jail's ports, commented "fail2ban JAIL": the collection's runs leave rules
# they did not write where they are, and verify reports these as bans.""",
}


def action_text(backend):
    """The action file for the backend whose rules take the bans."""
    return """\
# Managed by the Ansible collection bluemind.firewall (bluemind_firewall_fail2ban_action): replaced on
# the next run, removed with state: absent.
#
{where}
# TCP ports only, at most 256 per ban: a jail over all ports (recidive) or over UDP keeps a
# banaction of its own (banaction_allports).

[Definition]

actionstart =

actionstop =

actioncheck =

actionban = %(_helper)s ban <ip> "<port>" "<protocol>" <bantime> "<name>" {backend}

actionunban = %(_helper)s unban <ip> "<port>" "<protocol>" <bantime> "<name>" {backend}

_helper = {helper}

[Init]

port = ssh
protocol = tcp
""".format(where=WHERE[backend], backend=backend, helper=HELPER_PATH)


DROPIN_TEXT = '''\
# Managed by the Ansible collection bluemind.firewall (bluemind_firewall_fail2ban_action): the jails
# that take fail2ban's banaction ban into the collection's ban sets. Removed with state: absent; the
# jail files beside it are the admin's and are not touched.
[DEFAULT]
banaction = {action}
'''.format(action=ACTION)


# The role's copy has no interpreter line (ansible-test allows none but `env python`, which Debian lacks).
INTERPRETER = '#!/usr/bin/python3\n'


def files(helper_text, backend='nftables'):
    """[(path, content, mode)] of what the setting installs."""
    helper = helper_text if helper_text.endswith('\n') else helper_text + '\n'
    if not helper.startswith('#!'):
        helper = INTERPRETER + helper
    return [(HELPER_PATH, helper, HELPER_MODE), (ACTION_PATH, action_text(backend), CONF_MODE), (DROPIN_PATH, DROPIN_TEXT, CONF_MODE)]


def refusal(enabled, backend, fail2ban_installed):
    """Why the setting cannot be applied on this host (None when it can), said before any change."""
    if not enabled:
        return None
    if backend not in BACKENDS:
        return ('%s: true is for the nftables and ufw backends, whose rules take fail2ban\'s bans; with %s, leave it '
                'false (fail2ban\'s own banaction keeps working, and verify reports its bans). Nothing was changed.'
                % (VARIABLE, backend))
    if not fail2ban_installed:
        return ('%s: true installs an action for fail2ban, which is not installed on this host (no fail2ban-client): '
                'install Debian\'s fail2ban package first, or leave the setting false. Nothing was changed.' % VARIABLE)
    return None
