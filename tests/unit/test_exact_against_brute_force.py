"""Property test: the box evaluator against a plain packet-by-packet interpreter.

Random small rulesets are built from the constructs the readers know, as a description that a
20-line interpreter below runs packet by packet, and as the `nft -j` document the reader parses.
Over a small universe (every port, source port, source address and interface of it, so every
boundary a rule draws and both its neighbours are in it), the verdict of the box holding each
packet must equal the interpreter's.
"""

import ipaddress
import itertools
import random

import pytest

from ansible_collections.bluemind.firewall.plugins.module_utils import nft_json
from ansible_collections.bluemind.firewall.plugins.module_utils import packet_space as space
from ansible_collections.bluemind.firewall.plugins.module_utils.ruleset import Evaluator, Host

PROTOS = ('tcp', 'udp')
PORTS = range(1, 13)
SOURCE_PORTS = range(1, 5)
SOURCES = [str(ipaddress.ip_address('10.0.0.0') + offset) for offset in range(16)]
INTERFACES = ('eth0', 'eth1', 'wg0', 'zz9')
PATTERNS = ('eth0', 'eth1', 'eth*', 'wg*')
DESTINATION = '10.9.9.9'
EXAMPLES = 150


def _interface_matches(pattern, name):
    return name.startswith(pattern[:-1]) if pattern.endswith('*') else name == pattern


# Conditions: (kind, argument, negated). The interpreter and the JSON writer each know them all.
def holds(condition, packet):
    kind, argument, negated = condition
    proto, dport, sport, saddr, iif = packet
    if kind == 'proto':
        found = proto == argument
    elif kind in ('dport', 'sport'):
        l4, low, high = argument
        if proto != l4:
            return False          # the header is not there: false whatever the operator
        value = dport if kind == 'dport' else sport
        found = low <= value <= high
    elif kind == 'saddr':
        found = ipaddress.ip_address(saddr) in ipaddress.ip_network(argument)
    else:
        found = _interface_matches(argument, iif)
    return found != negated


def interpret(chains, packet):
    """'open' or 'closed' for one packet: the reference semantics, written plainly."""
    def run(name, depth=0):
        for conditions, verdict, target in chains[name]['rules']:
            if not all(holds(condition, packet) for condition in conditions):
                continue
            if verdict in ('accept', 'drop'):
                return verdict
            if verdict == 'return':
                return None
            if verdict in ('jump', 'goto'):
                result = run(target, depth + 1)
                if result is not None or verdict == 'goto':
                    return result
        return None
    for name in sorted((n for n in chains if chains[n]['hook']), key=lambda n: chains[n]['priority']):
        result = run(name) or chains[name]['policy']
        if result == 'drop':
            return 'closed'
    return 'open'


def random_condition(rng):
    kind = rng.choice(('proto', 'dport', 'dport', 'sport', 'saddr', 'saddr', 'iif'))
    negated = kind not in ('proto',) and rng.random() < 0.25
    if kind == 'proto':
        return (kind, rng.choice(PROTOS), False)
    if kind in ('dport', 'sport'):
        universe = PORTS if kind == 'dport' else SOURCE_PORTS
        low = rng.choice(universe)
        high = min(max(universe), low + rng.choice((0, 0, 1, 3)))
        return (kind, (rng.choice(PROTOS), low, high), negated)
    if kind == 'saddr':
        length = rng.choice((29, 30, 31, 32))
        network = ipaddress.ip_network('%s/%d' % (rng.choice(SOURCES), length), strict=False)
        return (kind, str(network), negated)
    return (kind, rng.choice(PATTERNS), negated)


def random_ruleset(rng):
    chains = {}
    for index in range(rng.randint(1, 2)):
        chains['base%d' % index] = {'hook': 'input', 'priority': index * 10,
                                    'policy': rng.choice(('accept', 'drop')), 'rules': []}
    helpers = ['helper%d' % index for index in range(rng.randint(0, 2))]
    for name in helpers:
        chains[name] = {'hook': None, 'priority': 0, 'policy': None, 'rules': []}
    for name, chain in chains.items():
        for dummy in range(rng.randint(0, 5)):
            conditions = [random_condition(rng) for dummy in range(rng.randint(0, 2))]
            choices = ['accept', 'drop']
            if chain['hook'] is None:
                choices.append('return')
            callable_helpers = [h for h in helpers if h > name or chain['hook']]
            if callable_helpers:
                choices.extend(['jump', 'goto'])
            verdict = rng.choice(choices)
            target = rng.choice(callable_helpers) if verdict in ('jump', 'goto') else None
            chain['rules'].append((conditions, verdict, target))
    return chains


