"""The README's quick-start inventories, read from the README itself, so that the tests run what a new
user copies and not a copy of it.

python3 tests/harness/readme_inventory.py TITLE OUT.yml [CONNECTIONS.yml PREFIX]
  writes the YAML block that follows the README line TITLE to OUT.yml, unchanged; with CONNECTIONS.yml,
  also a second inventory that only says how each of its hosts is reached: the container PREFIX + host,
  over podman, as root (a later inventory source wins for the variables both set).
"""
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ONE_SERVER = 'One server (`inventory.yml`):'
CLUSTER = 'A cluster: an edge server that faces the Internet and a back end that only the cluster reaches.'


def block(title):
    """The text of the YAML block that follows a title line of the README."""
    with open(os.path.join(ROOT, 'README.md')) as handle:
        text = handle.read()
    after = text[text.index('\n%s\n' % title):]
    return re.search(r'```yaml\n(.*?)```', after, re.S).group(1)


def inventory(title):
    return yaml.safe_load(block(title))


def hosts(found):
    return [name for group in found.values() for name in (group.get('hosts') or {})]


def connections(found, prefix):
    return {'all': {'hosts': dict((name, {'ansible_host': prefix + name, 'ansible_connection': 'containers.podman.podman',
                                          'ansible_python_interpreter': '/usr/bin/python3', 'ansible_become': False})
                                  for name in hosts(found))}}


def main(argv):
    text = block(argv[1])
    with open(argv[2], 'w') as handle:
        handle.write(text)
    if len(argv) > 3:
        with open(argv[3], 'w') as handle:
            yaml.safe_dump(connections(yaml.safe_load(text), argv[4]), handle)


if __name__ == '__main__':
    main(sys.argv)
