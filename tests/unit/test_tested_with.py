"""What the collection claims (meta/runtime.yml, the role's platforms, the README) is what make test runs."""

import os
import re
import sys

from conftest import ROOT, load_yaml

sys.path.insert(0, os.path.join(ROOT, 'tests', 'harness'))
import readme_tables  # noqa: E402


def _minor(version):
    return tuple(int(part) for part in version.split('.')[:2])


def test_requires_ansible_is_the_oldest_tested_release():
    versions = [version for version, _where in readme_tables._core_versions()]
    oldest = '%d.%d' % _minor(versions[0])
    assert load_yaml('meta', 'runtime.yml')['requires_ansible'] == '>=%s.0' % oldest
    assert load_yaml('roles', 'host_firewall', 'meta', 'main.yml')['galaxy_info']['min_ansible_version'] == oldest
    # One release per minor version, in order, none skipped.
    minors = [_minor(version) for version in versions]
    assert minors == [(2, minor) for minor in range(minors[0][1], minors[-1][1] + 1)]


def test_the_suites_own_ansible_core_is_a_host_line_of_the_matrix():
    assert [readme_tables._main_core(), 'host'] in readme_tables._core_versions()


def test_the_role_claims_exactly_the_debian_releases_molecule_runs():
    platforms = load_yaml('roles', 'host_firewall', 'meta', 'main.yml')['galaxy_info']['platforms']
    assert [platform['name'] for platform in platforms] == ['Debian']
    claimed = set(platforms[0]['versions'])
    tested = set(readme_tables._scenarios_per_release())
    assert claimed == tested == {'bullseye', 'bookworm', 'trixie'}
    # Each of them has a single scenario that make test runs.
    with open(os.path.join(ROOT, 'Makefile')) as handle:
        scenarios = re.search(r'MOLECULE_SCENARIOS := ((?:.*\\\n)*.*)', handle.read()).group(1).split()
    assert {'single-%s' % release for release in claimed} <= set(scenarios)


def test_the_readmes_name_the_same_oldest_release_and_hosts():
    oldest = '%d.%d' % _minor(readme_tables._core_versions()[0][0])
    for readme in ('README.md', os.path.join('roles', 'host_firewall', 'README.md')):
        with open(os.path.join(ROOT, readme)) as handle:
            text = ' '.join(handle.read().split())
        assert 'ansible-core %s or newer' % oldest in text, readme
        assert 'Debian 11, 12 or 13' in text, readme
