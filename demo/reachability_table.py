"""Print, for each demo node, which test ports a peer and a host on the internet reach, over IPv4 and IPv6."""
import os
import sys

import yaml

DEMO = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(DEMO, '..', 'molecule', 'shared'))
import reachability as bed  # noqa: E402

ADDRESSES = {'mx1': ('10.89.43.11', 'fd42:89:43::11'), 'mx2': ('10.89.43.12', 'fd42:89:43::12')}
PEER_OF = {'mx1': 'mx2', 'mx2': 'mx1'}
SYMBOL = {'open': 'open', 'filtered': '-', 'refused': 'refused'}

with open(os.path.join(DEMO, '..', 'roles', 'host_firewall', 'vars', 'main.yml')) as handle:
    NAMES = {}
    for entry in yaml.safe_load(handle)['bluemind_firewall_port_table']:
        first, dummy, last = str(entry['port']).partition('-')
        for port in range(int(first), int(last or first) + 1):
            NAMES[port] = '%s (%s)' % (entry['service'], entry['class'])
NAMES[22] = 'ssh (admin)'

with open(os.path.join(DEMO, 'inventory.yml')) as handle:
    HOSTS = yaml.safe_load(handle)['bluemind']['hosts']

for node, (ipv4, ipv6) in ADDRESSES.items():
    columns = [('from %s v4' % PEER_OF[node], PEER_OF[node], ipv4), ('v6', PEER_OF[node], ipv6),
               ('from internet v4', 'internet', ipv4), ('v6', 'internet', ipv6)]
    results = [bed.probe(source, address) for _title, source, address in columns]
    print('\n%s  %s' % (node, HOSTS[node] or {}))
    print('%-6s %-36s' % ('port', 'service') + ''.join('%-18s' % title for title, _s, _a in columns))
    for port in bed.LISTENED:
        print('%-6d %-36s' % (port, NAMES.get(port, 'not a BlueMind port'))
              + ''.join('%-18s' % SYMBOL.get(result[port], result[port]) for result in results))
