"""Print, for each BlueMind host of a demo inventory, which test ports each other host of it and each
host outside (bluemind_outsiders) reach, over IPv4 and IPv6.

usage: python3 demo/reachability_table.py [INVENTORY]   (default: demo/inventory.yml)
"""
import os
import subprocess
import sys

import jinja2
import yaml

DEMO = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(DEMO, '..', 'molecule', 'shared'))
import reachability as bed  # noqa: E402

SYMBOL = {'open': 'open', 'filtered': '-', 'refused': 'refused'}


def port_names():
    """{port: 'service (class)'}, BlueMind 4.x and 5.x, from the collection's data file."""
    with open(os.path.join(DEMO, '..', 'roles', 'host_firewall', 'vars', 'main.yml')) as handle:
        table = yaml.safe_load(handle)['bluemind_firewall_port_table']
    names = {22: ['ssh (admin)']}
    for entry in table:
        first, dummy, last = str(entry['port']).partition('-')
        for port in range(int(first), int(last or first) + 1):
            text = '%s (%s %s)' % (entry['service'], entry['class'], '/'.join('%d.x' % v for v in entry['versions']))
            names.setdefault(port, []).append(text)
    return dict((port, ', '.join(texts)) for port, texts in names.items())


def addresses(container):
    """(IPv4, IPv6) of a demo container on its network."""
    template = '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.GlobalIPv6Address}}{{end}}'
    return tuple(subprocess.run(['podman', 'inspect', '-f', template, container], capture_output=True, text=True,
                                check=True).stdout.split()[:2])


def containers(inventory, names):
    """{inventory name: container}, by the inventory's ansible_host (demo/testbed.sh's names)."""
    template = jinja2.Template(inventory['all']['vars']['ansible_host'])
    return dict((name, template.render(inventory_hostname=name)) for name in names)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(DEMO, 'inventory.yml')
    with open(path) as handle:
        inventory = yaml.safe_load(handle)
    hosts = inventory['bluemind']['hosts']
    outsiders = list((inventory.get('bluemind_outsiders') or {}).get('hosts') or {})
    container = containers(inventory, list(hosts) + outsiders)
    names = port_names()
    for node in hosts:
        ipv4, ipv6 = addresses(container[node])
        columns = []
        for source in [other for other in hosts if other != node] + outsiders:
            columns += [('from %s v4' % source, source, ipv4), ('v6', source, ipv6)]
        results = [bed.probe(container[source], address) for dummy, source, address in columns]
        print('\n%s  %s' % (node, hosts[node] or {}))
        print('%-6s %-56s' % ('port', 'service') + ''.join('%-18s' % title for title, dummy, dummy in columns))
        for port in bed.LISTENED:
            print('%-6d %-56s' % (port, names.get(port, 'not a BlueMind port'))
                  + ''.join('%-18s' % SYMBOL.get(result[port], result[port]) for result in results))


if __name__ == '__main__':
    main()
