"""Make the checkout importable as ansible_collections.bluemind.firewall, as Ansible lays it out."""

import os
import sys
import tempfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(ROOT, 'roles', 'host_firewall')

_tree = tempfile.mkdtemp(prefix='bluemind-firewall-unit-')
os.makedirs(os.path.join(_tree, 'ansible_collections', 'bluemind'))
os.symlink(ROOT, os.path.join(_tree, 'ansible_collections', 'bluemind', 'firewall'))
sys.path.insert(0, _tree)
# For the tests that run Ansible's commands: the checkout as the only collection bluemind.firewall,
# whatever the environment says (the core matrix sets no ANSIBLE_COLLECTIONS_PATH).
COLLECTIONS = _tree
# Ansible's own collection loader, pointed at that tree, as ansible-test's unit tests do: some
# ansible-core versions (2.14) install it on first use and then only know collections it found itself.
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: E402
_AnsibleCollectionFinder(paths=[_tree])._install()
# Helpers shared with the benchmarks (tests/harness/live_fixtures.py).
sys.path.insert(0, os.path.join(ROOT, 'tests', 'harness'))


def load_yaml(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope='session')
def port_table():
    return load_yaml('roles', 'host_firewall', 'vars', 'main.yml')['bluemind_firewall_port_table']
