"""Make the checkout importable as ansible_collections.bluemind.firewall (as tests/unit does), and the
oracle's own modules importable by name."""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

_tree = tempfile.mkdtemp(prefix='bluemind-firewall-oracle-')
os.makedirs(os.path.join(_tree, 'ansible_collections', 'bluemind'))
os.symlink(ROOT, os.path.join(_tree, 'ansible_collections', 'bluemind', 'firewall'))
sys.path.insert(0, _tree)
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: E402
_AnsibleCollectionFinder(paths=[_tree])._install()
sys.path.insert(0, HERE)


def pytest_terminal_summary(terminalreporter):
    # The random cells the engine left unknown, and why: a reason the run accepted is still worth seeing.
    oracle = sys.modules.get('oracle')
    if oracle is not None and oracle.RANDOM_UNKNOWN:
        terminalreporter.write_sep('-', 'random cells the engine left unknown')
        terminalreporter.write_line(oracle.unknown_text(oracle.RANDOM_UNKNOWN))
