"""The README's port and variable tables, generated from the role's data file and argument specs,
so that the documentation cannot drift from what the collection does.

python3 tests/harness/readme_tables.py --write README.md   rewrite the tables in place
python3 tests/harness/readme_tables.py --check README.md   exit 1 if a table is stale
"""
import argparse
import glob
import json
import os
import re
import sys

import yaml

import roles_matrix

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(ROOT, 'roles', 'host_firewall')
OPEN_TO = {
    'required': 'everyone (the cluster only if `bluemind_firewall_public: false`)',
    'optional': 'nobody, until named in `bluemind_firewall_optional_services`; then as required',
    'internal': 'the cluster hosts and `bluemind_firewall_cluster_sources`',
    'local': 'nobody over the network: the host reaches it over the loopback',
}
VERSIONS = (4, 5)
TLS = {'implicit': 'TLS only', 'starttls': 'STARTTLS', 'plain_or_starttls': 'clear, STARTTLS offered',
       'plain': 'clear', 'unspecified': '-'}


def _load(*parts):
    with open(os.path.join(ROLE, *parts)) as handle:
        return yaml.safe_load(handle)


def ports_table():
    """One row per port, BlueMind 4.x and 5.x side by side (bluemind_firewall_bluemind_version), then
    what each class is open to."""
    rows = []
    by_port = {}
    for entry in _load('vars', 'main.yml')['bluemind_firewall_port_table']:
        key = (str(entry['port']), entry['proto'])
        if key not in by_port:
            by_port[key] = {}
            rows.append(key)
        for version in entry['versions']:
            by_port[key][version] = entry
    lines = ['| Port | Proto | %s | TLS | What it is |' % ' | '.join('BlueMind %d.x' % v for v in VERSIONS),
             '| --- | --- | %s | --- | --- |' % ' | '.join('---' for v in VERSIONS)]
    for port, proto in rows:
        entries = by_port[port, proto]
        cells = ['`%s` %s' % (entries[v]['service'], entries[v]['class']) if v in entries else '-' for v in VERSIONS]
        described = []
        for version in VERSIONS:
            if version in entries and entries[version]['description'] not in [d for dummy, d in described]:
                described.append((version, entries[version]['description']))
        text = described[0][1] if len(described) == 1 else '; '.join('%d.x: %s' % item for item in described)
        tls = sorted(set(TLS[entry['tls']] for entry in entries.values()))
        lines.append('| %s | %s | %s | %s | %s |' % (port, proto, ' | '.join(cells), ', '.join(tls), text))
    lines.extend(['', '| Class | Open to |', '| --- | --- |'])
    lines.extend('| %s | %s |' % (name, text) for name, text in OPEN_TO.items())
    return lines


def _text(description):
    text = ' '.join(description) if isinstance(description, list) else description
    return re.sub(r'[OCVM]\(([^)]*)\)', r'`\1`', text).replace('|', '\\|')


def variables_table():
    options = _load('meta', 'argument_specs.yml')['argument_specs']['main']['options']
    lines = ['| Variable | Type | Default | Meaning |', '| --- | --- | --- | --- |']
    for name, spec in options.items():
        default = '`%s`' % json.dumps(spec['default']) if 'default' in spec else '(none)'
        kind = spec['type'] + ('[%s]' % spec['elements'] if 'elements' in spec else '')
        lines.append('| `%s` | %s | %s | %s |' % (name, kind, default, _text(spec['description'])))
    return lines


DEBIAN = {'bullseye': 'Debian 11 (bullseye)', 'bookworm': 'Debian 12 (bookworm)', 'trixie': 'Debian 13 (trixie)'}


def _core_versions():
    with open(os.path.join(ROOT, 'tests', 'ansible-core-versions.txt')) as handle:
        return [line.split()[:2] for line in handle if line.strip() and not line.startswith('#')]


def _main_core():
    with open(os.path.join(ROOT, 'tests', 'requirements.txt')) as handle:
        return re.search(r'^ansible-core==(\S+)', handle.read(), re.M).group(1)


