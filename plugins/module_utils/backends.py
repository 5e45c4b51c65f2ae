# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which firewall already runs on a host, and how the collection's other backend is removed.

Two firewalls each dropping what the other allows would close ports nobody asked to close, and a
silent takeover would surprise whoever set the other one up: the modules refuse to start while
another firewall runs, unless the operator asked to switch. A switch puts the new backend's rules
live first and only then removes the old ones, so no port is ever open that the policy closes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

NFTABLES = 'nftables'
UFW = 'ufw'
SWITCH_VARIABLE = 'bluemind_firewall_backend_switch'


def _run(module, args):
    return module.run_command(args, environ_update={'LANG': 'C', 'LC_ALL': 'C'})


def ufw_active(module):
    ufw = module.get_bin_path('ufw')
    if not ufw:
        return False
    rc, out, dummy = _run(module, [ufw, 'status'])
    return rc == 0 and out.strip().startswith('Status: active')


def _firewalld_is(module, state):
    """systemctl's answer to is-active or is-enabled for firewalld; False without systemd."""
    systemctl = module.get_bin_path('systemctl')
    if not systemctl:
        return False
    rc, dummy, dummy = _run(module, [systemctl, 'is-' + state, '--quiet', 'firewalld'])
    return rc == 0


def firewalld_active(module):
    return _firewalld_is(module, 'active')


def nftables_table_loaded(module, table):
    nft = module.get_bin_path('nft')
    if not nft:
        return False
    rc, dummy, dummy = _run(module, [nft, 'list', 'table', 'inet', table])
    return rc == 0


def firewalld_enabled(module):
    return _firewalld_is(module, 'enabled')


def firewall_state(module, table):
    """What the plan needs to know of the firewalls already on the host, read without changing it."""
    return {
        'firewalld_active': firewalld_active(module),
        'firewalld_enabled': firewalld_enabled(module),
        'ufw_active': ufw_active(module),
        'table_loaded': nftables_table_loaded(module, table),
    }


def refusal(state, backend, switch, table):
    """Why the chosen backend must not start beside what runs on the host (firewall_state), or None.

    The plan asks it of every host before any host changes; the apply step asks again, in case the
    host changed in between."""
    if state.get('firewalld_active') or state.get('firewalld_enabled'):
        how = 'active' if state.get('firewalld_active') else 'enabled (it starts at boot)'
        return ('firewalld is %s on this host; bluemind.firewall does not run beside it, and nothing was changed. '
                'Stop and disable it (systemctl disable --now firewalld), then run again: the %s backend then '
                'takes over.' % (how, backend))
    other = UFW if backend == NFTABLES else NFTABLES
    running = state.get('ufw_active') if other == UFW else state.get('table_loaded')
    if not running or switch:
        return None
    what = 'ufw is active' if other == UFW else 'the nftables table inet %s of bluemind.firewall is loaded' % table
    return ('%s on this host and the chosen backend is %s; nothing was changed. To move this host to %s, run '
            'with %s: true (the %s rules go live first, then the %s rules and their boot persistence are '
            'removed), or choose bluemind_firewall_backend: %s.'
            % (what, backend, backend, SWITCH_VARIABLE, backend, other, other))


def others_to_replace(module, backend, switch, table):
    """The collection's other backend found running, to remove once this one is live.

    Fails, before anything is changed, when another firewall runs and no switch was asked for."""
    state = firewall_state(module, table)
    problem = refusal(state, backend, switch, table)
    if problem:
        module.fail_json(msg=problem)
    running = state['ufw_active'] if backend == NFTABLES else state['table_loaded']
    return [UFW if backend == NFTABLES else NFTABLES] if running else []


UFW_BOOT_DROPIN = '/etc/systemd/system/ufw.service.d/bluemind-firewall.conf'
# The ufw backend's off switch: its script and the marker of the off state (the unit file itself is
# the nftables backend's once switched).
UFW_SWITCH_FILES = ('/etc/bluemind-firewall/ufw-switch.sh', '/etc/bluemind-firewall/ufw-off',
                    # The last resort ufw.service loads (nftables_view.UFW_FALLBACK_PATHS).
                    '/etc/bluemind-firewall/ufw-fallback.iptables', '/etc/bluemind-firewall/ufw-fallback.ip6tables')


