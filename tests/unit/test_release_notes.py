"""version_added says the release that really brought a plugin or an option, as the changelog records it."""

import glob
import os
import re

import yaml

from conftest import ROOT, load_yaml

RELEASES = load_yaml('changelogs', 'changelog.yaml')['releases']


def _next_minor(version):
    major, minor, dummy = (int(part) for part in version.split('.'))
    return '%d.%d.0' % (major, minor + 1)


# An option added since the last release names the coming one, as its changelog fragment announces it.
UNRELEASED = set([_next_minor(load_yaml('galaxy.yml')['version'])]) if [
    name for name in os.listdir(os.path.join(ROOT, 'changelogs', 'fragments')) if name.endswith('.yml')] else set()


def _documents():
    """(plugin type, name, documentation) of every module and filter."""
    for path in sorted(glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py'))):
        with open(path) as handle:
            text = re.search(r"DOCUMENTATION = r'''(.*?)'''", handle.read(), re.S).group(1)
        yield 'module', os.path.basename(path)[:-3], yaml.safe_load(text)
    for path in sorted(glob.glob(os.path.join(ROOT, 'plugins', 'filter', '*.yml'))):
        yield 'filter', os.path.basename(path)[:-4], load_yaml('plugins', 'filter', os.path.basename(path))['DOCUMENTATION']


def _option_versions(options):
    for name, spec in (options or {}).items():
        if 'version_added' in spec:
            yield name, str(spec['version_added'])
        yield from _option_versions(spec.get('suboptions'))


def test_every_plugin_is_announced_in_the_release_its_version_added_names():
    for kind, name, doc in _documents():
        if str(doc['version_added']) in UNRELEASED:
            # antsibull-changelog announces it when that release is made, from its version_added.
            continue
        release = RELEASES[str(doc['version_added'])]
        if kind == 'module':
            announced = [entry['name'] for entry in release.get('modules', [])]
        else:
            announced = [entry['name'] for entry in release.get('plugins', {}).get(kind, [])]
        assert name in announced, (kind, name, doc['version_added'])


def test_every_option_version_added_is_a_recorded_release_after_its_plugin():
    for kind, name, doc in _documents():
        for option, version in _option_versions(doc.get('options')):
            assert version in RELEASES or version in UNRELEASED, (name, option, version)
            assert tuple(map(int, version.split('.'))) > tuple(map(int, str(doc['version_added']).split('.'))), \
                (name, option, version)
    options = load_yaml('roles', 'host_firewall', 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
    for option, version in _option_versions(options):
        assert version in RELEASES or version in UNRELEASED, (option, version)


def test_the_collection_version_is_the_newest_release():
    newest = max(RELEASES, key=lambda version: tuple(map(int, version.split('.'))))
    assert load_yaml('galaxy.yml')['version'] == newest


def test_the_role_is_announced_in_the_release_its_version_added_names():
    main = load_yaml('roles', 'host_firewall', 'meta', 'argument_specs.yml')['argument_specs']['main']
    release = RELEASES[str(main['version_added'])]
    assert [role['name'] for role in release['objects']['role']] == ['host_firewall']


def test_every_role_names_a_release_or_the_coming_one():
    for path in sorted(glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'argument_specs.yml'))):
        with open(path) as handle:
            version = str(yaml.safe_load(handle)['argument_specs']['main']['version_added'])
        assert version in RELEASES or version in UNRELEASED, (path, version)
