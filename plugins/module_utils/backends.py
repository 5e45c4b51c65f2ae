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
FIREWALLD = 'firewalld'
# firewalld's permanent policy of the collection: its file says, without a firewall-cmd call, that
# the collection manages this host's firewalld (firewalld_view.POLICY).
FIREWALLD_POLICY = 'bluemind-firewall'
FIREWALLD_IPSET_PREFIX = 'bluemind-fw-'
FIREWALLD_POLICY_FILE = '/etc/firewalld/policies/%s.xml' % FIREWALLD_POLICY
FIREWALLD_CONFIG = '/etc/firewalld/firewalld.conf'
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


def firewalld_backend(path=FIREWALLD_CONFIG):
    """firewalld's FirewallBackend (nftables when firewalld.conf does not say), None without the file."""
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line.startswith('FirewallBackend='):
                return line.split('=', 1)[1].strip().strip('"\'') or NFTABLES
    return NFTABLES


def firewall_state(module, table):
    """What the plan needs to know of the firewalls already on the host, read without changing it."""
    return {
        'firewalld_active': firewalld_active(module),
        'firewalld_enabled': firewalld_enabled(module),
        'firewalld_installed': bool(module.get_bin_path('firewall-cmd')),
        'firewalld_backend': firewalld_backend(),
        'firewalld_policy': os.path.exists(FIREWALLD_POLICY_FILE),
        'ufw_active': ufw_active(module),
        'table_loaded': nftables_table_loaded(module, table),
    }


def _firewalld_refusal(state):
    """Why the firewalld backend cannot configure the firewalld of this host, or None."""
    if not state.get('firewalld_installed'):
        return ('firewalld is not installed on this host and the chosen backend is firewalld; nothing was changed. '
                'The collection configures a running firewalld but does not install one (installed, it starts at '
                'once with its default zone, which closes every port but SSH before any rule of the policy is in). '
                'Install, enable and start it (dnf install firewalld, or apt install firewalld; systemctl enable '
                '--now firewalld), or choose bluemind_firewall_backend: nftables.')
    if not state.get('firewalld_active'):
        return ('firewalld is installed but not running on this host, and the chosen backend is firewalld; nothing '
                'was changed. Start it (systemctl enable --now firewalld) and run again, or choose '
                'bluemind_firewall_backend: nftables.')
    if not state.get('firewalld_enabled'):
        return ('firewalld runs but does not start at boot on this host: after a reboot the policy would not be '
                'enforced. Nothing was changed. Enable it (systemctl enable firewalld) and run again.')
    if (state.get('firewalld_backend') or NFTABLES) != NFTABLES:
        return ('firewalld uses its %s backend on this host (FirewallBackend in %s); the collection needs its '
                'nftables backend, whose tables verification reads. Nothing was changed. Set '
                'FirewallBackend=nftables, restart firewalld (systemctl restart firewalld) and run again.'
                % (state.get('firewalld_backend'), FIREWALLD_CONFIG))
    return None


def _running_others(state, backend):
    """The collection's other backends found on the host: ufw active, the nftables table loaded, or
    firewalld running with the collection's policy."""
    found = []
    if backend != NFTABLES and state.get('table_loaded'):
        found.append(NFTABLES)
    if backend != UFW and state.get('ufw_active'):
        found.append(UFW)
    if backend != FIREWALLD and state.get('firewalld_policy') and (
            state.get('firewalld_active') or state.get('firewalld_enabled')):
        found.append(FIREWALLD)
    return found


_RUNNING = {NFTABLES: 'the nftables table inet %s of bluemind.firewall is loaded', UFW: 'ufw is active',
            FIREWALLD: 'firewalld runs with the policy of bluemind.firewall'}
_REMOVED = {NFTABLES: 'the nftables table and its boot persistence are removed',
            UFW: 'the ufw rules and their boot persistence are removed',
            FIREWALLD: 'the collection\'s firewalld policy and ipsets are removed and firewalld is stopped and '
                       'disabled'}