def ufw_disable_commands(module):
    """The commands that disable ufw without a gap: INPUT policy to ACCEPT, then ufw disable.

    ufw disable empties its chains before it resets the INPUT policy, which drops every new
    connection, open ports included, for about half a second (measured here). Whatever must stay
    closed is closed by other rules at that point (the collection's table, or nothing when ufw goes
    back to the state it was found in), so the policy is set to ACCEPT first."""
    commands = [[path, '-P', 'INPUT', 'ACCEPT'] for path in (module.get_bin_path(tool) for tool in ('iptables', 'ip6tables'))
                if path]
    return commands + [[module.get_bin_path('ufw', required=True), '--force', 'disable']]


# Debian's nftables.service flushes the whole ruleset when it starts and when it stops; each backend
# puts a drop-in beside it that loads its rules again right after, while its own unit is active
# (so that stopping the collection's unit keeps its rules off).
_RELOAD_AFTER_FLUSH = """[Service]
# Written by bluemind.firewall: this service flushes the whole ruleset when it starts and when it
# stops; the collection's rules are loaded again right after, unless %(unit)s is stopped.
ExecStartPost=-/bin/sh -c 'systemctl is-active --quiet %(unit)s && exec %(command)s || true'
ExecStopPost=-/bin/sh -c 'systemctl is-active --quiet %(unit)s && exec %(command)s || true'
"""


def nftables_dropin_path(systemd_dir, backend):
    """The backend's drop-in on nftables.service, in systemd's unit directory (/etc/systemd/system)."""
    return os.path.join(systemd_dir, 'nftables.service.d', 'bluemind-firewall-%s.conf' % backend)


def reload_after_flush(unit, command):
    return _RELOAD_AFTER_FLUSH % {'unit': unit, 'command': command}


def remove_nftables_dropin(module, path):
    """The drop-in file, and its directory once empty."""
    if os.path.exists(path):
        os.remove(path)
        directory = os.path.dirname(path)
        if os.path.isdir(directory) and not os.listdir(directory):
            os.rmdir(directory)
        return True
    return False


def remove_ufw(module):
    """ufw disabled (its chains emptied, and ENABLED=no keeps it from loading at boot), and the
    collection's boot drop-in removed."""
    commands = ufw_disable_commands(module)
    for words in commands[:-1]:
        _run(module, words)
    rc, out, err = _run(module, commands[-1])
    if rc != 0:
        module.fail_json(msg='ufw disable failed: %s' % (err or out).strip())
    for path in UFW_SWITCH_FILES:
        if os.path.exists(path):
            os.remove(path)
    reload = remove_nftables_dropin(module, nftables_dropin_path(os.path.dirname(os.path.dirname(UFW_BOOT_DROPIN)), UFW))
    if os.path.exists(UFW_BOOT_DROPIN):
        os.remove(UFW_BOOT_DROPIN)
        reload = True
    if reload:
        _run(module, [module.get_bin_path('systemctl', required=True), 'daemon-reload'])


def remove_nftables(module, table, unit_path, ruleset_path):
    """The collection's table, its boot unit and its ruleset file."""
    nft = module.get_bin_path('nft', required=True)
    systemctl = module.get_bin_path('systemctl', required=True)
    rc, out, err = _run(module, [nft, 'delete', 'table', 'inet', table])
    if rc != 0:
        module.fail_json(msg='nft delete table inet %s failed: %s' % (table, (err or out).strip()))
    unit = os.path.basename(unit_path)
    _run(module, [systemctl, 'disable', '--now', unit])
    # The last-resort files too (nftables_view.fallback_paths; not imported here, it would import the policy).
    for path in (unit_path, ruleset_path, ruleset_path + '.previous', ruleset_path + '.listing',
                 ruleset_path + '.fallback', ruleset_path + '.fallback.iptables', ruleset_path + '.fallback.ip6tables'):
        if os.path.exists(path):
            os.remove(path)
    remove_nftables_dropin(module, nftables_dropin_path(os.path.dirname(unit_path), NFTABLES))
    _run(module, [systemctl, 'daemon-reload'])
