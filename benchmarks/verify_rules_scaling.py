"""How the exact check's time grows with hand-made rules over several independent fields (issue 26).

On the recorded collection_only host (tests/unit/fixtures/live), a foreign table `inet bench` whose
input chain (priority -10, before the collection's) holds N rules over two fields (source /24 and
TCP port) or three (UDP source port, UDP destination port and TTL), at 100, 200, 400 and 800 rules;
then 1,000 to 8,000 single-address bans (`ip saddr X drop`, one rule each, as fail2ban writes them).
Prints, per case, the seconds (median of the rounds), the boxes evaluated and the findings. Aims
(issue 26): 400 multi-field rules under 2 s, time(400) / time(100) at most 6; (issue 27) the bans
are one `banned` finding per chain or set and family, counting the addresses, else it exits non-zero.

usage: python3 benchmarks/verify_rules_scaling.py [ROUNDS]     (default 3; the median is printed)
"""
import ipaddress
import json
import os
import statistics
import sys
import time

import collection_path  # noqa: E402  (this directory is the script's own)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
collection_path.importable()

import live_fixtures  # noqa: E402
from ansible_collections.bluemind.firewall.plugins.module_utils import verification  # noqa: E402

STATE = 'collection_only'


def match(protocol, field, right, op='=='):
    return {'match': {'op': op, 'left': {'payload': {'protocol': protocol, 'field': field}}, 'right': right}}


def two_fields(index):
    network = ipaddress.ip_network('198.18.0.0/15').network_address + (index << 8)
    return [match('ip', 'saddr', {'prefix': {'addr': str(network), 'len': 24}}),
            match('tcp', 'dport', 10000 + index * 7), {'accept': None} if index % 3 else {'drop': None}]


def three_fields(index):
    return [match('udp', 'sport', 1024 + index * 3), match('udp', 'dport', {'range': [20000 + index, 20010 + index]}),
            match('ip', 'ttl', 1 + index % 200), {'drop': None} if index % 2 else {'accept': None}]


def ban(index):
    address = ipaddress.ip_address('100.64.0.0') + index * 3
    return [match('ip', 'saddr', str(address)), {'drop': None}]


def listings_with(rules):
    listing = json.loads(live_fixtures.read(STATE, 'nft.json'))
    items = listing['nftables']
    items.append({'table': {'family': 'inet', 'name': 'bench'}})
    items.append({'chain': {'family': 'inet', 'table': 'bench', 'name': 'input', 'type': 'filter', 'hook': 'input',
                            'prio': -10, 'policy': 'accept'}})
    for handle, expr in enumerate(rules, 1):
        items.append({'rule': {'family': 'inet', 'table': 'bench', 'chain': 'input', 'handle': handle, 'expr': expr}})
    found = live_fixtures.listings(STATE)
    found[0] = json.dumps(listing)
    return found


def timed(rules, rounds):
    listings = listings_with(rules)
    expected = verification.ExpectedPolicy(live_fixtures.policy(STATE))
    host = live_fixtures.host(STATE)
    times = []
    for dummy in range(rounds):
        started = time.time()
        cells, differences = verification.compare(verification.live_tables(*listings), expected, host)
        times.append(time.time() - started)
    return statistics.median(times), cells, differences


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print('%-34s %9s %7s %9s' % ('case', 'seconds', 'boxes', 'findings'))
    results = {}
    for label, make in (('two fields', two_fields), ('three fields', three_fields)):
        for count in (100, 200, 400, 800):
            seconds, cells, findings = timed([make(index) for index in range(count)], rounds)
            results[label, count] = seconds
            print('%-34s %9.3f %7d %9d' % ('%s, %d rules' % (label, count), seconds, cells, len(findings)))
        print('%-34s %9.1f' % ('%s: time(400) / time(100)' % label, results[label, 400] / results[label, 100]))
    grouped = True
    for count in (1000, 2000, 4000, 8000):
        seconds, cells, findings = timed([ban(index) for index in range(count)], 1)
        # IPv4 bans in one chain: one banned finding (chain input, ipv4) counting every address, nothing blocked.
        banned = [item for item in findings if item['kind'] == verification.BANNED]
        print('%-34s %9.3f %7d %9d   banned: %d finding(s), %s addresses' % (
            '%d single-address bans' % count, seconds, cells, len(findings), len(banned),
            '+'.join(str(item['banned']) for item in banned)))
        grouped = grouped and len(banned) == 1 and banned[0]['banned'] == count and len(findings) == 1
    if not grouped:
        raise SystemExit('bans were not grouped into one banned finding per chain and family')


if __name__ == '__main__':
    main()
