#!/usr/bin/env bash
# make demo: a local podman BlueMind cluster (mx1, mx2) and a host outside it (internet), the firewall applied with
# the collection's site playbook, then what each one can reach, port by port, IPv4 and IPv6; then, beside it, a
# BlueMind 5 split deployment (core behind edge) in roles mode, the same way.
set -euo pipefail
demo=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$demo")
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-1}

# The steps of one demo installation: listeners, converge, verify, then the probes' table.
show() {
  local inventory=$1
  echo "== Listeners on every BlueMind port, and a few others, in every container"
  ansible-playbook -i "$inventory" "$root/molecule/shared/prepare.yml" >/dev/null
  echo "== ansible-playbook -i ${inventory#"$root"/} bluemind.firewall.site"
  ansible-playbook -i "$inventory" bluemind.firewall.site
  echo "== ansible-playbook -i ${inventory#"$root"/} bluemind.firewall.verify"
  ansible-playbook -i "$inventory" bluemind.firewall.verify
  echo "== Who reaches what (real TCP connections; filtered = dropped by the firewall)"
  python3 "$demo/reachability_table.py" "$inventory"
}

echo "== Starting the containers: mx1 (Debian 12), mx2 (Debian 11), internet (a host outside the cluster)"
"$demo/testbed.sh" up cluster
show "$demo/inventory.yml"
echo
echo "== A BlueMind 5 split deployment beside it, least privilege between server roles (demo/split.yml):"
echo "== core (Debian 12, behind the edge) and edge (Debian 12, BlueMind's nginx and SMTP edge)"
"$demo/testbed.sh" up split
show "$demo/split.yml"
echo
echo "The containers keep running: try 'podman exec bmfw-demo-core nft list ruleset'. Remove them with: make demo-clean"
