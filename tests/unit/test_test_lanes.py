"""make test runs two lanes side by side: a molecule scenario run in both (its two backends, say) would
have two runs create, converge and destroy the same containers and network at once."""

import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _make(*words):
    return subprocess.run(['make', '-s', '-C', ROOT] + list(words), capture_output=True, text=True, check=True).stdout


def _variable(name):
    return _make('--eval', 'print-variable: ; @echo $(%s)' % name, 'print-variable').split()


def _scenario(target):
    found = re.search(r'molecule test -s (\S+)', _make('-n', target))
    return found.group(1) if found else None


# core-matrix runs the unit tests again in a Debian 13 container that has no make: the lanes are
# make's, and make unit on this machine checks them.
@pytest.mark.skipif(shutil.which('make') is None, reason='make is not installed here')
def test_no_molecule_scenario_runs_in_both_lanes():
    checks, scenarios = _variable('LANE_CHECKS'), _variable('LANE_SCENARIOS')
    assert set(checks) & set(scenarios) == set()
    in_checks = set(_scenario(target) for target in checks if target.startswith('molecule-'))
    in_scenarios = set(_scenario(target) for target in scenarios)
    assert None not in in_checks | in_scenarios
    assert in_checks & in_scenarios == set()
    # Every molecule target of make test is in a lane.
    assert set(checks + scenarios) >= set('molecule-' + name for name in _variable('MOLECULE_SCENARIOS'))
