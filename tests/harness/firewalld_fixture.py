"""Writes the policy record of the firewalld fixtures (rec1 with the firewalld backend) and the shell
script that brings a stock firewalld to it with the firewall-cmd commands the firewalld_policy module
runs: usage: firewalld_fixture.py POLICY_JSON SCRIPT. Run with ANSIBLE_COLLECTIONS_PATH reaching this
collection (make bootstrap's environment)."""

import os
import shlex
import sys

# The collection as Ansible finds it (ansible_collections/bluemind/firewall under the path).
sys.path[:0] = [path for path in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep) if path]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from exposure_fixture import write_policy  # noqa: E402
from ansible_collections.bluemind.firewall.plugins.module_utils import firewalld_live  # noqa: E402
from ansible_collections.bluemind.firewall.plugins.module_utils.firewalld_view import firewalld_view  # noqa: E402

SETTINGS = {
    'backend': 'firewalld',
    'optional_services': ['imaps'],
    'cluster_sources': ['192.0.2.0/24'],
    'admin_sources': ['10.89.45.1', '198.51.100.0/24', 'fd42:89:45::1'],
    'exposure': {'https': {'mode': 'private', 'sources': ['198.51.100.0/24', '2001:db8:42::/48']}},
    'extra_rules': [{'protocol': 'vrrp', 'destination': '224.0.0.18', 'comment': 'keepalived'},
                    {'protocol': 'udp', 'ports': [500, 4500], 'sources': ['cluster', '198.51.100.0/24'],
                     'comment': 'IPsec'}],
    'ssh_connection': '10.89.45.1 40000 10.89.45.11 22',
}


def main(policy_path, script_path):
    view = firewalld_view(write_policy(SETTINGS, policy_path))
    # A stock firewalld: no policy and no ipset of the collection, in either configuration.
    commands = firewalld_live.skeleton_commands('firewall-cmd', view['policy'], None, view['ipsets'], {})
    commands.append(['firewall-cmd', '--reload'])
    changes = firewalld_live.content_changes(view['policy'], None, view['ipsets'], {})
    commands.extend(firewalld_live.change_commands('firewall-cmd', changes))
    commands.extend(firewalld_live.change_commands('firewall-cmd', changes, permanent=True))
    with open(script_path, 'w') as handle:
        handle.write('set -e\n' + ''.join(' '.join(shlex.quote(word) for word in words) + '\n' for words in commands))


if __name__ == '__main__':
    main(*sys.argv[1:3])
