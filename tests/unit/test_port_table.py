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


def of_version(port_table, version):
    return [entry for entry in port_table if version in entry['versions']]


def test_public_ports_match_the_seed_entry_by_entry(port_table):
    public = [e for e in of_version(port_table, 4) if e['class'] in ('required', 'optional')]
    assert len(public) == len(SEED_PUBLIC)
    by_port = {str(e['port']): e for e in public}
    for necessity, port, tls in SEED_PUBLIC:
        entry = by_port[port]
        assert entry['class'] == {'obligatoire': 'required', 'facultatif': 'optional'}[necessity], port
        assert entry['tls'] == TLS_WORDS[tls], port
        assert entry['service'] == PUBLIC_NAMES[port], port
        assert entry['description'].strip(), port


def test_internal_ports_match_the_seed_entry_by_entry(port_table):
    internal = [str(e['port']) for e in of_version(port_table, 4) if e['class'] == 'internal']
    assert internal == _seed_internal_ports()
    assert not [e for e in of_version(port_table, 4) if e['class'] == 'local']
    for entry in port_table:
        if entry['class'] in ('internal', 'local'):
            assert entry['tls'] == 'unspecified'
            assert entry['description'].strip()


def test_optional_service_names_are_unique(port_table):
    for version, count in ((4, 10), (5, 7)):
        names = [e['service'] for e in of_version(port_table, version) if e['class'] == 'optional']
        assert len(names) == len(set(names)) == count


# BlueMind 5.x, transcribed by hand from the notes established from BlueMind's source (F5 =
# mdhender/bluemindfork 5d708160d): the public ports and their services are 4.x's without XMPP; the
# internal ports (1110 and 1143 now served by bm-core; Keycloak, Chronograf and Kapacitor added,
# reached from other hosts); and the ports 5.x uses on the host itself only, never opened.
V5_PUBLIC = {'25': 'smtp', '443': 'https', '80': 'http', '110': 'pop3', '143': 'imap', '465': 'smtps',
             '587': 'submission', '993': 'imaps', '995': 'pop3s'}
V5_INTERNAL = ['1110', '1143', '2400', '5432', '5701-5715', '8021', '8022', '8086', '8090', '8099', '8888',
               '9092', '9200', '9300']
V5_LOCAL = ['2500', '5001', '8080', '8082', '8087']
# Removed from 5.x, with the F5 commit that removed them.
V5_REMOVED = {'5222': 'b6ba98c17', '5223': 'b6ba98c17', '5269': 'b6ba98c17', '5280': 'b6ba98c17',
              '5290': 'b6ba98c17', '24': '3bb5a0256', '2000': '3bb5a0256', '2501': '3bb5a0256',
              '2502': '3bb5a0256', '8079': 'cea7c9ea2', '8084': 'ebb2295c8', '8091': '7d3f84a54'}


def test_bluemind_5_ports_match_the_transcription_entry_by_entry(port_table):
    five = of_version(port_table, 5)
    assert {str(e['port']): e['service'] for e in five if e['class'] in ('required', 'optional')} == V5_PUBLIC
    assert sorted(str(e['port']) for e in five if e['class'] == 'internal') == sorted(V5_INTERNAL)
    assert sorted(str(e['port']) for e in five if e['class'] == 'local') == sorted(V5_LOCAL)
    four = {str(e['port']) for e in of_version(port_table, 4)}
    assert four - {str(e['port']) for e in five} == set(V5_REMOVED)


def test_every_fact_about_bluemind_5_has_its_evidence(port_table):
    for entry in port_table:
        if 5 in entry['versions']:
            assert entry['evidence'].startswith('F5 ') and len(entry['evidence']) > 20, entry
        elif str(entry['port']) in V5_REMOVED:
            assert entry['evidence'].endswith('F5 commit %s' % V5_REMOVED[str(entry['port'])]), entry
        else:
            # A port 5.x keeps under another class or service: its 5.x entry carries the evidence.
            assert 'evidence' not in entry, entry


def test_argument_specs_name_exactly_the_optional_services(port_table):
    # Named in the description, not as choices: Ansible's validation of choices prints the whole
    # specification after a typo; the role's own check prints one line with the closest name.
    specs = load_yaml('roles', 'host_firewall', 'meta', 'argument_specs.yml')
    option = specs['argument_specs']['main']['options']['bluemind_firewall_optional_services']
    assert 'choices' not in option
    named = re.findall(r'C\((\w+)\)', option['description'][0])
    assert named == [e['service'] for e in of_version(port_table, 4) if e['class'] == 'optional']


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
    assert set(options) - set(defaults) == {'bluemind_firewall_address', 'bluemind_firewall_verify',
                                            'bluemind_firewall_bluemind_version', 'bluemind_firewall_roles'} | playbook_only
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