def tested_table():
    """What make test runs, per ansible-core release and per host distribution."""
    versions = _core_versions()
    oldest, main = versions[0][0], _main_core()
    lines = ['| ansible-core | Controller Python | What make test runs on it |', '| --- | --- | --- |']
    for version, where in versions:
        runs = ['unit tests', 'ansible-test sanity']
        if version == main:
            runs += ['ansible-lint (production)', 'galaxy-importer', 'every molecule scenario', 'the demo']
        if version == oldest:
            runs.append("a converge, a second converge and the verify playbook on the demo's containers")
        python = '3.11 (the test machine, Debian 12)' if where == 'host' else '3.13 (a Debian 13 container)'
        lines.append('| %s | %s | %s |' % (version, python, ', '.join(runs)))
    lines += ['', '| Managed host | molecule scenarios with hosts on it (real traffic) |', '| --- | --- |']
    for release, scenarios in sorted(_scenarios_per_release().items(), key=lambda item: list(DEBIAN).index(item[0])):
        lines.append('| %s | %s |' % (DEBIAN[release], ', '.join('`%s`' % name for name in scenarios)))
    return lines


def _scenarios_per_release():
    """Debian release -> the molecule scenarios whose containers run it, read from their molecule.yml
    (and, for a scenario whose image comes from MOLECULE_DISTRO, from the Makefile's targets)."""
    with open(os.path.join(ROOT, 'Makefile')) as handle:
        makefile = handle.read()
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, 'molecule', '*', 'molecule.yml'))):
        scenario = os.path.basename(os.path.dirname(path))
        with open(path) as handle:
            text = handle.read()
        releases = set(re.findall(r'bluemind-fw-test:(\w+)', text))
        if '${MOLECULE_DISTRO' in text:
            releases |= set(re.findall(r'molecule-%s-(\w+)' % re.escape(scenario), makefile))
        for release in releases:
            found.setdefault(release, []).append(scenario)
    return found


def flows_table():
    """The flows between BlueMind's server roles (bluemind_firewall_flows: roles), then which roles
    serve the public services."""
    data = _load('vars', 'main.yml')
    lines = ['| From | To | Ports | BlueMind | Why | Evidence |', '| --- | --- | --- | --- | --- | --- |']
    for line in data['bluemind_firewall_flow_table']:
        lines.append('| %s | %s | %s | %s | %s | %s |' % (
            ', '.join('`%s`' % role for role in line['from']), ', '.join('`%s`' % role for role in line['to']),
            ', '.join(line['ports']), ', '.join('%d.x' % v for v in line['versions']), line['reason'],
            line['evidence'].replace('|', '\\|')))
    lines.extend(['', '| Public services | Served by | BlueMind |', '| --- | --- | --- |'])
    for line in data['bluemind_firewall_public_service_roles']:
        cells = (', '.join('`%s`' % name for name in line['services']), ', '.join('`%s`' % role for role in line['roles']),
                 ', '.join('%d.x' % v for v in line['versions']))
        lines.append('| %s | %s | %s |' % cells)
    return lines


TABLES = {'ports': ports_table, 'variables': variables_table, 'tested': tested_table, 'flows': flows_table,
          'role-reachability': roles_matrix.table}


def render(text):
    for name, build in TABLES.items():
        start, end = '<!-- generated:%s -->' % name, '<!-- end:%s -->' % name
        pattern = re.compile(re.escape(start) + '.*?' + re.escape(end), re.S)
        if not pattern.search(text):
            raise SystemExit('README has no %s ... %s markers' % (start, end))
        block = '\n'.join([start, ''] + build() + ['', end])
        text = pattern.sub(lambda match, block=block: block, text)
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument('--write', metavar='README')
    action.add_argument('--check', metavar='README')
    args = parser.parse_args()
    path = args.write or args.check
    with open(path) as handle:
        text = handle.read()
    updated = render(text)
    if args.check:
        if updated != text:
            sys.exit('%s: a generated table is stale; run make docs' % path)
        return
    with open(path, 'w') as handle:
        handle.write(updated)


if __name__ == '__main__':
    main()
