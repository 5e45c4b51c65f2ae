"""What each host of the roles scenario (molecule/roles) lets in from each other host and from an
outsider, as the collection's policy model computes it from the scenario's inventory variables.

The README's reachability table is generated from it; the scenario's traffic test writes the same
expectations out by hand and probes them for real; a unit test holds the two together.
"""
import atexit
import os
import shutil
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIO = os.path.join(ROOT, 'molecule', 'roles', 'molecule.yml')
OUTSIDER = 'an outsider'


def _policy_module():
    """The policy model, importable as Ansible lays a collection out (the checkout may have any name)."""
    try:
        from ansible_collections.bluemind.firewall.plugins.module_utils import policy
        return policy
    except ImportError:
        pass
    tree = tempfile.mkdtemp(prefix='bluemind-firewall-docs-')
    atexit.register(shutil.rmtree, tree, True)
    os.makedirs(os.path.join(tree, 'ansible_collections', 'bluemind'))
    os.symlink(ROOT, os.path.join(tree, 'ansible_collections', 'bluemind', 'firewall'))
    sys.path.insert(0, tree)
    from ansible_collections.bluemind.firewall.plugins.module_utils import policy
    return policy


def scenario():
    """(group variables of bluemind, {host: its host variables and addresses}) of the roles scenario."""
    with open(SCENARIO) as handle:
        config = yaml.safe_load(handle)
    inventory = config['provisioner']['inventory']
    hosts = {}
    for platform in config['platforms']:
        if 'bluemind' not in platform.get('groups', []):
            continue
        ipv6 = [opt.split('=', 1)[1] for opt in platform.get('extra_opts', []) if opt.startswith('--ip6=')]
        hosts[platform['name']] = dict(inventory['host_vars'].get(platform['name']) or {},
                                       addresses=[platform['ip']] + ipv6)
    return inventory['group_vars']['bluemind'], hosts


def records():
    """{host: its policy record}, for the nftables backend."""
    policy = _policy_module()
    with open(os.path.join(ROOT, 'roles', 'host_firewall', 'vars', 'main.yml')) as handle:
        data = yaml.safe_load(handle)
    group_vars, hosts = scenario()
    cluster = policy.resolve_cluster('bluemind', dict((name, (spec['addresses'], None, None))
                                                      for name, spec in hosts.items()))
    cluster['roles'] = dict((name, spec['bluemind_firewall_roles']) for name, spec in hosts.items())
    flow_data = {'flow_table': data['bluemind_firewall_flow_table'],
                 'public_service_roles': data['bluemind_firewall_public_service_roles']}
    found = {}
    for name, spec in hosts.items():
        variables = dict(group_vars, **spec)
        settings = dict((key[len('bluemind_firewall_'):], value) for key, value in variables.items()
                        if key.startswith('bluemind_firewall_') and key != 'bluemind_firewall_bm_iptables')
        settings.update(backend='nftables', host=name, ssh_connection=None)
        found[name] = policy.build_policy(data['bluemind_firewall_port_table'], settings, cluster, flow_data)
    return found


def _admits(policy, item, source):
    allow = item['allow']
    if allow in (policy.EVERYONE, policy.ADMIN):
        # The scenario leaves the admin sources at their default, every address.
        return True
    if allow == policy.CLUSTER:
        return source != OUTSIDER
    if str(allow).startswith(policy.CALLERS_PREFIX):
        return source in allow[len(policy.CALLERS_PREFIX):].split(',')
    return False


def matrix():
    """{target: {source: [port texts it reaches]}}, sources being the other hosts and the outsider."""
    policy = _policy_module()
    found = records()
    result = {}
    for target, record in sorted(found.items()):
        sources = [name for name in sorted(found) if name != target] + [OUTSIDER]
        result[target] = dict((source, [item['port'] for item in record['ports'] if _admits(policy, item, source)])
                              for source in sources)
    return result


def table():
    """The README's table: one row per host of the scenario, one column per source."""
    dummy, hosts = scenario()
    found = matrix()
    sources = sorted(found) + [OUTSIDER]
    lines = ['| To | Its roles | %s |' % ' | '.join('from %s' % source for source in sources),
             '| --- | --- | %s |' % ' | '.join('---' for source in sources)]
    for target in sorted(found):
        extra = hosts[target].get('bluemind_firewall_optional_services')
        roles = ', '.join('`%s`' % role for role in hosts[target]['bluemind_firewall_roles'])
        if extra:
            roles += '; optional services: %s' % ', '.join(extra)
        cells = [', '.join(found[target][source]) if source in found[target] else '(itself)' for source in sources]
        lines.append('| %s | %s | %s |' % (target, roles, ' | '.join(cells)))
    return lines
