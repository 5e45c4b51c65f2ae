#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: ufw_rules
short_description: Make ufw hold exactly the given marked rules, keep it enabled and record the policy
version_added: 0.4.0
description:
  - Compares the rules the collection marked in ufw (their comment starts with C(bluemind-firewall))
    with O(rules), and runs C(ufw allow) for the missing ones, then C(ufw delete) for the ones no longer
    wanted. Nothing else; rules an administrator added without the mark are left where they are.
  - On an enabled ufw each command changes the live rules at once. The module never runs C(ufw reload)
    or C(ufw reset), which open the firewall for a moment, and disables ufw only when removing it
    after having enabled it (O(state=absent)).
  - On a host where ufw is not enabled yet, the rules are written first and ufw is enabled once, with
    all of them. The incoming default is made C(deny) only when it is not already. On an enabled ufw
    whose default is C(reject), that is done by setting the chain policies to DROP and the ufw default
    file, without a reload; where it is C(allow), ufw's own chains accept every new connection besides
    the policy, so C(ufw default deny incoming) reloads ufw once, after the rules are added (nothing
    was closed before, so nothing opens for that moment).
  - Before any change, each protocol other than TCP and UDP in O(rules) is tried with
    C(ufw --dry-run); one this ufw does not know (Debian 11's ufw 0.36 lacks C(vrrp)) fails the module,
    naming it.
  - Makes sure C(ufw.service) is enabled at boot and starts after C(nftables.service), then writes the applied policy as JSON (the record
    that verification reads).
  - A ufw command that fails puts ufw's files and rules back as they were before the module fails.
  - Refuses to run beside firewalld, or beside the collection's nftables table unless O(backend_switch)
    is set; then the ufw rules go live first and the nftables table, its boot unit and its file are
    removed afterwards.
author:
  - bluemind.firewall contributors !UNKNOWN
options:
  rules:
    description:
      - The rules ufw must hold, each with C(proto), C(ports) (a ufw port list of at most 15 ports, or
        V(any)), C(source) (a CIDR or address, or V(any) for both families), C(comment) (starting with the
        mark), and optionally C(destination) (a CIDR or address) and C(interface) (an input interface).
      - Required with O(state=present).
    type: list
    elements: dict
  unit_path:
    description:
      - The off switch - C(systemctl stop) takes the collection's rules out (live and from ufw's files), puts
        back the incoming default ufw had before the collection, and disables ufw if the collection enabled
        it; C(systemctl disable) keeps them out across reboots; C(start) puts them back, as does the next run.
      - An absolute path of letters, digits and C(/._-) only (systemd expands C(%) and C($) in a unit); another
        fails the module before any change.
    type: path
    default: /etc/systemd/system/bluemind-firewall.service
  switch_script:
    description:
      - The script the off switch runs, written with the rules (beside it, C(ufw-off) marks the off state). Every
        word of its ufw commands is quoted for the shell.
      - An absolute path of letters, digits and C(/._-) only (the unit names it); another fails the module
        before any change.
    type: path
    default: /etc/bluemind-firewall/ufw-switch.sh
  log_drops:
    description:
      - V(true) keeps ufw's logging of blocked packets on (C(ufw logging low), ufw's own rate limit and
        C([UFW BLOCK]) prefix) when it is off; a level set by hand is kept. V(false) turns it off.
      - V(null) leaves ufw's logging as it is.
    type: bool
  record:
    description:
      - The resolved policy, written as JSON to O(record_path) once the rules are live (and the change
        confirmed, with O(confirm_timeout)). Required with O(state=present).
      - The module adds what removal needs, under C(ufw) - whether ufw was enabled by this collection, and
        its incoming default before that.
    type: dict
  state:
    description:
      - V(present) brings the marked rules to O(rules). V(absent) deletes every marked rule, the boot
        drop-in and the record; when the record says this collection enabled ufw, ufw is disabled
        again and its incoming default set back. Rules without the mark are left.
    type: str
    choices: [present, absent]
    default: present
  confirm_timeout:
    description:
      - V(0) commits at once. Otherwise, the seconds within which M(bluemind.firewall.confirm) must
        confirm the change over a new connection; a systemd timer on the host then puts ufw's files back as
        they were and reloads (or disables) ufw. Until confirmed, the drop-in, the record and the removal
        of a replaced nftables table wait.
      - At least 10 when set.
    type: int
    default: 0
  record_path:
    description: Where the record is written.
    type: path
    default: /etc/bluemind-firewall/policy.json
  install_command:
    description:
      - Command that installs ufw when it is missing, for example C([apt-get, install, -y, ufw]). Run only
        when C(ufw) is not found.
    type: list
    elements: str
  backend_switch:
    description: Move a host from the collection's nftables backend to ufw.
    type: bool
    default: false
  fallback:
    description:
      - The last-resort policy (SSH from the admin sources, nothing else) that C(ufw.service) loads when its
        start fails (a rules file that does not load, ufw not enabled in C(ufw.conf), iptables failing), as
        C(iptables-restore --noflush) (C(ipv4)) and C(ip6tables-restore --noflush) (C(ipv6)) input; written
        root-only to C(/etc/bluemind-firewall/ufw-fallback.iptables) and C(.ip6tables).
      - A run that finds it loaded (ufw.service failed) reloads ufw, takes it out and starts ufw.service again.
    type: dict
    version_added: 0.6.0
    suboptions:
      ipv4:
        description: iptables-restore input.
        type: str
        required: true
      ipv6:
        description: ip6tables-restore input.
        type: str
        required: true
  boot_dropin_path:
    description:
      - A drop-in that orders C(ufw.service) after C(nftables.service), whose stock configuration begins
        with C(flush ruleset), and restarts ufw with it; it also makes a start of C(ufw.service) that leaves
        no whole ufw fail, and loads O(fallback) then.
    type: path
    default: /etc/systemd/system/ufw.service.d/bluemind-firewall.conf
  nftables_table:
    description: The collection's nftables table, removed when switching.
    type: str
    default: bluemind_firewall
  nftables_files:
    description: The nftables backend's boot unit and ruleset file, removed when switching.
    type: list
    elements: path
    default: [/etc/systemd/system/bluemind-firewall.service, /etc/bluemind-firewall/bluemind_firewall.nft]
