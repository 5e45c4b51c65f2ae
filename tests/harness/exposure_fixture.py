"""Writes the policy record and the nftables ruleset of the limited_bans fixture (rec1 of
record_fixtures.sh, with imaps and SSH limited): usage: exposure_fixture.py POLICY_JSON RULESET_NFT.
Run with ANSIBLE_COLLECTIONS_PATH reaching this collection (make bootstrap's environment)."""

import json
import os
import sys

import jinja2
import yaml

# The collection as Ansible finds it (ansible_collections/bluemind/firewall under the path).
sys.path[:0] = [path for path in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep) if path]

from ansible_collections.bluemind.firewall.plugins.module_utils.nftables_view import nftables_view  # noqa: E402
from ansible_collections.bluemind.firewall.plugins.module_utils.policy import build_policy  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(ROOT, 'roles', 'host_firewall')
PEERS = {'rec1': ['10.89.45.11', 'fd42:89:45::11'], 'rec2': ['10.89.45.12', 'fd42:89:45::12']}
SETTINGS = {
    'optional_services': ['imaps'],
    'cluster_sources': ['192.0.2.0/24'],
    # SSH is limited by default (the admin sources are everyone); imaps by this setting, with a short ban.
    'exposure': {'imaps': {'mode': 'limited', 'ban_seconds': 120}},
    # Ansible's own connection, from the podman bridge's gateway: never limited.
    'ssh_connection': '10.89.45.1 40000 10.89.45.11 22',
}


def main(policy_path, ruleset_path):
    with open(os.path.join(ROLE, 'vars', 'main.yml')) as handle:
        port_table = yaml.safe_load(handle)['bluemind_firewall_port_table']
    policy = build_policy(port_table, SETTINGS, {'group': 'bluemind', 'hosts': PEERS})
    with open(policy_path, 'w') as handle:
        json.dump(policy, handle, indent=1, sort_keys=True)
        handle.write('\n')
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLE, 'templates')),
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, keep_trailing_newline=True)
    with open(ruleset_path, 'w') as handle:
        handle.write(environment.get_template('bluemind_firewall.nft.j2').render(**nftables_view(policy)))


if __name__ == '__main__':
    main(*sys.argv[1:3])
