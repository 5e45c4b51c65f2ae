#!/usr/bin/env bash
# Records live rulesets as test fixtures for the verification engine: a Debian 12 container
# converged with the site playbook (cluster: itself and a second node), then one scenario at a time
# on top of the collection's table, each read back with nft -j, iptables-save and ip6tables-save.
# usage: tests/harness/record_fixtures.sh   (from make bootstrap's environment; writes tests/unit/fixtures/live/)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/tests/unit/fixtures/live"
testbed="$root/tests/harness/testbed.sh"
nodes=(rec1:11:bookworm rec2:12:bookworm)
inventory=$(mktemp --suffix=.yml)
trap 'rm -f "$inventory"; "$testbed" down bmfw-rec 45 "${nodes[@]}"' EXIT
cat > "$inventory" <<'INVENTORY'
bluemind:
  hosts:
    rec1: {bluemind_firewall_optional_services: [imaps], bluemind_firewall_cluster_sources: [192.0.2.0/24]}
    rec2:
  vars:
    ansible_connection: containers.podman.podman
    ansible_become: false
    ansible_python_interpreter: /usr/bin/python3
INVENTORY

"$testbed" up bmfw-rec 45 "${nodes[@]}"
ansible-playbook -i "$inventory" bluemind.firewall.site >/dev/null

on() { podman exec rec1 sh -c "$1"; }
podman cp "$root/molecule/shared/files/foreign_rules.sh" rec1:/usr/local/bin/foreign_rules
reset() { on 'nft flush ruleset && nft -f /etc/bluemind-firewall/bluemind_firewall.nft'; }
record() {
  local name=$1
  mkdir -p "$out/$name"
  on 'nft -j list ruleset' | python3 -m json.tool --indent 1 > "$out/$name/nft.json"
  on 'iptables-save' | { grep -v '^#' || true; } > "$out/$name/iptables-save.txt"
  on 'ip6tables-save' | { grep -v '^#' || true; } > "$out/$name/ip6tables-save.txt"
  echo "recorded $name"
}

# The record the role wrote: the expected policy of rec1 in every state below.
podman exec rec1 cat /etc/bluemind-firewall/policy.json | python3 -m json.tool --indent 1 > "$out/policy.json"

reset && record collection_only

reset
on "nft -f - <<'RULES'
table inet foreign_mail_block {
	chain input {
		type filter hook input priority -5; policy accept;
		tcp dport 25 drop
	}
}
RULES"
record foreign_table_drops_smtp

on 'nft flush ruleset'
record flushed

# The commands Docker runs for its bridge and one published port (8080 -> 172.17.0.2:80).
reset
on 'foreign_rules docker'
record docker_like

# bm-iptables' shape (see foreign_rules.sh): INPUT jumps to bmhosts, which accepts loopback and each
# BlueMind host by IPv4 address and sends every NEW packet to bmports, which drops its port list.
reset
peers=$(podman exec rec1 python3 -c "import json; print(' '.join(a for v in json.load(open('/etc/bluemind-firewall/policy.json'))['peers'].values() for a in v if ':' not in a))")
on "foreign_rules bm-iptables $peers"
record bm_iptables_like

# ufw enabled beside the collection's table, with two allows.
reset
on 'ufw --force enable >/dev/null 2>&1 || true; ufw allow 25/tcp >/dev/null; ufw allow 8090,8091/tcp >/dev/null'
record ufw_enabled

# A construct an evaluator is not expected to know: a random verdict in another table.
reset
on "nft -f - <<'RULES'
table inet odd {
	chain input {
		type filter hook input priority 5; policy accept;
		tcp dport 443 numgen random mod 2 vmap { 0 : drop, 1 : accept }
	}
}
RULES"
record unknown_construct