def refusal(state, backend, switch, table):
    """Why the chosen backend must not start beside what runs on the host (firewall_state), or None.

    The plan asks it of every host before any host changes; the apply step asks again, in case the
    host changed in between."""
    if backend == FIREWALLD:
        problem = _firewalld_refusal(state)
        if problem:
            return problem
    elif (state.get('firewalld_active') or state.get('firewalld_enabled')) and not (
            state.get('firewalld_policy') and switch):
        how = 'active' if state.get('firewalld_active') else 'enabled (it starts at boot)'
        if state.get('firewalld_policy'):
            return ('firewalld is %s on this host with the policy of bluemind.firewall, and the chosen backend is %s; '
                    'nothing was changed. To move this host to %s, run with %s: true (the %s rules go live first, '
                    'then %s), or choose bluemind_firewall_backend: firewalld.'
                    % (how, backend, backend, SWITCH_VARIABLE, backend, _REMOVED[FIREWALLD]))
        return ('firewalld is %s on this host; the %s backend does not run beside it, and nothing was changed. '
                'Choose bluemind_firewall_backend: firewalld to configure it, or stop and disable it (systemctl '
                'disable --now firewalld) and run again: the %s backend then takes over.' % (how, backend, backend))
    others = _running_others(state, backend)
    if not others or switch:
        return None
    other = others[0]
    return ('%s on this host and the chosen backend is %s; nothing was changed. To move this host to %s, run '
            'with %s: true (the %s rules go live first, then %s), or choose bluemind_firewall_backend: %s.'
            % (_RUNNING[other] % table if other == NFTABLES else _RUNNING[other], backend, backend, SWITCH_VARIABLE,
               backend, _REMOVED[other], other))


def others_to_replace(module, backend, switch, table):
    """The collection's other backend found running, to remove once this one is live.

    Fails, before anything is changed, when another firewall runs and no switch was asked for."""
    state = firewall_state(module, table)
    problem = refusal(state, backend, switch, table)
    if problem:
        module.fail_json(msg=problem)
    return _running_others(state, backend)


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


def firewalld_removal():
    """The arguments of the commit step that removes the firewalld backend (change.commit)."""
    return {'policy': FIREWALLD_POLICY, 'ipset_prefix': FIREWALLD_IPSET_PREFIX}


def remove_firewalld(module, policy, ipset_prefix):
    """The collection's policy and ipsets deleted from firewalld's permanent configuration, then firewalld
    stopped and kept from starting at boot (the other backend took over). firewalld empties its tables
    when it stops, unless CleanupOnExit=no: then they are deleted, since nothing would remove them."""
    firewall_cmd = module.get_bin_path('firewall-cmd')
    systemctl = module.get_bin_path('systemctl', required=True)
    if firewall_cmd:
        rc, out, err = _run(module, [firewall_cmd, '--permanent', '--get-policies'])
        if rc == 0 and policy in out.split():
            _run(module, [firewall_cmd, '--permanent', '--delete-policy=%s' % policy])
        rc, out, err = _run(module, [firewall_cmd, '--permanent', '--get-ipsets'])
        for name in out.split() if rc == 0 else []:
            if name.startswith(ipset_prefix):
                _run(module, [firewall_cmd, '--permanent', '--delete-ipset=%s' % name])
    remove_firewalld_backups(module, policy, ipset_prefix)
    rc, out, err = _run(module, [systemctl, 'disable', '--now', 'firewalld'])
    if rc != 0:
        module.fail_json(msg='systemctl disable --now firewalld failed: %s' % (err or out).strip())
    nft = module.get_bin_path('nft')
    for family in ('inet', 'ip', 'ip6'):
        if nft and _run(module, [nft, 'list', 'table', family, 'firewalld'])[0] == 0:
            _run(module, [nft, 'delete', 'table', family, 'firewalld'])


def remove_firewalld_backups(module, policy, ipset_prefix, root='/etc/firewalld'):
    """firewalld keeps the previous version of a file it changes or deletes as FILE.old: once the collection's
    policy and ipsets are deleted, their copies go too, so that nothing of the collection stays."""
    found = [os.path.join(root, 'policies', policy + '.xml.old')]
    directory = os.path.join(root, 'ipsets')
    if os.path.isdir(directory):
        found.extend(os.path.join(directory, name) for name in os.listdir(directory)
                     if name.startswith(ipset_prefix) and name.endswith('.xml.old'))
    for path in found:
        if os.path.exists(path):
            os.remove(path)


def firewalld_runtime_sync(module, policy):
    """After a change was made permanent: a `firewall-cmd --reload` or a firewalld restart while it
    waited for its confirmation put the runtime configuration back to the permanent one of then,
    without the change; the permanent configuration now holds it, so a reload brings it back. Nothing
    runs when the runtime policy and ipsets of the collection are the permanent ones."""
    firewall_cmd = module.get_bin_path('firewall-cmd', required=True)

    def listing(head):
        found = []
        for what in ['--info-policy=%s' % policy] + [
                '--info-ipset=%s' % name for name in sorted(_run(module, [firewall_cmd] + head + ['--get-ipsets'])[1].split())
                if name.startswith(FIREWALLD_IPSET_PREFIX)]:
            rc, out, err = _run(module, [firewall_cmd] + head + [what])
            # The first line of --info-policy says "(active)" in the runtime configuration only.
            found.append((what, out.splitlines()[1:] if rc == 0 else None))
        return found

    if listing([]) != listing(['--permanent']):
        rc, out, err = _run(module, [firewall_cmd, '--reload'])
        if rc != 0:
            module.fail_json(msg='firewall-cmd --reload failed: %s' % (err or out).strip())
