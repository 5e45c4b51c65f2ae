"""Every conditional of the test playbooks is a string: YAML reads an unquoted "a: b" inside one as a
mapping, which Ansible refuses only when the task runs, deep into a molecule scenario."""

import glob
import os

import yaml

from conftest import ROOT

CONDITIONAL_KEYS = ('when', 'failed_when', 'changed_when', 'until')


def _tasks(node):
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        yield node
        for key in ('tasks', 'pre_tasks', 'post_tasks', 'handlers', 'block', 'rescue', 'always'):
            yield from _tasks(node.get(key))


def _conditionals(task):
    for key in CONDITIONAL_KEYS:
        value = task.get(key)
        if value is not None and not isinstance(value, bool):
            yield from (value if isinstance(value, list) else [value])
    check = task.get('ansible.builtin.assert')
    if isinstance(check, dict):
        that = check.get('that')
        yield from (that if isinstance(that, list) else [that])


def test_every_conditional_of_the_test_playbooks_is_a_string():
    checked = 0
    for path in sorted(glob.glob(os.path.join(ROOT, 'molecule', '**', '*.yml'), recursive=True)):
        with open(path) as handle:
            document = yaml.safe_load(handle)
        for task in _tasks(document):
            for conditional in _conditionals(task):
                checked += 1
                assert isinstance(conditional, str), '%s: %r' % (os.path.relpath(path, ROOT), conditional)
    assert checked > 200
