"""The data file against BlueMind's port table ("Les ports"), transcribed here by hand, independently."""

import os
import re
import subprocess
import sys

from conftest import ROLE, ROOT, load_yaml

# The seed's public table, as printed: (Nécessité, Numéro de port, TLS/SSL/PLAIN).
SEED_PUBLIC = [
    ('obligatoire', '25', 'PLAINTLS'),
    ('facultatif', '80', 'PLAIN'),
    ('facultatif', '110', 'PLAIN/TLS'),
    ('facultatif', '143', 'PLAIN/TLS'),
    ('obligatoire', '443', 'SSL'),
    ('facultatif', '465', 'SSL'),
    ('facultatif', '587', 'TLS'),
    ('facultatif', '993', 'SSL'),
    ('facultatif', '995', 'SSL'),
    ('facultatif', '5222', 'PLAIN/TLS'),
    ('facultatif', '5223', 'SSL'),
    ('facultatif', '5269', 'TLS'),
]
# The seed's internal table, as printed: (Numéro de port, Service).
SEED_INTERNAL = [
    ('24', 'cyrus LMTP'), ('1110', 'cyrus pop'), ('1143', 'cyrus imap'), ('2000', 'cyrus sieve'),
    ('2400', 'BM LMTP'), ('2500', 'BM milter'), ('2501', 'replication IMAP core'),
    ('2502', 'replication IMAP cyrus'), ('5001', 'BM mapi'), ('5280, 5290', 'BM XMPP'),
    ('5432', 'postgresql'), ('5701:5715', 'hazelcast'), ('8021, 8022', 'BM node'), ('8079', 'BM HPS'),
    ('8080', 'BM webserver'), ('8082', 'BM push'), ('8084', 'BM locator'), ('8086', 'BM influxdb'),
    ('8087', 'BM Tika'), ('8090', 'BM core'), ('8091', 'BM SDS'), ('9200, 9300', 'BM Elasticsearch'),
]
# The service names the collection's users write (issue: the collection), per public port.
PUBLIC_NAMES = {
    '25': 'smtp', '443': 'https', '80': 'http', '110': 'pop3', '143': 'imap', '465': 'smtps',
    '587': 'submission', '993': 'imaps', '995': 'pop3s', '5222': 'xmpp_client',
    '5223': 'xmpp_client_tls', '5269': 'xmpp_server',
}
# The seed's legend: SSL is TLS only, TLS is opportunistic TLS.
TLS_WORDS = {'PLAINTLS': 'plain_or_starttls', 'PLAIN/TLS': 'plain_or_starttls', 'PLAIN': 'plain',
             'SSL': 'implicit', 'TLS': 'starttls'}


def _seed_internal_ports():
    ports = []
    for cell, _service in SEED_INTERNAL:
        for item in cell.split(','):
            ports.append(item.strip().replace(':', '-'))
    return ports


def test_every_entry_is_tcp(port_table):
    assert {entry['proto'] for entry in port_table} == {'tcp'}


def test_public_ports_match_the_seed_entry_by_entry(port_table):
    public = [e for e in port_table if e['class'] in ('required', 'optional')]
    assert len(public) == len(SEED_PUBLIC)
    by_port = {str(e['port']): e for e in public}
    for necessity, port, tls in SEED_PUBLIC:
        entry = by_port[port]
        assert entry['class'] == {'obligatoire': 'required', 'facultatif': 'optional'}[necessity], port
        assert entry['tls'] == TLS_WORDS[tls], port
        assert entry['service'] == PUBLIC_NAMES[port], port
        assert entry['description'].strip(), port


def test_internal_ports_match_the_seed_entry_by_entry(port_table):
    internal = [str(e['port']) for e in port_table if e['class'] == 'internal']
    assert internal == _seed_internal_ports()
    for entry in port_table:
        if entry['class'] == 'internal':
            assert entry['tls'] == 'unspecified'
            assert entry['description'].strip()


def test_optional_service_names_are_unique(port_table):
    names = [e['service'] for e in port_table if e['class'] == 'optional']
    assert len(names) == len(set(names)) == 10


def test_argument_specs_name_exactly_the_optional_services(port_table):
    # Named in the description, not as choices: Ansible's validation of choices prints the whole
    # specification after a typo; the role's own check prints one line with the closest name.
    specs = load_yaml('roles', 'host_firewall', 'meta', 'argument_specs.yml')
    option = specs['argument_specs']['main']['options']['bluemind_firewall_optional_services']
    assert 'choices' not in option
    named = re.findall(r'C\((\w+)\)', option['description'][0])
    assert named == [e['service'] for e in port_table if e['class'] == 'optional']


def test_every_default_is_declared_in_argument_specs():
    defaults = load_yaml('roles', 'host_firewall', 'defaults', 'main.yml')
    options = load_yaml('roles', 'host_firewall', 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
    assert set(defaults) <= set(options)
    # Per host without a default; a former name whose absence tells the role it is not set; and the
    # verify playbook's own variables, whose defaults the playbook states (test_settings_names.py).
    playbook_only = {name for name, spec in options.items()
                     if ' '.join(spec['description']).startswith(('Read by the verify playbook only',
                                                                  'Read by the site and verify playbooks only'))}
    assert playbook_only == {'bluemind_firewall_probe_timeout', 'bluemind_firewall_outsiders_group',
                             'bluemind_firewall_play_group'}
    assert set(options) - set(defaults) == {'bluemind_firewall_address', 'bluemind_firewall_verify'} | playbook_only
    for name, value in defaults.items():
        if 'default' in options[name]:
            assert options[name]['default'] == value, name


def test_no_other_file_hard_codes_a_bluemind_port(port_table):
    numbers = set()
    for entry in port_table:
        first, dummy, last = str(entry['port']).partition('-')
        numbers.update({first, last or first})
    pattern = re.compile(r'(?<![\w.:/-])(%s)(?![\w.:/-])' % '|'.join(sorted(numbers, key=len, reverse=True)))
    data_file = os.path.join(ROLE, 'vars', 'main.yml')
    offenders = []
    protocol_numbers = os.path.join(ROOT, 'plugins', 'module_utils', 'packet_space.py')
    for folder in ('plugins', 'roles', 'playbooks', 'meta'):
        for base, _dirs, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                path = os.path.join(base, name)
                # packet_space holds IANA's protocol and ICMP type numbers, which are not ports.
                if path in (data_file, protocol_numbers) or name.endswith('.pyc'):
                    continue
                with open(path) as handle:
                    for number, line in enumerate(handle, 1):
                        if pattern.search(line):
                            offenders.append('%s:%d: %s' % (os.path.relpath(path, ROOT), number, line.strip()))
    assert offenders == []


def test_readme_tables_are_the_generated_ones():
    check = subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'harness', 'readme_tables.py'),
                            '--check', os.path.join(ROOT, 'README.md')], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
