"""Real-traffic probes for the testinfra tests: who reaches which port, over IPv4 and IPv6."""

import json
import os
import subprocess
import sys

import yaml

SHARED = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(SHARED, 'vars', 'test_ports.yml')) as _handle:
    PORTS = yaml.safe_load(_handle)['test_ports']
LISTENED = sorted(set(PORTS['ssh'] + PORTS['required'] + list(PORTS['optional'].values())
                      + PORTS['internal'] + PORTS['unlisted']))
PROBE_TIMEOUT = 2.0
# The rehearsal role's probe: the test bed probes the way a user's rehearsal does.
PROBE = os.path.join(SHARED, '..', '..', 'roles', 'rehearsal', 'files', 'probe.py')


def _container_prefix():
    """The prefix of the containers of the scenario molecule is running (driver.container_prefix), or
    none outside molecule (the demo names its containers in full)."""
    scenario = os.environ.get('MOLECULE_SCENARIO_DIRECTORY')
    if not scenario:
        return ''
    with open(os.path.join(scenario, 'molecule.yml')) as handle:
        return yaml.safe_load(handle)['driver'].get('container_prefix', '')


CONTAINER_PREFIX = _container_prefix()


def container(name):
    """The podman container of a host of the scenario (or of the demo, named in full)."""
    return CONTAINER_PREFIX + name


def platforms(scenario_directory):
    """{name: {'ipv4': address, 'ipv6': address}} from the scenario's molecule.yml."""
    with open(os.path.join(scenario_directory, 'molecule.yml')) as handle:
        config = yaml.safe_load(handle)
    result = {}
    for platform in config['platforms']:
        ipv6 = [opt.split('=', 1)[1] for opt in platform.get('extra_opts', []) if opt.startswith('--ip6=')]
        result[platform['name']] = {'ipv4': platform['ip'], 'ipv6': ipv6[0]}
    return result


def podman(host, *command):
    return subprocess.run(['podman', 'exec', container(host)] + list(command),
                          capture_output=True, text=True, check=True).stdout


def probe(source, address, ports=None):
    """{port: 'open' | 'refused' | 'filtered'} as seen from the host source (None: this machine)."""
    ports = ports or LISTENED
    arguments = [str(PROBE_TIMEOUT), address, ','.join(str(p) for p in ports)]
    if source is None:
        output = subprocess.run([sys.executable, PROBE] + arguments,
                                capture_output=True, text=True, check=True).stdout
    else:
        output = podman(source, 'python3', '/usr/local/bin/bm-test-probe', *arguments)
    return {int(key.rsplit(' ', 1)[1]): verdict for key, verdict in json.loads(output).items()}


def expected(open_ports):
    """Every listened port: open if listed, else filtered (the collection drops, it never rejects)."""
    return {port: 'open' if port in open_ports else 'filtered' for port in LISTENED}


def differences(observed, wanted):
    return {port: 'saw %s, wanted %s' % (observed.get(port), state)
            for port, state in wanted.items() if observed.get(port) != state}
