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
    return isinstance(current, dict) and _without_applied(current) == _without_applied(_as_json(record))


def _as_json(record):
    """The record as it reads back from the host (tuples become lists)."""
    return json.loads(json.dumps(record))


def _without_applied(content):
    content = dict(content)
    content.pop(APPLIED, None)
    return content


def _listing(content):
    return json.dumps(_without_applied(content), indent=2, sort_keys=True) + '\n'


def diff(current_text, record, path):
    """A diff of the record (its "applied" left aside), for Ansible's --diff."""
    try:
        current = json.loads(current_text or '{}')
    except ValueError:
        current = None
    before = _listing(current) if isinstance(current, dict) else (current_text or '')
    return {'before': before if current_text else '', 'after': _listing(_as_json(record)),
            'before_header': path, 'after_header': path}
