"""The README's example inventories rehearsed as a user would (make rehearsals): the one server with the
playbook bluemind.firewall.rehearse, twice, a service switched on between the two; the cluster with the
molecule scenario a user copies into their repository. What the probes saw, and what the rehearsal
printed, are checked against what the data file says each port is."""

import glob
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The README's inventories as a user copies them (tests/harness/readme_inventory.py).
sys.path.insert(0, os.path.join(ROOT, 'tests', 'harness'))
import readme_inventory  # noqa: E402
with open(os.path.join(ROOT, 'roles', 'host_firewall', 'vars', 'main.yml')) as _handle:
    PORT_TABLE = yaml.safe_load(_handle)['bluemind_firewall_port_table']
SSH = 22
# The rehearsals' containers and network: a name of the tests' own, so that a user's rehearsal (default
# bmfw-rehearsal) may run beside make test and neither removes the other's containers.
NAME = 'bmfw-test-rehearsal'
MESSAGE = re.compile(r'^\s+(?:"msg": )?"((?:[^"\\]|\\.)*)",?$')


def messages(output):
    return [json.loads('"%s"' % match.group(1)) for match in map(MESSAGE.match, output.splitlines()) if match]


def ports(text):
    first, dummy, last = str(text).partition('-')
    return range(int(first), int(last or first) + 1)


def expected_open(host_vars, source, source_address):
    """The ports of a host that a source reaches, by the data file and the host's variables alone."""
    version = host_vars.get('bluemind_firewall_bluemind_version', 4)
    enabled = host_vars.get('bluemind_firewall_optional_services', [])
    public = host_vars.get('bluemind_firewall_public', True)
    peer = source not in ('outsider', 'admin')
    found = set()
    for entry in PORT_TABLE:
        if version not in entry['versions']:
            continue
        served = entry['class'] == 'required' or (entry['class'] == 'optional' and entry['service'] in enabled)
        if (served and (public or peer)) or (entry['class'] == 'internal' and peer):
            found.update(ports(entry['port']))
    admins = [ipaddress.ip_network(net) for net in host_vars.get('bluemind_firewall_admin_sources', ['0.0.0.0/0', '::/0'])]
    if any(ipaddress.ip_address(source_address) in net for net in admins):
        found.add(SSH)
    return found


def check_matrix(matrix, inventory, printed):
    """Every probe saw what the data file says, and the printed table says the same."""
    hosts = inventory['bluemind']['hosts']
    group_vars = inventory['bluemind'].get('vars') or {}
    cells = {}
    for target, host in matrix['hosts'].items():
        host_vars = dict(group_vars, **(hosts[target] or {}))
        assert set(host['seen']) == (set(hosts) - {target}) | {'outsider', 'admin'}
        for source, seen in host['seen'].items():
            for family in ('ipv4', 'ipv6'):
                wanted = expected_open(host_vars, source, matrix['sources'][source][family])
                opened = set(int(port) for port, verdict in seen[family].items() if verdict == 'open')
                assert opened == wanted, (target, source, family, sorted(opened ^ wanted))
                assert set(verdict for port, verdict in seen[family].items() if int(port) not in wanted) <= {'filtered'}
                for port in seen[family]:
                    cells.setdefault((target, int(port), source), {})[family] = int(port) in wanted
    # The printed table: one block per host, a row per port (or run of ports), a column per source.
    target = None
    checked = set()
    for line in printed:
        head = re.match(r'^(\S+) \(', line)
        if head:
            target = head.group(1)
            continue
        row = line.split()
        if not row or row[0] == 'port' or not re.match(r'^\d', row[0]):
            continue
        sources = sorted(set(matrix['hosts'][target]['seen']) - {'outsider', 'admin'}) + ['outsider', 'admin']
        for port in ports(row[0]):
            for source, cell in zip(sources, row[2:]):
                both = cells[target, port, source]
                want = {(True, True): 'open', (False, False): '-', (True, False): 'v4-only',
                        (False, True): 'v6-only'}[both['ipv4'], both['ipv6']]
                assert cell == want, (target, port, source, cell, want)
                checked.add((target, port, source))
    assert checked == set(cells), 'the printed table leaves out %s' % sorted(set(cells) - checked)[:5]


@pytest.fixture()
def state(tmp_path, monkeypatch):
    monkeypatch.setenv('BLUEMIND_FIREWALL_REHEARSAL_DIR', str(tmp_path / 'state'))
    monkeypatch.setenv('ANSIBLE_NOCOLOR', '1')
    monkeypatch.setenv('ANSIBLE_FORCE_COLOR', '0')
    return tmp_path


