#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: nftables_table
short_description: Load one nftables table atomically, keep it across reboots and record the policy
version_added: 0.1.0
description:
  - Replaces one nftables table with the given ruleset in a single C(nft -f) transaction, after
    C(nft -c) has checked it. There is no moment where the old table is gone and the new one missing,
    and a ruleset that does not load leaves the running table as it was.
  - Touches no other table, and never runs C(flush ruleset).
  - Writes the ruleset file, installs and enables a systemd unit that loads it at boot, and writes the
    applied policy as JSON (the record that verification reads), only once the table is live, and with
    O(confirm_timeout) only once the change is confirmed.
  - A step that fails puts the previous table back before the module fails.
  - Reports a change when the file, the live table, the boot unit or the record differ from what is
    wanted; a live table edited or flushed by hand is loaded again.
  - The role P(bluemind.firewall.host_firewall#role) renders the ruleset; this module is its last step.
author:
  - bluemind.firewall contributors !UNKNOWN
options:
  table:
    description:
      - Name of the C(inet) table that O(ruleset) defines. Only this table is replaced.
    type: str
    default: bluemind_firewall
  state:
    description:
      - V(present) loads the table and keeps it; V(absent) removes the table, the boot unit, the ruleset
        file, the record and the directory that held them (when empty), and nothing else.
    type: str
    choices: [present, absent]
    default: present
    version_added: 0.4.0
  ruleset:
    description:
      - The nft file that replaces the table, including its own C(delete table) line.
      - Required with O(state=present).
    type: str
  path:
    description:
      - Where the ruleset is kept for the boot unit.
    type: path
    required: true
  boot_unit:
    description:
      - Content of the systemd unit that loads O(path) at boot. Required with O(state=present).
    type: str
  fallback:
    description:
      - The last-resort policy the boot unit loads when neither O(path) nor the previous ruleset
        (O(path) with C(.previous)) loads at boot; written beside O(path) (with C(.fallback),
        C(.fallback.iptables) and C(.fallback.ip6tables)), root-only. Its nft file is checked with C(nft -c).
      - Without it, such a boot leaves the host without the table.
    type: dict
    version_added: 0.6.0
    suboptions:
      nft:
        description: The nft file (the same table name as O(ruleset), replaced in one transaction).
        type: str
        required: true
      ipv4:
        description: C(iptables-restore --noflush) input, for a boot where C(nft) itself fails.
        type: str
        required: true
      ipv6:
        description: C(ip6tables-restore --noflush) input, for a boot where C(nft) itself fails.
        type: str
        required: true
  system_config:
    description:
      - The system's C(nftables.service) configuration. When it exists, two lines are added at its end (and
        removed with O(state=absent)), the rest left as it is - an C(include) of the file the boot unit loaded
        (a link under C(/run/bluemind-firewall/include), present while the unit is active), so that the
        service's C(flush ruleset) and the table's load are one transaction on its start, restart and reload.
        Its stop (C(flush ruleset) in Debian's unit) is replaced, in the collection's drop-in, by the same
        flush and include in one transaction.
    type: path
    default: /etc/nftables.conf
    version_added: 0.6.0
  boot_unit_path:
    description:
      - Where the boot unit is installed.
    type: path
    default: /etc/systemd/system/bluemind-firewall.service
  record:
    description:
      - The resolved policy (a mapping, or its JSON text), written as JSON to O(record_path) once the
        change is confirmed. Required with O(state=present).
    type: dict
  record_path:
    description:
      - Where the record is written.
    type: path
    default: /etc/bluemind-firewall/policy.json
  install_command:
    description:
      - Command (with the package names) that installs C(nft) when it is missing, for example
        C([apt-get, install, -y, nftables]). Run only when C(nft) is not found, so that a host that has
        it costs no package-manager call.
      - Without it, a missing C(nft) is an error.
    type: list
    elements: str
    version_added: 0.4.0
  backend_switch:
    description:
      - Move a host from ufw to this backend. Without it, an active ufw or firewalld makes the module
        fail before any change. With it, the table is loaded and kept for boot first, then
        C(ufw disable) empties ufw's chains and keeps it from loading at boot.
    type: bool
    default: false
    version_added: 0.4.0
  confirm_timeout:
    description:
      - V(0) applies and commits at once. Otherwise, the seconds within which
        M(bluemind.firewall.confirm) must confirm the change over a new connection; a systemd timer on
        the host restores the previous table when they run out. Until then the ruleset file, the boot
        unit and the record stay as they were, and a replaced ufw stays active.
      - At least 10 when set.
    type: int
    default: 0
    version_added: 0.4.0
extends_documentation_fragment:
  - bluemind.firewall.change
attributes:
  check_mode:
    support: full
    description: Checks the ruleset with C(nft -c) and reports what would change, without changing it.
  diff_mode:
    support: full
    description: Shows the ruleset file before and after, or the live table when it drifted.
  platform:
    platforms: posix
    support: full
    description: Linux with nftables and systemd.
notes:
  - Needs root, C(nft) and systemd.
'''

EXAMPLES = r'''
- name: Load the firewall table rendered by bluemind.firewall.host_policy
  bluemind.firewall.nftables_table:
    ruleset: "{{ plan.nftables.ruleset }}"
    path: /etc/bluemind-firewall/bluemind_firewall.nft
    boot_unit: "{{ plan.nftables.boot_unit }}"
    fallback: "{{ plan.nftables.fallback }}"
    record: "{{ plan.policy_json }}"
'''

RETURN = r'''
pending:
  description: Whether the change waits for M(bluemind.firewall.confirm) (the rollback timer runs).
  returned: always
  type: bool
  sample: true
loaded:
  description: Whether the table was (or, in check mode, would be) loaded into the kernel.
  returned: always
  type: bool
  sample: true
reasons:
  description: What differed from the wanted state.
  returned: always
  type: list
  elements: str
  sample: ["ruleset file differs", "live table differs from the one last loaded"]
listing_sha256:
  description: SHA-256 of C(nft -s list table inet TABLE) after the run; the record keeps it to detect drift.
  returned: success and not check mode
  type: str
armed_at:
  description: When the change went live with a rollback armed (seconds since the epoch, host clock); give it to
    M(bluemind.firewall.confirm).
  returned: when RV(pending) is true
  type: float
recorded:
  description: Whether a policy record is on the host after the run (in check mode, whether one was already there).
  returned: always
  type: bool
  sample: true
'''

import hashlib
import json
import os
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bluemind.firewall.plugins.module_utils import backends, change, exposure, host_files, nftables_view, record
from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import INCLUDE_GLOB, fallback_paths

# Added to the system's /etc/nftables.conf, and removed with the collection: the include matches the link
# the boot unit keeps while it is active, and nothing otherwise (a glob that matches nothing is no error).
INCLUDE_LINES = ('# Added by bluemind.firewall (removed with it): its table, loaded in the same transaction as '
                 'this file while bluemind-firewall.service is active.\n'
                 'include "%s"\n' % INCLUDE_GLOB)
# nftables.service's stop, as Debian's ("flush ruleset") but keeping the collection's table, in one transaction.
STOP_CONFIG = ('# Managed by the Ansible collection bluemind.firewall: nftables.service\'s stop, which flushes every\n'
               '# table but the collection\'s while bluemind-firewall.service is active, in one transaction.\n'
               'flush ruleset\ninclude "%s"\n' % INCLUDE_GLOB)


def with_include(text):
    """The system configuration with the include lines at its end (text None: no file, None)."""
    if text is None or INCLUDE_LINES in text:
        return text
    return text + ('' if text.endswith('\n') or not text else '\n') + INCLUDE_LINES


def without_include(text):
    return text.replace(INCLUDE_LINES, '') if text is not None else None


def _record(record, listing_sha256):
    content = dict(record)
    content['nftables'] = {'listing_sha256': listing_sha256}
    return content


class NftablesTable(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.nft = module.get_bin_path('nft')
        self.systemctl = module.get_bin_path('systemctl', required=True)
        self.unit = os.path.basename(self.params['boot_unit_path'])

    def install_nft(self):
        """Install nftables if nft is missing; True when it was (or, in check mode, would be)."""
        path, installed = host_files.install_missing(self.module, 'nft', self.params['install_command'])
        self.nft = path or self.nft
        return installed

    def run(self, args, check_rc=True, what=None):
        rc, out, err = self.module.run_command(args)
        if check_rc and rc != 0:
            self.module.fail_json(msg='%s failed: %s' % (what or ' '.join(args), (err or out).strip()), rc=rc)
        return rc, out, err

    def live_listing(self):
        rc, out, dummy = self.run([self.nft, '-s', 'list', 'table', 'inet', self.params['table']], check_rc=False)
        return nftables_view.without_dynamic_elements(out) if rc == 0 else None

    def unit_enabled(self):
        dummy, out, dummy = self.run([self.systemctl, 'is-enabled', self.unit], check_rc=False)
        return out.strip() == 'enabled'

    def unit_active(self):
        rc, dummy, dummy = self.run([self.systemctl, 'is-active', '--quiet', self.unit], check_rc=False)
        return rc == 0

    def check_syntax(self, ruleset):
        fd, staged = tempfile.mkstemp(prefix='bluemind-firewall-', suffix='.nft')
        try:
            with os.fdopen(fd, 'w') as handle:
                handle.write(ruleset)
            self.run([self.nft, '-c', '-f', staged], what='nft -c (the ruleset does not load; nothing was changed)')
        finally:
            os.unlink(staged)

    def apply(self):
        change.check_timeout(self.module, self.params['confirm_timeout'])
        if self.params['state'] == 'absent':
            return self.remove()
        p = self.params
        replace = backends.others_to_replace(self.module, backends.NFTABLES, p['backend_switch'], p['table'])
        installed = self.install_nft()
        if installed and self.module.check_mode:
            return {'changed': True, 'loaded': True, 'reasons': ['nftables would be installed'], 'recorded': False,
                    'pending': False, 'msg': 'nft is not installed yet: the ruleset could not be checked'}
        current_file = host_files.read(p['path'])
        current_record = host_files.read(p['record_path'])
        for warning in record.moved_addresses(current_record, p['record']):
            self.module.warn(warning)
        live = self.live_listing()
        try:
            recorded_sha = json.loads(current_record or '{}').get('nftables', {}).get('listing_sha256')
        except ValueError:
            recorded_sha = None
        live_sha = hashlib.sha256(live.encode()).hexdigest() if live is not None else None

        reasons = (['nftables installed'] if installed else []) + ['%s to disable' % item for item in replace]
        if current_file != p['ruleset']:
            reasons.append('ruleset file differs')
        if live is None:
            reasons.append('table inet %s is not loaded' % p['table'])
        elif live_sha != recorded_sha:
            reasons.append('live table differs from the one last loaded')
        load = bool(reasons)
        unit_differs = host_files.read(p['boot_unit_path']) != p['boot_unit']
        if unit_differs:
            reasons.append('boot unit differs')
        fallback_files = self.fallback_files()
        fallback_differs = [path for path, content in fallback_files if host_files.read(path) != content]
        if fallback_differs:
            reasons.append('last-resort policy differs')
        dropin_path, dropin = self.nftables_dropin()
        dropin_differs = host_files.read(dropin_path) != dropin or host_files.read(self.stop_path()) != STOP_CONFIG
        if dropin_differs:
            reasons.append('nftables.service does not load the table again after its flush')
        system_config = host_files.read(p['system_config'])
        include_missing = with_include(system_config) != system_config
        if include_missing:
            reasons.append('%s does not include the table' % p['system_config'])
        enable = not self.unit_enabled()
        if enable:
            reasons.append('boot unit not enabled')
        # Stopped by hand (the off switch removes the table): a converge turns the firewall on again.
        start = not self.unit_active()
        if start and not (enable or unit_differs):
            reasons.append('boot unit not active')
        if not load and not record.same(current_record, _record(p['record'], recorded_sha)):
            reasons.append('record differs')
        loose = host_files.loose(self.kept_files())
        reasons.extend('%s is %s' % (path, wrong) for path, dummy, wrong in loose)

        result = {'changed': bool(reasons), 'loaded': load, 'reasons': reasons, 'pending': False,
                  'recorded': current_record is not None or not self.module.check_mode}
        if self.module._diff:
            diffs = []
            if current_file != p['ruleset']:
                diffs.append({'before': current_file or '', 'after': p['ruleset'],
                              'before_header': p['path'], 'after_header': p['path']})
            elif load:
                # The table as it was last loaded from this same file: the lines that differ are the
                # ones changed by hand (a version before 0.4.0 kept no such listing).
                loaded = host_files.read(self.listing_path())
                diffs.append({'before': live or '', 'after': loaded or '(the table as in %s)\n' % p['path'],
                              'before_header': 'live table inet %s' % p['table'],
                              'after_header': 'table inet %s as loaded from %s' % (p['table'], p['path'])})
            if 'record differs' in reasons:
                diffs.append(record.diff(current_record, _record(p['record'], recorded_sha), p['record_path']))
            diffs.extend(host_files.attributes_diff(path, mode) for path, mode, dummy in loose)
            if diffs:
                result['diff'] = diffs if len(diffs) > 1 else diffs[0]
        if load:
            self.check_syntax(p['ruleset'])
        if fallback_differs:
            # The last resort must load when it is needed, at boot: it is checked like the ruleset.
            self.check_syntax(fallback_files[0][1])
        if self.module.check_mode or not reasons:
            if not self.module.check_mode:
                result['listing_sha256'] = recorded_sha
            return result

        # The bans of limited ports live only in the kernel: the transaction that replaces the table,
        # and the one that would put it back, add them again with the time they have left.
        bans = self.kept_bans() if load else ''
        work = change.Change(self.module, self.params['state_dir'], change.marker_path(self.params['record_path']))
        work.begin()
        # Whatever else is in the ruleset is not ours to restore: only this table goes back.
        work.on_rollback([self.nft, '-f', work.save_text('previous.nft', self.replacing(live or '') + bans)])
        work.arm(p['confirm_timeout'] if load else 0)
        listing_sha = recorded_sha
        try:
            if load:
                # One transaction: the file's own "delete table" and the new table commit together or
                # not at all. A ufw being replaced stays active until the change is confirmed: until then
                # a packet must pass both, so nothing opens that either closes.
                work.run([self.nft, '-f', work.save_text('new.nft', p['ruleset'] + bans)],
                         what='nft -f (the kernel rejected the ruleset)')
                listing = self.live_listing()
                listing_sha = hashlib.sha256(listing.encode()).hexdigest()
        except change.ChangeFailed as exc:
            work.roll_back(str(exc))
        if current_file != p['ruleset']:
            # The ruleset that loaded until now stays beside the new one: the boot unit loads it
            # when the new file does not hold the whole table (a power cut while it was written).
            if current_file is not None:
                work.keep({'write': p['path'] + '.previous', 'content': current_file, 'mode': host_files.PRIVATE})
            work.keep({'write': p['path'], 'content': p['ruleset'], 'mode': host_files.PRIVATE})
        for path, content in fallback_files:
            if path in fallback_differs:
                # Root-only: it names the admin networks.
                work.keep({'write': path, 'content': content, 'mode': host_files.PRIVATE})
        if unit_differs:
            work.keep({'write': p['boot_unit_path'], 'content': p['boot_unit'], 'mode': host_files.UNIT})
        if dropin_differs:
            work.keep({'write': self.stop_path(), 'content': STOP_CONFIG, 'mode': host_files.PRIVATE})
            work.keep({'write': dropin_path, 'content': dropin, 'mode': host_files.UNIT})
        if include_missing:
            # The admin's lines stay as they are, and the file keeps its mode (Debian's is executable).
            work.keep({'write': p['system_config'], 'content': with_include(system_config),
                       'mode': stat.S_IMODE(os.stat(p['system_config']).st_mode)})
        if unit_differs or dropin_differs:
            work.keep({'run': [self.systemctl, 'daemon-reload']})
        if enable:
            work.keep({'run': [self.systemctl, 'enable', self.unit]})
        # Active, the unit follows reloads of nftables.service (ReloadPropagatedFrom), and the drop-in
        # loads the table after that service's start and stop; starting it loads the same file again,
        # which changes nothing.
        if start:
            work.keep({'run': [self.systemctl, 'start', self.unit]})
        if backends.UFW in replace:
            work.keep({'remove_ufw': True})
        if load:
            work.keep({'write': self.listing_path(), 'content': listing, 'mode': host_files.PRIVATE})
        work.keep({'write': p['record_path'], 'content': record.text(_record(p['record'], listing_sha)),
                   'mode': host_files.PRIVATE})
        host_files.keep_tightened(work, loose)
        result.update(work.finish())
        result['listing_sha256'] = listing_sha
        result['recorded'] = not result['pending'] or current_record is not None
        return result

    def kept_bans(self):
        """The live bans of the sets the new record names, as `add element` lines."""
        lines = []
        for name in sorted(((self.params['record'].get('protection') or {}).get('bans') or {}).values()):
            rc, out, dummy = self.run([self.nft, '-j', 'list', 'set', 'inet', self.params['table'], name],
                                      check_rc=False)
            if rc == 0:
                lines.extend(exposure.kept_bans(self.params['table'], name, out, self.params['record']))
        return ''.join(lines)

    def nftables_dropin(self):
        """(path, content) of the drop-in that makes nftables.service load the table again after
        the flush its start and stop do (its stock /etc/nftables.conf begins with flush ruleset)."""
        path = backends.nftables_dropin_path(os.path.dirname(self.params['boot_unit_path']), backends.NFTABLES)
        # A reload of the unit (not nft itself): it falls back to the previous ruleset as at boot.
        # --no-block: the reload waits for nftables.service, whose job is the one running this.
        # The stop flushes and loads the table in one transaction (the include in the system's
        # configuration does the same for its start and reload); the reload after it then changes nothing.
        return path, backends.reload_after_flush(self.unit, '%s --no-block reload %s' % (self.systemctl, self.unit)) + (
            'ExecStop=\nExecStop=%s -f %s\n' % (self.nft or '/usr/sbin/nft', self.stop_path()))

    def stop_path(self):
        return os.path.join(os.path.dirname(self.params['path']), 'nftables-stop.nft')

    def fallback_files(self):
        """[(path, content)] of the last-resort policy, nft first; [] when none was given."""
        fallback = self.params['fallback']
        if not fallback:
            return []
        paths = fallback_paths(self.params['path'])
        return [(paths[key], fallback[key]) for key in ('nft', 'ipv4', 'ipv6')]

    def kept_files(self):
        """(path, mode) of every file this module keeps on the host."""
        p = self.params
        return [(p['path'], host_files.PRIVATE), (p['path'] + '.previous', host_files.PRIVATE),
                (self.listing_path(), host_files.PRIVATE), (p['record_path'], host_files.PRIVATE),
                (p['boot_unit_path'], host_files.UNIT), (self.nftables_dropin()[0], host_files.UNIT),
                (self.stop_path(), host_files.PRIVATE)] + [(item[0], host_files.PRIVATE) for item in self.fallback_files()]

    def listing_path(self):
        """The table as last loaded (nft's own listing), kept to show what a repair changes."""
        return self.params['path'] + '.listing'

    def replacing(self, body):
        """An nft file that replaces the table with body (empty: no table), on nft 0.9.8 too."""
        table = self.params['table']
        return 'table inet %s\ndelete table inet %s\n%s' % (table, table, body)

    def remove(self):
        """The table, its boot unit, its ruleset file and the record; nothing else."""
        p = self.params
        live = self.live_listing() if self.nft else None
        dropin_path = self.nftables_dropin()[0]
        files = [path for path in (p['boot_unit_path'], dropin_path, p['path'], p['path'] + '.previous',
                                   self.listing_path(), p['record_path'], self.stop_path())
                 + tuple(fallback_paths(p['path']).values()) if os.path.exists(path)]
        system_config = host_files.read(p['system_config'])
        include_present = without_include(system_config) != system_config
        enabled = os.path.exists(p['boot_unit_path']) and self.unit_enabled()
        reasons = (['table inet %s is loaded' % p['table']] if live is not None else []) + \
            ['%s exists' % path for path in files] + \
            (['%s includes the table' % p['system_config']] if include_present else [])
        result = {'changed': bool(reasons), 'loaded': False, 'reasons': reasons, 'pending': False, 'recorded': False}
        if self.module._diff and live is not None:
            result['diff'] = {'before': live, 'after': '', 'before_header': 'live table inet %s' % p['table'],
                              'after_header': '(removed)'}
        if self.module.check_mode or not reasons:
            return result
        work = change.Change(self.module, self.params['state_dir'], change.marker_path(self.params['record_path']))
        work.begin()
        if live is not None:
            work.on_rollback([self.nft, '-f', work.save_text('previous.nft', self.replacing(live))])
        work.arm(p['confirm_timeout'] if live is not None else 0)
        try:
            if live is not None:
                work.run([self.nft, '-f', work.save_text('new.nft', self.replacing(''))])
        except change.ChangeFailed as exc:
            work.roll_back(str(exc))
        if include_present:
            work.keep({'write': p['system_config'], 'content': without_include(system_config),
                       'mode': stat.S_IMODE(os.stat(p['system_config']).st_mode)})
        if enabled:
            work.keep({'run': [self.systemctl, 'disable', self.unit]})
        for path in files:
            work.keep({'remove': path})
        if os.path.exists(dropin_path):
            work.keep({'remove_directory': os.path.dirname(dropin_path)})
        if os.path.exists(p['boot_unit_path']) or os.path.exists(dropin_path):
            work.keep({'run': [self.systemctl, 'daemon-reload']})
        work.keep({'remove_directory': os.path.dirname(p['record_path'])})
        result.update(work.finish())
        return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            table=dict(type='str', default='bluemind_firewall'),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            ruleset=dict(type='str'),
            path=dict(type='path', required=True),
            boot_unit=dict(type='str'),
            boot_unit_path=dict(type='path', default='/etc/systemd/system/bluemind-firewall.service'),
            system_config=dict(type='path', default='/etc/nftables.conf'),
            fallback=dict(type='dict', options=dict(
                nft=dict(type='str', required=True),
                ipv4=dict(type='str', required=True),
                ipv6=dict(type='str', required=True),
            )),
            record=dict(type='dict'),
            record_path=dict(type='path', default='/etc/bluemind-firewall/policy.json'),
            install_command=dict(type='list', elements='str'),
            backend_switch=dict(type='bool', default=False),
            confirm_timeout=dict(type='int', default=0),
            state_dir=dict(type='path', default=change.STATE_DIR),
        ),
        required_if=[('state', 'present', ('ruleset', 'boot_unit', 'record'))],
        supports_check_mode=True,
    )
    module.exit_json(**NftablesTable(module).apply())


if __name__ == '__main__':
    main()
