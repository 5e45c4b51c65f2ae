"""The flow table of the data file against the flow matrix of the notes established from BlueMind's
source and documentation (sections 2, 3 and 8), transcribed here by hand, independently, one line
per flow: (from roles, to roles, ports, versions)."""

from conftest import load_yaml

DATA = load_yaml('roles', 'host_firewall', 'vars', 'main.yml')
ROLES = ('bm/core', 'bm/nginx', 'bm/nginx-edge', 'mail/smtp', 'mail/smtp-edge', 'mail/imap', 'bm/pgsql',
         'bm/pgsql-data', 'bm/es', 'bm/es-data', 'metrics/influxdb', 'bm/keycloak', 'directory/bm-master')

# "core -> every BM server : 8022 (8021 during enrollment only)"; "core -> bm/pgsql, bm/pgsql-data :
# 5432"; "core -> bm/es : 9200"; "bm/es <-> bm/es, bm/es-data : 9300"; "every BM server (telegraf) ->
# metrics/influxdb : 8086"; "core -> metrics/influxdb : 8086, 8888, (9092 probe)" (8086 already
# from every server); "bm/nginx(core) -> metrics/influxdb : 8888"; "metrics/influxdb (Kapacitor) ->
# core : 8090"; "bm/nginx-edge -> bm/nginx host : 443, 8090"; "bm/nginx-edge -> core : 1143, 1110";
# "every bm-postfix host (core, edge, mail/imap shard) -> core : 8090, 5701-5715"; "mail/smtp-edge
# -> mail/smtp : 25"; "mail/smtp -> mail/smtp-edge : 25"; "mail/smtp -> core : 2400"; "core ->
# mail/smtp : 587"; "mail/imap shard -> mail/smtp : 25"; "core <-> bm/keycloak : core->8099;
# kc->core 8090" (8080 is local in 5.x); "core -> directory/bm-master : 389". BlueMind 4 deltas
# (section 3): "mail/smtp -> mail/imap : 2400"; "nginx / nginx-edge -> mail/imap : 1143, 1110";
# "core -> mail/imap : 1143, 2000, 2502, 8091"; "mail/imap -> core : 2501"; the rest common.
NOTES = [
    (['bm/core'], ['any'], ['8022'], [4, 5]),
    (['bm/core'], ['any'], ['8021'], [4, 5]),
    (['bm/core'], ['bm/pgsql', 'bm/pgsql-data'], ['5432'], [4, 5]),
    (['bm/core'], ['bm/es'], ['9200'], [4, 5]),
    (['bm/es', 'bm/es-data'], ['bm/es', 'bm/es-data'], ['9300'], [4, 5]),
    (['any'], ['metrics/influxdb'], ['8086'], [4, 5]),
    (['bm/core'], ['metrics/influxdb'], ['8888', '9092'], [5]),
    (['bm/nginx'], ['metrics/influxdb'], ['8888'], [5]),
    (['metrics/influxdb'], ['bm/core'], ['8090'], [5]),
    (['bm/nginx-edge'], ['bm/nginx'], ['443', '8090'], [4, 5]),
    (['bm/nginx-edge'], ['bm/core'], ['1110', '1143'], [5]),
    (['bm/nginx', 'bm/nginx-edge'], ['mail/imap'], ['1110', '1143'], [4]),
    (['mail/smtp', 'mail/smtp-edge', 'mail/imap'], ['bm/core'], ['8090', '5701-5715'], [4, 5]),
    (['mail/smtp-edge'], ['mail/smtp'], ['25'], [4, 5]),
    (['mail/smtp'], ['mail/smtp-edge'], ['25'], [4, 5]),
    (['mail/smtp'], ['bm/core'], ['2400'], [5]),
    (['mail/smtp'], ['mail/imap'], ['2400'], [4]),
    (['bm/core'], ['mail/smtp'], ['587'], [4, 5]),
    (['mail/imap'], ['mail/smtp'], ['25'], [4, 5]),
    (['bm/core'], ['bm/keycloak'], ['8099'], [5]),
    (['bm/keycloak'], ['bm/core'], ['8090'], [5]),
    (['bm/core'], ['mail/imap'], ['1143', '2000', '2502', '8091'], [4]),
    (['mail/imap'], ['bm/core'], ['2501'], [4]),
    (['bm/core'], ['directory/bm-master'], ['389'], [4, 5]),
]
# The notes' sources: every evidence cell names one of them.
SOURCES = ('F5 ', 'F4 ', 'D4 ')


def test_the_flow_table_is_the_notes_matrix_line_by_line():
    table = DATA['bluemind_firewall_flow_table']
    assert [(line['from'], line['to'], line['ports'], line['versions']) for line in table] == NOTES


def test_every_flow_says_why_and_where_that_is_established():
    for line in DATA['bluemind_firewall_flow_table'] + DATA['bluemind_firewall_public_service_roles']:
        assert line['evidence'].startswith(SOURCES) and len(line['evidence']) > 15, line
    for line in DATA['bluemind_firewall_flow_table']:
        assert len(line['reason']) > 15, line


def test_flows_name_known_roles_and_ports_of_their_versions():
    ports = {}
    for entry in DATA['bluemind_firewall_port_table']:
        for version in entry['versions']:
            ports.setdefault(version, set()).add(str(entry['port']))
    unlisted = set()
    for line in DATA['bluemind_firewall_flow_table']:
        assert set(line['from'] + line['to']) <= set(ROLES + ('any',)), line
        for version in line['versions']:
            unlisted.update(set(line['ports']) - ports[version])
    # The optional directory role's LDAP export port: not one of BlueMind's own ports.
    assert unlisted == {'389'}


def test_public_services_are_served_by_known_roles_once_per_version():
    served = {}
    for line in DATA['bluemind_firewall_public_service_roles']:
        assert set(line['roles']) <= set(ROLES), line
        for version in line['versions']:
            for service in line['services']:
                assert (service, version) not in served, (service, version)
                served[service, version] = line['roles']
    for entry in DATA['bluemind_firewall_port_table']:
        if entry['class'] in ('required', 'optional'):
            for version in entry['versions']:
                assert (entry['service'], version) in served, (entry['service'], version)
