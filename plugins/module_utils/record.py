# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record's text on the host, and the one part of it that says when it was written.

"applied" (the time, and the collection version the controller ran) changes only with the rest:
a run that changes nothing leaves the record, its time included, as it was.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

APPLIED = 'applied'


def text(record, now=None):
    """The record as written, with the time of writing under "applied"."""
    content = dict(record)
    applied = dict(content.get(APPLIED) or {})
    applied['at'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now))
    content[APPLIED] = applied
    return json.dumps(content, indent=2, sort_keys=True) + '\n'


def same(current_text, record):
    """Whether the record on the host already says what record says, "applied" left aside."""
    try:
        current = json.loads(current_text or 'null')
    except ValueError:
        return False
    if not isinstance(current, dict):
        return False
    current.pop(APPLIED, None)
    wanted = dict(record)
    wanted.pop(APPLIED, None)
    return json.loads(json.dumps(wanted)) == current


def _without_applied(content):
    content = dict(content)
    content.pop(APPLIED, None)
    return json.dumps(content, indent=2, sort_keys=True) + '\n'


def diff(current_text, record, path):
    """A diff of the record (its "applied" left aside), for Ansible's --diff."""
    try:
        current = json.loads(current_text or '{}')
    except ValueError:
        current = None
    before = _without_applied(current) if isinstance(current, dict) else (current_text or '')
    return {'before': before if current_text else '', 'after': _without_applied(json.loads(json.dumps(record))),
            'before_header': path, 'after_header': path}
