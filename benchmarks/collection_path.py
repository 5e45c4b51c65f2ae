"""Makes `ansible_collections.bluemind.firewall` importable from this checkout for a benchmark run as a
plain script (no installed collection): a throwaway tree whose only entry links to the checkout."""
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def importable():
    """Put the checkout (as bluemind.firewall) and tests/harness on sys.path; return the checkout's root."""
    tree = tempfile.mkdtemp(prefix='bluemind-firewall-bench-')
    os.makedirs(os.path.join(tree, 'ansible_collections', 'bluemind'))
    os.symlink(ROOT, os.path.join(tree, 'ansible_collections', 'bluemind', 'firewall'))
    sys.path.insert(0, tree)
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'harness'))
    return ROOT