extends_documentation_fragment:
  - bluemind.firewall.change
attributes:
  check_mode:
    support: full
    description: Reports the ufw commands it would run, and runs none.
  diff_mode:
    support: full
    description: Shows the collection's ufw rules before and after.
  platform:
    support: full
    description: Debian and Ubuntu hosts with ufw (installed when missing).
    platforms: posix
seealso:
  - module: bluemind.firewall.nftables_table
  - module: bluemind.firewall.verify
'''

EXAMPLES = r'''
- name: Apply the rules the role computed
  bluemind.firewall.ufw_rules:
    rules: "{{ plan.ufw.rules }}"
    record: "{{ plan.policy_json }}"
    install_command: [apt-get, install, -y, ufw]
'''

RETURN = r'''
pending:
  description: Whether the change waits for M(bluemind.firewall.confirm) (the rollback timer runs).
  returned: always
  type: bool
added:
  description: The ufw commands that added rules (or would, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["ufw allow proto tcp to any port 10050,10060:10070 comment 'bluemind-firewall everyone'"]
deleted:
  description: The ufw commands that deleted the collection's rules no longer wanted.
  returned: always
  type: list
  elements: str
reasons:
  description: What differed from the wanted state.
  returned: always
  type: list
  elements: str
armed_at:
  description: When the change went live with a rollback armed (seconds since the epoch, host clock); give it to
    M(bluemind.firewall.confirm).
  returned: when RV(pending) is true
  type: float
recorded:
  description: Whether a policy record is on the host after the run (in check mode, whether one was already there).
  returned: always
  type: bool
'''

import json
import os
import re
import shlex
import shutil
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bluemind.firewall.plugins.module_utils import backends, change, host_files, record, ufw_view
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import (
    BOOT_FALLBACK_NOTE, FALLBACK_CHAIN, UFW_FALLBACK_PATHS, iptables_last_resort)

USER_RULES = (('ipv4', '/etc/ufw/user.rules'), ('ipv6', '/etc/ufw/user6.rules'))
# Debian's nftables.service begins with "flush ruleset" and is not ordered against ufw.service: at
# boot it could wipe ufw's rules after ufw loaded them. ufw loads after it; when nftables.service
# starts or stops later (its stop flushes too), its drop-in (NFTABLES_DROPIN) reloads ufw.
OFF_MARKER = '/etc/bluemind-firewall/ufw-off'
# ufw-init exits 0 having loaded nothing when ufw.conf does not say ENABLED=yes, and 1 when a rules
# file does not load, its chains then holding part of the rules at most: a start that leaves no whole
# ufw (its user chains and an INPUT policy of DROP, both families) fails, unless the collection's off
# switch is off. When the start fails, the last-resort policy (SSH from the admin sources, nothing
# else; after ufw-init stop, which a failed ExecStartPost runs and which opens everything) is loaded
# and ufw.service stays failed. "$$": a literal "$" for systemd.
_UFW_CHECK = ('[ -e %s ] || { iptables -S ufw-user-input >/dev/null && ip6tables -S ufw6-user-input >/dev/null '
              '&& iptables -S INPUT | grep -qx -- "-P INPUT DROP" && ip6tables -S INPUT | grep -qx -- "-P INPUT DROP"; } '
              '|| { echo "ufw did not load its rules: the last-resort policy is loaded" >&2; exit 1; }' % OFF_MARKER)
BOOT_DROPIN = """[Unit]
# Written by bluemind.firewall: nftables.service flushes the whole ruleset when it starts.
After=nftables.service

[Service]
# Written by bluemind.firewall: ufw.service never leaves the host open (see the collection's README).
ExecStartPost=/bin/sh -c '%s'
ExecStopPost=-/bin/sh -c 'test "$$SERVICE_RESULT" = success && exit 0; %s'
""" % (_UFW_CHECK, iptables_last_resort(UFW_FALLBACK_PATHS, BOOT_FALLBACK_NOTE, 'ufw.service failed'))
NFTABLES_DROPIN = backends.reload_after_flush('ufw.service', '/usr/sbin/ufw reload')
DEFAULTS = '/etc/default/ufw'


def _setting(text, name):
    match = re.search(r'^%s="?([^"\n]*)"?\s*$' % name, text or '', re.M)
    return match.group(1) if match else None


UFW_CONF = '/etc/ufw/ufw.conf'
_SAFE_PATH = re.compile(r'/[A-Za-z0-9/._-]+')
SWITCH_UNIT = """# Managed by the Ansible collection bluemind.firewall: edits are replaced on the next run.
# The off switch of the collection's ufw rules: stop takes them out (and gives ufw back its incoming
# default, or disables it if the collection enabled it), disable keeps them out across reboots,
# start puts them back. ufw itself keeps the rules across reboots while this is on.
[Unit]
Description=BlueMind host firewall (the ufw rules marked bluemind-firewall)
After=ufw.service
Before=shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c '[ ! -e %(script)s ] || /bin/sh %(script)s on'
# Not at shutdown: the rules stay in ufw's files for the next boot.
ExecStop=/bin/sh -c 'systemctl is-system-running | grep -q stopping || [ ! -e %(script)s ] || /bin/sh %(script)s off'

[Install]
WantedBy=multi-user.target
"""


def switch_script(ufw, on, off, marker):
    """The shell script the unit runs: on and off each act once, the marker says which was last."""
    # Every word quoted: the script runs as root, and a rule's comment (which names inventory hosts in
    # roles mode) can change without any ufw command running, so only the quoting keeps it inert.
    def lines(commands):
        return ''.join('    %s || true\n' % ufw_view.command_text(words, ufw) for words in commands)
    return ('#!/bin/sh\n# Managed by the Ansible collection bluemind.firewall: written with the rules on every change.\n'
            'marker=%s\ncase "$1" in\n  on)\n    [ -e "$marker" ] || exit 0\n%s    rm -f "$marker" ;;\n'
            '  off)\n    [ -e "$marker" ] && exit 0\n    touch "$marker"\n%s    ;;\n'
            '  *) echo "usage: $0 on|off" >&2; exit 2 ;;\nesac\n' % (shlex.quote(marker), lines(on), lines(off)))


UFW_FILES = ('/etc/ufw/user.rules', '/etc/ufw/user6.rules', DEFAULTS, UFW_CONF)


class UfwRules(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.ufw = module.get_bin_path('ufw')
        self.systemctl = module.get_bin_path('systemctl', required=True)
        self.work = None

    def run(self, args):
        """A live step: when it fails, the change is rolled back."""
        try:
            return self.work.run(args)
        except change.ChangeFailed as exc:
            self.work.roll_back(str(exc))

    def ufw_command(self, words):
        return self.run([self.ufw] + words)

    def install(self):
        path, installed = host_files.install_missing(self.module, 'ufw', self.params['install_command'])
        self.ufw = path or self.ufw
        return installed

    def current_rules(self):
        return [rule for family, path in USER_RULES for rule in ufw_view.parse_user_rules(host_files.read(path), family)]

    def unknown_protocols(self, rules):
        """The protocols of the wanted rules that this host's ufw refuses, tried with --dry-run."""
        refused = []
        for proto in sorted(set(rule['proto'] for rule in rules) - set(('tcp', 'udp'))):
            rc, out, err = self.module.run_command([self.ufw, '--dry-run', 'allow', 'proto', proto, 'from', 'any',
                                                    'to', 'any'])
            if rc != 0:
                refused.append('%s (%s)' % (proto, (err or out).strip()))
        return refused

    def logging_level(self):
        return (_setting(host_files.read(UFW_CONF), 'LOGLEVEL') or 'low').lower()

    def begin(self, enabled, timeout, add=(), delete=(), then=None):
        """Save ufw's files and arm the rollback.

        On an enabled ufw, the rollback first takes each rule change back live, the way ufw applies
        a rule change, then puts the files back: a "ufw reload" empties its chains for a moment and
        dropped new connections to open ports when measured, so it reloads only when a rule could
        not be taken back that way, or when the incoming default changed (then='reload'). It enables
        ufw again when the change disabled it (then='enable'). A ufw that was off is disabled again."""
        self.work = change.Change(self.module, self.params['state_dir'], change.marker_path(self.params['record_path']))
        self.work.begin()
        # ufw's files hold the old rules until the commit (see defer_files); its commands below read
        # them, so the rollback first puts back the files that match the rules in force.
        for path in UFW_FILES:
            self.work.on_rollback(['sh', '-c', '[ ! -e "$1" ] || cp -p "$1" "$2"', 'sh', self.new_copy(path), path])
        if self.ufw and enabled:
            for rule in add:
                for words in ufw_view.undo_add_commands(rule):
                    self.work.on_rollback([self.ufw] + words, mode='undo')
            # Back where each was: in ascending order, every rule before it is already back.
            current = self.current_rules()
            numbered = sorted((number, index) for index, (number, rule) in
                              enumerate(zip(ufw_view.numbers(current), current)) if rule in delete)
            for number, index in numbered:
                self.work.on_rollback([self.ufw] + ufw_view.readd_command(current[index], number), mode='undo')
        self.saved = dict((path, self.work.save_file(path)) for path in UFW_FILES)
        if not self.ufw:
            pass
        elif enabled and then == 'reload':
            self.work.on_rollback([self.ufw, 'reload'])
        elif enabled and then == 'enable':
            self.work.on_rollback([self.ufw, '--force', 'enable'])
        elif enabled:
            self.work.on_rollback([self.ufw, 'reload'], mode='fallback')
        else:
            for words in backends.ufw_disable_commands(self.module):
                self.work.on_rollback(words)
        self.work.arm(timeout)

    def nftables_dropin_path(self):
        return backends.nftables_dropin_path(os.path.dirname(os.path.dirname(self.params['boot_dropin_path'])),
                                             backends.UFW)

    def new_copy(self, path):
        return self.work.path(os.path.join('saved', 'new-' + os.path.basename(path)))

    def defer_files(self):
        """ufw writes a rule change into its files at once, so a restart before the confirmation
        would boot the unconfirmed rules. The files go back to what they were; what ufw wrote is
        written at the commit (and put back first by a rollback, whose ufw commands read it)."""
        for path in UFW_FILES:
            new = host_files.read(path)
            copy = self.saved.get(path)
            old = host_files.read(copy) if copy else None
            if new == old:
                continue
            if new is not None:
                shutil.copy2(path, self.new_copy(path))
                self.work.keep({'write': path, 'content': new, 'mode': stat.S_IMODE(os.stat(path).st_mode)})
            else:
                self.work.keep({'remove': path})
            if old is None:
                os.remove(path)
            else:
                host_files.write(self.module, path, old, stat.S_IMODE(os.stat(copy).st_mode))

    def apply(self):
        change.check_timeout(self.module, self.params['confirm_timeout'])
        # systemd expands "%" and "$" and reads quotes in the unit's ExecStart, which names the script:
        # no quoting survives both, so a path outside these characters is refused.
        for name in ('switch_script', 'unit_path'):
            if not _SAFE_PATH.fullmatch(self.params[name] or ''):
                self.module.fail_json(msg='%s: %r may hold only letters, digits and "/._-" (it is written into a '
                                          'systemd unit); nothing was changed.' % (name, self.params[name]))
        if self.params['state'] == 'absent':
            return self.remove()
        p = self.params
        replace = backends.others_to_replace(self.module, backends.UFW, p['backend_switch'], p['nftables_table'])
        installed = self.install()
        refused = self.unknown_protocols(p['rules']) if self.ufw else []
        if refused:
            self.module.fail_json(msg='This host\'s ufw does not know the protocol(s) %s of bluemind_firewall_extra_rules; '
                                      'nothing was changed. Choose the nftables backend for this host, or a ufw that '
                                      'knows them.' % ', '.join(refused))
        current = self.current_rules()
        add, delete = ufw_view.plan(p['rules'], current)
        for warning in ufw_view.overridden(p['rules'], current):
            self.module.warn(warning)
        defaults = host_files.read(DEFAULTS) or ''
        if installed and self.module.check_mode:
            enabled, input_policy, ipv6 = False, _setting(defaults, 'DEFAULT_INPUT_POLICY'), 'yes'
        else:
            enabled = backends.ufw_active(self.module)
            input_policy, ipv6 = _setting(defaults, 'DEFAULT_INPUT_POLICY'), _setting(defaults, 'IPV6')
        if (ipv6 or 'yes').lower() != 'yes':
            self.module.fail_json(msg='IPV6=%s in %s: ufw would leave IPv6 unfiltered. Set IPV6=yes there, then '
                                      'run again; nothing was changed.' % (ipv6, DEFAULTS))
        boot_enabled = self.run_status(['is-enabled', 'ufw']) == 'enabled'
        nftables_dropin = self.nftables_dropin_path()
        dropin_differs = (host_files.read(p['boot_dropin_path']) != BOOT_DROPIN
                          or host_files.read(nftables_dropin) != NFTABLES_DROPIN)
        current_record = host_files.read(p['record_path'])
        for warning in record.moved_addresses(current_record, p['record']):
            self.module.warn(warning)
        wanted_record = self.record(current_record, enabled, input_policy)

        reasons = (['ufw installed'] if installed else []) + ['%s rules to remove' % item for item in replace]
        if add:
            reasons.append('%d rule(s) to add' % len(add))
        if delete:
            reasons.append('%d rule(s) to delete' % len(delete))
        if input_policy != 'DROP':
            reasons.append('incoming default is %s, not deny' % (input_policy or 'unset'))
        level = self.logging_level() if self.ufw else 'low'
        wanted_level = None
        if p['log_drops'] is True and level == 'off':
            wanted_level = 'low'
        elif p['log_drops'] is False and level != 'off':
            wanted_level = 'off'
        if wanted_level:
            reasons.append('logging of blocked packets is %s, not %s' % (level, wanted_level))
        if not enabled:
            reasons.append('ufw is not enabled')
        live = bool(reasons)
        if not boot_enabled:
            reasons.append('ufw.service is not enabled at boot')
        if dropin_differs:
            reasons.append('ufw.service is not ordered after nftables.service')
        if not record.same(current_record, wanted_record):
            reasons.append('record differs')
        fallback_files = [(UFW_FALLBACK_PATHS[family], p['fallback'][family]) for family in ('ipv4', 'ipv6')
                          if p['fallback']]
        fallback_differs = [path for path, content in fallback_files if host_files.read(path) != content]
        if fallback_differs:
            reasons.append('last-resort policy differs')
        last_resort = self.last_resort_loaded()
        if last_resort:
            reasons.append('the last-resort policy is in force (%s)' % last_resort)
        found = wanted_record['ufw']
        on, off = ufw_view.switch_commands(ufw_view.owned(p['rules'], current), found['enabled_by_collection'],
                                           found['incoming_default_before'])
        script = switch_script(self.ufw or 'ufw', on, off, self.switch_marker())
        unit = SWITCH_UNIT % {'script': p['switch_script']}
        switch_differs = host_files.read(p['switch_script']) != script or host_files.read(p['unit_path']) != unit
        if switch_differs:
            reasons.append('the off switch (%s) differs' % os.path.basename(p['unit_path']))
        switched_off = os.path.exists(self.switch_marker())
        if switched_off:
            reasons.append('switched off (systemctl stop %s)' % os.path.basename(p['unit_path']))
        unit_name = os.path.basename(p['unit_path'])
        unit_enabled = self.run_status(['is-enabled', unit_name]) == 'enabled'
        unit_active = self.run_status(['is-active', unit_name]) == 'active'
        if not unit_enabled or not unit_active:
            reasons.append('%s is not %s' % (unit_name, 'enabled' if not unit_enabled else 'active'))
        loose = host_files.loose([(p['record_path'], host_files.PRIVATE), (p['switch_script'], host_files.SCRIPT),
                                  (p['unit_path'], host_files.UNIT), (p['boot_dropin_path'], host_files.UNIT),
                                  (nftables_dropin, host_files.UNIT)])
        reasons.extend('%s is %s' % (path, wrong) for path, dummy, wrong in loose)

        delete_commands = [ufw_view.delete_command(rule) for rule in delete]
        result = {'changed': bool(reasons), 'reasons': reasons, 'recorded': current_record is not None,
                  'pending': False,
                  'added': [ufw_view.command_text(ufw_view.add_command(rule)) for rule in add],
                  'deleted': [ufw_view.command_text(words) for words in delete_commands]}
        if self.module._diff:
            ours = [rule for rule in current if rule['ours']]
            result['diff'] = {'before_header': 'ufw rules marked %s' % ufw_view.MARK, 'after_header': 'wanted',
                              'before': ''.join(line + '\n' for line in ufw_view.listing(ours)),
                              'after': ''.join(line + '\n' for line in ufw_view.listing(p['rules']))}
            if 'record differs' in reasons:
                result['diff'] = [result['diff'], record.diff(current_record, wanted_record, p['record_path'])]
            if loose:
                result['diff'] = ([result['diff']] if isinstance(result['diff'], dict) else result['diff']) + \
                    [host_files.attributes_diff(path, mode) for path, mode, dummy in loose]
        if self.module.check_mode or not reasons:
            return result

        self.begin(enabled, p['confirm_timeout'] if live else 0, add, delete,
                   then='reload' if input_policy != 'DROP' else None)
        if wanted_level and enabled:
            self.work.on_rollback([self.ufw, 'logging', level], mode='undo')
        # Added before deleted: a rule whose ports merely moved to another rule never leaves a gap.
        for rule in add:
            self.ufw_command(ufw_view.add_command(rule))
        for words in delete_commands:
            self.ufw_command(words)
        # After the rules: where the default was allow, everything was open until this step.
        if input_policy != 'DROP':
            self.set_incoming_deny(enabled, defaults, input_policy)
        if wanted_level:
            self.ufw_command(['logging', wanted_level])
        if not enabled:
            self.ufw_command(['--force', 'enable'])
        if live and p['confirm_timeout']:
            self.defer_files()
        if dropin_differs:
            self.work.keep({'write': p['boot_dropin_path'], 'content': BOOT_DROPIN, 'mode': host_files.UNIT})
            self.work.keep({'write': nftables_dropin, 'content': NFTABLES_DROPIN, 'mode': host_files.UNIT})
            self.work.keep({'run': [self.systemctl, 'daemon-reload']})
        if not boot_enabled:
            self.work.keep({'run': [self.systemctl, 'enable', 'ufw']})
        for path, content in fallback_files:
            if path in fallback_differs:
                # Root-only: it names the admin networks.
                self.work.keep({'write': path, 'content': content, 'mode': 0o600})
        if last_resort:
            # ufw's chains from its files (the last resort's chain, first in INPUT, drops meanwhile), then
            # ufw.service started again (its check passes) and the last resort taken out.
            self.work.keep({'run': [self.ufw, 'reload']})
            self.work.keep({'run': [self.systemctl, 'reset-failed', 'ufw.service']})
            self.work.keep({'run': [self.systemctl, 'start', 'ufw.service']})
            self.work.keep({'run': ['sh', '-c', ' '.join(
                '{ %s -D INPUT -j %s; %s -F %s; %s -X %s; } 2>/dev/null;' % ((tool, FALLBACK_CHAIN) * 3)
                for tool in ('iptables', 'ip6tables')) + ' rm -f %s' % BOOT_FALLBACK_NOTE]})
        # The nftables table stays live until the change is confirmed: until then a packet must pass
        # both, so nothing opens that either closes.
        for other in replace:
            self.work.keep({'remove_nftables': {'table': p['nftables_table'], 'unit_path': p['nftables_files'][0],
                                                'ruleset_path': p['nftables_files'][1]}})
        # After a replaced nftables backend is gone: it used the same unit name.
        if switched_off:
            self.work.keep({'remove': self.switch_marker()})
        if switch_differs:
            self.work.keep({'write': p['switch_script'], 'content': script, 'mode': host_files.SCRIPT})
            self.work.keep({'write': p['unit_path'], 'content': unit, 'mode': host_files.UNIT})
            self.work.keep({'run': [self.systemctl, 'daemon-reload']})
        if switch_differs or not unit_enabled:
            self.work.keep({'run': [self.systemctl, 'enable', unit_name]})
        if switch_differs or not unit_active:
            self.work.keep({'run': [self.systemctl, 'start', unit_name]})
        self.work.keep({'write': p['record_path'], 'content': record.text(wanted_record), 'mode': host_files.PRIVATE})
        host_files.keep_tightened(self.work, loose)
        result.update(self.work.finish())
        result['recorded'] = not result['pending'] or current_record is not None
        return result

    def last_resort_loaded(self):
        """Why the last resort is thought live (its chain in iptables, or ufw.service failed), or None."""
        for tool in ('iptables', 'ip6tables'):
            path = self.module.get_bin_path(tool)
            if path and self.module.run_command([path, '-S', FALLBACK_CHAIN])[0] == 0:
                return 'the %s chain %s is loaded' % (tool, FALLBACK_CHAIN)
        if self.run_status(['is-failed', 'ufw.service']) == 'failed':
            return 'ufw.service failed'
        return None

    def switch_marker(self):
        """Present while the rules are switched off (the unit stopped)."""
        return os.path.join(os.path.dirname(self.params['switch_script']), 'ufw-off')

    def record(self, current_record, enabled, input_policy):
        """The policy, plus what removal needs to give ufw back as it was found: whether this
        collection enabled it, and the incoming default it had then."""
        try:
            found = json.loads(current_record or '{}').get('ufw')
        except ValueError:
            found = None
        wanted = dict(self.params['record'])
        wanted['ufw'] = found if isinstance(found, dict) else {
            'enabled_by_collection': not enabled, 'incoming_default_before': input_policy or 'DROP'}
        return wanted

    def remove(self):
        """The collection's marked rules, the boot drop-in and the record; ufw itself goes back to
        disabled only when this collection enabled it."""
        p = self.params
        current_record = host_files.read(p['record_path'])
        try:
            found = json.loads(current_record or '{}').get('ufw') or {}
        except ValueError:
            found = {}
        ours = [rule for rule in self.current_rules() if rule['ours']] if self.ufw else []
        enabled = bool(self.ufw) and backends.ufw_active(self.module)
        disable = enabled and bool(found.get('enabled_by_collection'))
        defaults = host_files.read(DEFAULTS) or ''
        before = found.get('incoming_default_before')
        restore_default = bool(before) and bool(found.get('enabled_by_collection')) and \
            _setting(defaults, 'DEFAULT_INPUT_POLICY') != before
        delete_commands = [ufw_view.delete_command(rule) for rule in ours]
        # The same unit name serves the nftables backend, whose removal step handles its own unit.
        switch_unit = 'ufw-switch' in (host_files.read(p['unit_path']) or '')
        reasons = (['%d marked rule(s) to delete' % len(ours)] if ours else []) + \
            (['ufw was enabled by bluemind.firewall'] if disable else []) + \
            (['incoming default to set back to %s' % before] if restore_default else []) + \
            ['%s exists' % path for path in (p['boot_dropin_path'], p['switch_script'], p['record_path'])
             if os.path.exists(path)] + (['%s is the ufw off switch' % p['unit_path']] if switch_unit else [])
        result = {'changed': bool(reasons), 'reasons': reasons, 'recorded': False, 'pending': False, 'added': [],
                  'deleted': [ufw_view.command_text(words) for words in delete_commands]}
        if self.module.check_mode or not reasons:
            return result
        live = bool(ours) or disable
        self.begin(enabled, p['confirm_timeout'] if live else 0, delete=[] if disable else ours,
                   then='enable' if disable else None)
        if disable:
            for words in backends.ufw_disable_commands(self.module):
                self.run(words)
        for words in delete_commands:
            self.ufw_command(words)
        if live and p['confirm_timeout']:
            self.defer_files()
        if restore_default:
            self.work.keep({'write': DEFAULTS, 'content': re.sub(r'^DEFAULT_INPUT_POLICY=.*$',
                                                                 'DEFAULT_INPUT_POLICY="%s"' % before, defaults,
                                                                 flags=re.M),
                            'mode': host_files.mode_of(DEFAULTS, host_files.UNIT)})
        for path in (p['boot_dropin_path'], self.nftables_dropin_path(), p['switch_script'], self.switch_marker(),
                     p['record_path']) + tuple(UFW_FALLBACK_PATHS.values()):
            if os.path.exists(path):
                self.work.keep({'remove': path})
        if switch_unit:
            self.work.keep({'run': [self.systemctl, 'disable', os.path.basename(p['unit_path'])]})
            self.work.keep({'remove': p['unit_path']})
        if os.path.exists(p['boot_dropin_path']) or os.path.exists(self.nftables_dropin_path()) or switch_unit:
            self.work.keep({'remove_directory': os.path.dirname(p['boot_dropin_path'])})
            self.work.keep({'remove_directory': os.path.dirname(self.nftables_dropin_path())})
            self.work.keep({'run': [self.systemctl, 'daemon-reload']})
        self.work.keep({'remove_directory': os.path.dirname(p['record_path'])})
        result.update(self.work.finish())
        return result

    def run_status(self, args):
        dummy, out, dummy = self.module.run_command([self.systemctl] + args)
        return out.strip()

    def set_incoming_deny(self, enabled, defaults, input_policy):
        # ufw's chains follow its default: with "allow" they accept every new connection themselves
        # (ufw-track-input, ufw-skip-to-policy-input), which only ufw's own reload rebuilds.
        if not enabled or (input_policy or '').upper() == 'ACCEPT':
            self.ufw_command(['default', 'deny', 'incoming'])
            return
        # ufw's own "default" command reloads an enabled firewall; the chain policies are set live
        # instead, and the file keeps the setting for ufw's next start.
        for tool in ('iptables', 'ip6tables'):
            self.run([self.module.get_bin_path(tool, required=True), '-P', 'INPUT', 'DROP'])
        host_files.write(self.module, DEFAULTS, re.sub(r'^DEFAULT_INPUT_POLICY=.*$', 'DEFAULT_INPUT_POLICY="DROP"', defaults, flags=re.M),
                         host_files.mode_of(DEFAULTS, host_files.UNIT))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            rules=dict(type='list', elements='dict'),
            record=dict(type='dict'),
            confirm_timeout=dict(type='int', default=0),
            state_dir=dict(type='path', default=change.STATE_DIR),
            record_path=dict(type='path', default='/etc/bluemind-firewall/policy.json'),
            install_command=dict(type='list', elements='str'),
            backend_switch=dict(type='bool', default=False),
            boot_dropin_path=dict(type='path', default='/etc/systemd/system/ufw.service.d/bluemind-firewall.conf'),
            fallback=dict(type='dict', options=dict(ipv4=dict(type='str', required=True),
                                                    ipv6=dict(type='str', required=True))),
            nftables_table=dict(type='str', default='bluemind_firewall'),
            log_drops=dict(type='bool'),
            unit_path=dict(type='path', default='/etc/systemd/system/bluemind-firewall.service'),
            switch_script=dict(type='path', default='/etc/bluemind-firewall/ufw-switch.sh'),
            nftables_files=dict(type='list', elements='path',
                                default=['/etc/systemd/system/bluemind-firewall.service',
                                         '/etc/bluemind-firewall/bluemind_firewall.nft']),
        ),
        required_if=[('state', 'present', ('rules', 'record'))],
        supports_check_mode=True,
    )
    module.exit_json(**UfwRules(module).apply())


if __name__ == '__main__':
    main()
