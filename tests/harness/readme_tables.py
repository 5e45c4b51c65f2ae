"""The README's port and variable tables, generated from the role's data file and argument specs,
so that the documentation cannot drift from what the collection does.

python3 tests/harness/readme_tables.py --write README.md   rewrite the tables in place
python3 tests/harness/readme_tables.py --check README.md   exit 1 if a table is stale
"""
import argparse
import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(ROOT, 'roles', 'host_firewall')
OPEN_TO = {
    'required': 'everyone (the cluster only if `bluemind_firewall_public: false`)',
    'optional': 'nobody, until named in `bluemind_firewall_optional_services`; then as required',
    'internal': 'the cluster hosts and `bluemind_firewall_cluster_sources`',
}
TLS = {'implicit': 'TLS only', 'starttls': 'STARTTLS', 'plain_or_starttls': 'clear, STARTTLS offered',
       'plain': 'clear', 'unspecified': '-'}


def _load(*parts):
    with open(os.path.join(ROLE, *parts)) as handle:
        return yaml.safe_load(handle)


def ports_table():
    lines = ['| Port | Proto | Service name | Class | Open to | TLS | What it is |',
             '| --- | --- | --- | --- | --- | --- | --- |']
    for entry in _load('vars', 'main.yml')['bluemind_firewall_port_table']:
        lines.append('| %s | %s | `%s` | %s | %s | %s | %s |' % (
            entry['port'], entry['proto'], entry['service'], entry['class'], OPEN_TO[entry['class']],
            TLS[entry['tls']], entry['description']))
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


TABLES = {'ports': ports_table, 'variables': variables_table}


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