def rehearse(inventory_path, *arguments):
    run = subprocess.run(['ansible-playbook', '-i', inventory_path, 'bluemind.firewall.rehearse',
                          '-e', 'bluemind_firewall_rehearsal_name=%s' % NAME] + list(arguments),
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return run.stdout


def printed_report(output):
    """What the rehearsal printed after the verify playbook's report: the matrix and the changes."""
    said = messages(output)
    last = max(index for index, line in enumerate(said) if line.startswith('(the whole output: ')
               and line.endswith('verify.log)'))
    return said[last + 1:]


def the_matrix(state_dir):
    found = glob.glob(os.path.join(state_dir, 'matrix-*.json'))
    assert len(found) == 1, found
    with open(found[0]) as handle:
        return json.load(handle)


def test_one_server_then_a_service_switched_on(state):
    inventory = readme_inventory.inventory(readme_inventory.ONE_SERVER)
    path = state / 'inventory.yml'
    path.write_text(yaml.safe_dump(inventory))
    output = rehearse(str(path), '-e', 'bluemind_firewall_rehearsal_keep=true')
    report = printed_report(output)
    assert 'no previous rehearsal of this inventory to compare with' in report
    # Kept: the containers reach each other, and nothing of this machine, even at its own addresses.
    mine = [address.split('/')[0] for address in subprocess.run(
        ['ip', '-o', 'address', 'show', 'scope', 'global'], capture_output=True, text=True, check=True).stdout.split()
        if re.match(r'^[0-9a-f:.]+/\d+$', address)]
    assert mine
    probe = ['podman', 'exec', NAME + '-outsider', 'python3', '/usr/local/bin/bmfw-rehearsal-probe', '1']
    for address in mine:
        probe += [address, '22,80,443']
    seen = json.loads(subprocess.run(probe, capture_output=True, text=True, check=True).stdout)
    assert set(seen.values()) == {'filtered'}, seen
    # A reply could also have left by this machine's own network: what shows that nothing arrived here is
    # that no neighbour answered for these addresses on the bridge.
    neighbours = subprocess.run(['podman', 'exec', NAME + '-outsider', 'ip', 'neigh', 'show'],
                                capture_output=True, text=True, check=True).stdout.splitlines()
    answered = [line for line in neighbours if line.split()[0] in mine and 'lladdr' in line]
    assert [line for line in neighbours if line.split()[0] in mine] and not answered, neighbours
    matrix = the_matrix(str(state / 'state'))
    # The admin host sits inside the admin sources, IPv4 and IPv6; the outsider outside them.
    assert matrix['sources']['admin']['ipv4'].startswith('192.0.2.')
    assert matrix['sources']['admin']['ipv6'].startswith('2001:db8:ad:')
    check_matrix(matrix, inventory, report)

    host = inventory['bluemind']['hosts']['mail.example.com']
    off = [entry for entry in PORT_TABLE if entry['class'] == 'optional' and entry['service'] not in
           host['bluemind_firewall_optional_services'] and host.get('bluemind_firewall_bluemind_version', 4) in entry['versions']]
    service = off[-1]
    host['bluemind_firewall_optional_services'].append(service['service'])
    path.write_text(yaml.safe_dump(inventory))
    output = rehearse(str(path))
    report = printed_report(output)
    changes = report[report.index(next(line for line in report if line.startswith('since the previous rehearsal'))) + 1:]
    assert changes == ['  mail.example.com tcp/%s (%s): opened to admin, outsider (IPv4 and IPv6)' % (
        service['port'], service['service'])]
    check_matrix(the_matrix(str(state / 'state')), inventory, report)
    # Nothing is left behind but the matrix.
    assert os.listdir(str(state / 'state')) == [os.path.basename(glob.glob(str(state / 'state' / 'matrix-*.json'))[0])]
    leftovers = subprocess.run(['podman', 'ps', '-a', '--format', '{{.Names}}'], capture_output=True, text=True,
                               check=True).stdout.split()
    assert not [name for name in leftovers if name.startswith(NAME)]


def test_the_cluster_with_the_molecule_scenario_a_user_copies(state):
    inventory = readme_inventory.inventory(readme_inventory.CLUSTER)
    project = state / 'project'
    shutil.copytree(os.path.join(ROOT, 'roles', 'rehearsal', 'files', 'molecule'), str(project / 'molecule'))
    scenario = project / 'molecule' / 'rehearsal' / 'molecule.yml'
    config = yaml.safe_load(scenario.read_text())
    config['ansible']['executor']['args']['ansible_playbook'].append('--extra-vars=bluemind_firewall_rehearsal_name=%s' % NAME)
    scenario.write_text(yaml.safe_dump(config))
    (project / 'inventory.yml').write_text(yaml.safe_dump(inventory))
    run = subprocess.run(['molecule', 'test', '-s', 'rehearsal'], cwd=str(project), capture_output=True, text=True,
                         check=False)
    output = re.sub(r'\x1b\[[0-9;]*m', '', run.stdout + run.stderr)
    assert run.returncode == 0, output[-4000:]
    with open(str(state / 'molecule.log'), 'w') as handle:
        handle.write(output)
    for step in ('check', 'converge', 'idempotence', 'verify'):
        assert re.search(r'rehearsal\W+%s\W+Executed: Successful' % step, output), step
    matrix = the_matrix(str(state / 'state'))
    # The README's cluster gives no IPv6 admin source: the admin host reaches SSH over IPv4 only.
    ssh = matrix['hosts']['edge.example.com']['seen']['admin']
    assert (ssh['ipv4'][str(SSH)], ssh['ipv6'][str(SSH)]) == ('open', 'filtered')
    check_matrix(matrix, inventory, printed_report(output))


def test_bad_input_fails_the_rehearsal_saying_why_and_leaves_nothing(state):
    path = state / 'inventory.yml'
    path.write_text(yaml.safe_dump({'bluemind': {'hosts': {
        'mx1': {'ansible_host': '10.5.0.1', 'bluemind_firewall_optional_services': ['imapz']},
        'mx2': {'ansible_host': '10.5.0.2'}}}}))
    run = subprocess.run(['ansible-playbook', '-i', str(path), 'bluemind.firewall.rehearse',
                          '-e', 'bluemind_firewall_rehearsal_name=%s' % NAME], capture_output=True, text=True, check=False)
    assert run.returncode != 0
    assert re.search(r"The site playbook failed against the containers .*'imapz' is not an optional service "
                     r"\(did you mean imap\?\)", run.stdout)
    assert not glob.glob(str(state / 'state' / '*'))
    leftovers = subprocess.run(['podman', 'ps', '-a', '--format', '{{.Names}}'], capture_output=True, text=True,
                               check=True).stdout.split()
    assert not [name for name in leftovers if name.startswith(NAME)]
