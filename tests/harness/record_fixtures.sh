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
    rec1:
      bluemind_firewall_optional_services: [imaps]
      bluemind_firewall_cluster_sources: [192.0.2.0/24]
      bluemind_firewall_extra_rules:
        - {protocol: vrrp, destination: 224.0.0.18, comment: keepalived}
        - {protocol: esp, sources: [198.51.100.0/24], interface: eth0, comment: IPsec from a partner}
        - {protocol: udp, ports: [500, 4500], sources: [cluster, 198.51.100.0/24], comment: IKE}
    rec2:
  vars:
    ansible_connection: containers.podman.podman
    ansible_become: false
    ansible_python_interpreter: /usr/bin/python3
INVENTORY

# Forwarding on, as on a Docker host: the DNAT of docker_like really forwards.
TESTBED_PODMAN_OPTS="--sysctl=net.ipv4.ip_forward=1 --sysctl=net.ipv6.conf.all.forwarding=1" \
  "$testbed" up bmfw-rec 45 "${nodes[@]}"
ansible-playbook -i "$inventory" bluemind.firewall.site >/dev/null

on() { podman exec rec1 sh -c "$1"; }
podman cp "$root/molecule/shared/files/foreign_rules.sh" rec1:/usr/local/bin/foreign_rules
reset() { on 'nft flush ruleset && nft -f /etc/bluemind-firewall/bluemind_firewall.nft'; }
# shellcheck source=tests/harness/fixture_listings.sh
. "$root/tests/harness/fixture_listings.sh"
record() {
  record_listings rec1 "$out/$1"
  echo "recorded $1"
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
# ufw would still count itself enabled once its chains are flushed below, and refuse rule changes.
on 'ufw --force reset >/dev/null'

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

# Hand-made edits inside the collection's own table that a sampled check could not see (issue 10).
for change in 'one_port:tcp dport 12345 accept' \
              'foreign_range:ip saddr 198.18.0.0/15 accept' \
              'wildcard_interface:iifname "eth*" tcp dport 3306 accept' \
              'source_port:udp sport 67 udp dport 68 accept'; do
  reset
  on "nft insert rule inet bluemind_firewall input ${change#*:}"
  record "${change%%:*}"
done

# A second address on the host, and a rule that opens a port on that address only.
reset
on 'ip address add 10.89.45.200/24 dev eth0 && ip address add fd42:89:45::200/64 dev eth0 nodad'
on 'nft insert rule inet bluemind_firewall input ip daddr 10.89.45.200 tcp dport 8443 accept'
record second_address
on 'ip address del 10.89.45.200/24 dev eth0 && ip address del fd42:89:45::200/64 dev eth0'

# A chain bound to one device: the netdev ingress hook of a second interface drops SMTP there only.
reset
on 'ip link add eth1 type veth peer name eth1-peer && ip address add 10.99.0.1/24 dev eth1 && ip link set eth1 up'
on "nft -f - <<'RULES'
table netdev edge {
	chain ingress {
		type filter hook ingress device \"eth1\" priority 0; policy accept;
		tcp dport 25 drop
	}
}
RULES"
record device_chain
on 'nft delete table netdev edge; ip link del eth1'

# A local redirect: 2525 is handed to the SMTP port, which is open to everyone.
reset
on "nft -f - <<'RULES'
table ip redirect_smtp {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 2525 redirect to :25
	}
}
RULES"
record local_redirect

# An ipset match: a block list of one network and the peer's address.
reset
on 'command -v ipset >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ipset >/dev/null'
on 'ipset create blocklist hash:net && ipset add blocklist 198.51.100.0/24 && ipset add blocklist 10.89.45.12'
on 'iptables -I INPUT -m set --match-set blocklist src -j DROP'
record ipset_match
on 'iptables -D INPUT -m set --match-set blocklist src -j DROP && ipset destroy blocklist'

# The ufw backend, converged by the site playbook (its own record), then an admin's hand-made rules.
on 'nft flush ruleset'
ansible-playbook -i "$inventory" bluemind.firewall.site \
  -e bluemind_firewall_backend=ufw -e bluemind_firewall_backend_switch=true > /tmp/record-ufw.log || { tail -30 /tmp/record-ufw.log; exit 1; }
podman exec rec1 cat /etc/bluemind-firewall/policy.json | python3 -m json.tool --indent 1 > "$out/policy_ufw.json"
record ufw_backend
on 'ufw allow 12345/tcp >/dev/null && ufw insert 1 allow from 198.18.0.0/15 >/dev/null'
record ufw_backend_handmade

# Last, as the legacy tables cannot be unloaded from the namespace and ufw then fails: a legacy
# iptables table beside the ufw backend's rules; its drop of 443 closes the port too.
on 'iptables-legacy -A INPUT -p tcp --dport 443 -j DROP && ip6tables-legacy -A INPUT -p tcp --dport 443 -j DROP'
record legacy_table

