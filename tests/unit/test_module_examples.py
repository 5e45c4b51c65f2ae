"""Each module's EXAMPLES are tasks that run as written: its own options only, the required ones given;
the role's steps show the role, which is how they run."""

import glob
import os
import re

import yaml

from conftest import ROOT

ROLE_STEPS = ('cluster_addresses', 'host_policy', 'confirm')


def _modules():
    for path in sorted(glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py'))):
        with open(path) as handle:
            source = handle.read()
        doc = yaml.safe_load(re.search(r"DOCUMENTATION = r'''(.*?)'''", source, re.S).group(1))
        examples = yaml.safe_load(re.search(r"EXAMPLES = r'''(.*?)'''", source, re.S).group(1))
        yield os.path.basename(path)[:-3], doc, examples


def test_examples_use_documented_options_and_give_the_required_ones():
    calls = 0
    for name, _doc, examples in _modules():
        assert isinstance(examples, list) and examples, name
        for task in examples:
            assert task.get('name'), (name, task)
            for module, documentation, _examples in _modules():
                arguments = task.get('bluemind.firewall.%s' % module)
                if arguments is None:
                    continue
                calls += 1
                options = documentation.get('options') or {}
                assert set(arguments) <= set(options), (name, module, set(arguments) - set(options))
                required = {option for option, spec in options.items() if spec.get('required')}
                assert required <= set(arguments), (name, module, required - set(arguments))
    assert calls >= 4


def test_the_role_steps_say_so_and_show_the_role():
    for name, doc, examples in _modules():
        if name not in ROLE_STEPS:
            continue
        assert 'not meant to be called on its own' in ' '.join(doc['description']), name
        assert [task['ansible.builtin.include_role']['name'] for task in examples] == ['bluemind.firewall.host_firewall']