def _json_match(condition):
    kind, argument, negated = condition
    op = '!=' if negated else '=='
    if kind == 'proto':
        return [{'match': {'op': op, 'left': {'meta': {'key': 'l4proto'}}, 'right': argument}}]
    if kind in ('dport', 'sport'):
        proto, low, high = argument
        right = low if low == high else {'range': [low, high]}
        return [{'match': {'op': op, 'left': {'payload': {'protocol': proto, 'field': kind}}, 'right': right}}]
    if kind == 'saddr':
        network = ipaddress.ip_network(argument)
        right = str(network.network_address) if network.prefixlen == 32 else {
            'prefix': {'addr': str(network.network_address), 'len': network.prefixlen}}
        return [{'match': {'op': op, 'left': {'payload': {'protocol': 'ip', 'field': 'saddr'}}, 'right': right}}]
    return [{'match': {'op': op, 'left': {'meta': {'key': 'iifname'}}, 'right': argument}}]


def to_json(chains):
    items = [{'table': {'family': 'inet', 'name': 't'}}]
    for name, chain in chains.items():
        body = {'family': 'inet', 'table': 't', 'name': name}
        if chain['hook']:
            body.update({'type': 'filter', 'hook': 'input', 'prio': chain['priority'], 'policy': chain['policy']})
        items.append({'chain': body})
    handle = 0
    for name, chain in chains.items():
        for conditions, verdict, target in chain['rules']:
            handle += 1
            expr = [part for condition in conditions for part in _json_match(condition)]
            expr.append({verdict: {'target': target}} if target else {verdict: None})
            items.append({'rule': {'family': 'inet', 'table': 't', 'chain': name, 'handle': handle, 'expr': expr}})
    return {'nftables': items}


def box_verdicts(chains):
    evaluator = Evaluator(nft_json.read_tables(to_json(chains)), 'ipv4', Host([DESTINATION], None, INTERFACES))
    first, last = int(ipaddress.ip_address(SOURCES[0])), int(ipaddress.ip_address(SOURCES[-1]))
    box = [None] * len(space.DIMENSIONS)
    box[space.FAMILY] = space.single(4)
    box[space.PROTO] = space.interval_set([(6, 6), (17, 17)])
    box[space.DPORT] = ((min(PORTS), max(PORTS)),)
    box[space.SPORT] = ((min(SOURCE_PORTS), max(SOURCE_PORTS)),)
    box[space.SADDR] = ((first, last),)
    box[space.DADDR] = space.single(int(ipaddress.ip_address(DESTINATION)))
    box[space.IIF] = ((0, len(evaluator.interfaces) - 1),)
    box[space.TTL] = box[space.TYPE] = box[space.CODE] = ((0, 255),)
    box[space.CT] = space.single(space.CT_NEW)
    return evaluator, evaluator.evaluate([tuple(box)])


def verdict_of(evaluator, finals, packet):
    proto, dport, sport, saddr, iif = packet
    point = {space.PROTO: space.PROTOCOL_NUMBERS[proto], space.DPORT: dport, space.SPORT: sport,
             space.SADDR: int(ipaddress.ip_address(saddr)), space.IIF: evaluator.interface_index(iif)}
    found = [item.verdict for item in finals
             if all(space.contains(item.box[dim], value) for dim, value in point.items())]
    assert len(found) == 1, (packet, found)
    return found[0]


@pytest.mark.parametrize('seed', range(EXAMPLES))
def test_boxes_give_every_packet_the_verdict_of_the_plain_interpreter(seed):
    rng = random.Random(seed)
    chains = random_ruleset(rng)
    evaluator, finals = box_verdicts(chains)
    for packet in itertools.product(PROTOS, PORTS, SOURCE_PORTS, SOURCES, INTERFACES):
        assert verdict_of(evaluator, finals, packet) == interpret(chains, packet), (chains, packet)
