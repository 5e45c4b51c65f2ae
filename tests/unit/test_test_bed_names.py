"""Every container and network that the demo, a molecule scenario, the rehearsal, a test or a benchmark
creates has a name of its own: none starts, stops or removes what another created, so that the demo's
containers (or a user's rehearsal) may stay up while make test runs. The names are read from where each
tool sets them, not listed here."""

import glob
import os
import re

import pytest
import yaml

from conftest import ROOT

INVENTORY_HOST = '{{ inventory_hostname }}'
# A container named in a scenario's playbooks: podman exec|restart|cp|rm [options] NAME, or argv lists.
_PODMAN_WORD = re.compile(r'podman (?:exec|restart|cp|rm|stop|start)((?: -[a-z]+(?: [0-9]+)?)*)(?: "\$script")? (\{\{ [^}]* \}\}|\S+)')
_PODMAN_ARGV = re.compile(r'\[podman, exec, (?:-i, |-d, )?([^,\]]+),')


def _read(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return handle.read()


def _shell_default(text, variable):
    return re.search(r'%s=\$\{[A-Z_]+:-([^}]*)\}' % variable, text).group(1)


def scenarios():
    """{scenario: molecule.yml} for the podman scenarios."""
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, 'molecule', '*', 'molecule.yml'))):
        config = yaml.safe_load(_read(path))
        if config['driver']['name'] == 'podman':
            found[os.path.basename(os.path.dirname(path))] = config
    return found


def owners():
    """{owner: {'prefixes': [...], 'names': [...], 'networks': [...], 'subnets': [...]}}: what each tool names."""
    result = {}
    for scenario, config in scenarios().items():
        driver = config['driver']
        networks = [driver['test_network']] + driver.get('extra_networks', [])
        result['molecule/' + scenario] = {
            'prefixes': [driver['container_prefix']], 'names': [],
            'networks': [net['name'] for net in networks],
            'subnets': [subnet for net in networks for subnet in net['subnets']]}

    demo = _read('demo', 'testbed.sh')
    demo_prefix = _shell_default(demo, 'prefix')
    for inventory in ('inventory.yml', 'split.yml'):
        assert yaml.safe_load(_read('demo', inventory))['all']['vars']['ansible_host'] == demo_prefix + INVENTORY_HOST
    result['demo'] = {'prefixes': [demo_prefix], 'names': [], 'networks': [_shell_default(demo, 'network')],
                      'subnets': ['10.89.%s.0/24' % _shell_default(demo, 'subnet')]}
    oldest = _read('tests', 'harness', 'converge_oldest_core.sh')
    settings = dict(re.findall(r'(DEMO_[A-Z_]+)=(\S+)', oldest))
    result['converge-oldest'] = {'prefixes': [settings['DEMO_CONTAINER_PREFIX']], 'names': [],
                                 'networks': [settings['DEMO_NETWORK']],
                                 'subnets': ['10.89.%s.0/24' % settings['DEMO_SUBNET']]}

    rehearsal = yaml.safe_load(_read('roles', 'rehearsal', 'defaults', 'main.yml'))['bluemind_firewall_rehearsal_name']
    result['a user\'s rehearsal'] = {'prefixes': [rehearsal + '-'], 'names': [], 'networks': [rehearsal], 'subnets': []}
    tested = re.search(r"^NAME = '([^']+)'", _read('tests', 'rehearsal', 'test_readme_rehearsals.py'), re.M).group(1)
    result['tests/rehearsal'] = {'prefixes': [tested + '-'], 'names': [], 'networks': [tested], 'subnets': []}

    bench = _read('benchmarks', 'bench_bed.py')
    network, subnet = re.search(r"NETWORK = \['([^']+)', '(\d+)'\]", bench).groups()
    result['benchmarks'] = {'prefixes': [], 'networks': [network], 'subnets': ['10.89.%s.0/24' % subnet],
                            'names': [node.split(':')[0] for node in re.findall(r"'([a-z0-9-]+:\d+:\w+)'", bench)]}
    record = _read('tests', 'harness', 'record_fixtures.sh')
    network, subnet = re.search(r'"\$testbed" up (\S+) (\d+)', record).groups()
    result['fixture recording'] = {'prefixes': [], 'networks': [network], 'subnets': ['10.89.%s.0/24' % subnet],
                                   'names': re.search(r'nodes=\(([^)]*)\)', record).group(1).split()}
    result['fixture recording']['names'] = [node.split(':')[0] for node in result['fixture recording']['names']]
    core_matrix = _read('tests', 'harness', 'core_matrix.sh')
    result['core matrix'] = {'prefixes': [], 'networks': [], 'subnets': [],
                             'names': sorted(set(re.findall(r'podman run --name (\S+)', core_matrix)))}
    return result


def _collides(first, second):
    """Whether a container of one owner can bear the name of another's."""
    for prefix in first['prefixes']:
        if any(other.startswith(prefix) or prefix.startswith(other) for other in second['prefixes']):
            return True
        if any(name.startswith(prefix) for name in second['names']):
            return True
    return bool(set(first['names']) & set(second['names']))


def test_every_tool_names_its_containers_apart_from_every_other():
    found = owners()
    assert len(found) >= 12, sorted(found)
    clashes = [(a, b) for a in found for b in found if a < b and (_collides(found[a], found[b])
                                                                  or _collides(found[b], found[a]))]
    assert not clashes


def test_every_network_and_subnet_has_one_owner():
    seen_networks, seen_subnets = {}, {}
    for owner, names in owners().items():
        for network in names['networks']:
            assert seen_networks.setdefault(network, owner) == owner, network
        for subnet in names['subnets']:
            assert seen_subnets.setdefault(subnet, owner) == owner, subnet


def test_the_collision_check_sees_a_shared_name():
    # The check above would pass on an empty or blind reading: show it catches what issue 24 hit.
    assert _collides({'prefixes': [], 'names': ['core']}, {'prefixes': [], 'names': ['core']})
    assert _collides({'prefixes': ['bmfw-found-'], 'names': []}, {'prefixes': ['bmfw-found-back-'], 'names': []})
    assert not _collides({'prefixes': ['bmfw-demo-'], 'names': []}, {'prefixes': ['bmfw-cluster-'], 'names': []})


@pytest.mark.parametrize('scenario', sorted(scenarios()))
def test_a_scenario_reaches_its_containers_by_its_prefix(scenario):
    """The inventory's ansible_host and every container a scenario's playbooks name carry its prefix."""
    config = scenarios()[scenario]
    prefix = config['driver']['container_prefix']
    assert config['provisioner']['inventory']['group_vars']['all']['ansible_host'] == prefix + INVENTORY_HOST
    platforms = [platform['name'] for platform in config['platforms']]
    named = []
    for path in glob.glob(os.path.join(ROOT, 'molecule', scenario, '**', '*.yml'), recursive=True):
        text = _read(path)
        named += [match.group(2) for match in _PODMAN_WORD.finditer(text)]
        named += [match.group(1).strip() for match in _PODMAN_ARGV.finditer(text)]
    assert named or scenario in ('roles',), scenario
    for name in named:
        if name in ('{{ hostvars[item].ansible_host }}',) or name.startswith('-'):
            continue
        assert name.startswith(prefix), (scenario, name)
        bare = name[len(prefix):].split(':')[0]  # podman cp's NAME:PATH
        assert bare in platforms or bare in ('$node', '$host'), (scenario, name)
