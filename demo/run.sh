#!/usr/bin/env bash
# make demo: a local podman BlueMind cluster (mx1, mx2) and a host outside it (internet), the firewall applied with
# the collection's site playbook, then what each one can reach, port by port, IPv4 and IPv6.
set -euo pipefail
demo=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$demo")
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-1}

echo "== Starting the containers: mx1 (Debian 12), mx2 (Debian 11), internet (a host outside the cluster)"
"$demo/testbed.sh" up
echo "== Listeners on every BlueMind port, and a few others, in every container"
ansible-playbook -i "$demo/inventory.yml" "$root/molecule/shared/prepare.yml" >/dev/null
echo "== ansible-playbook -i demo/inventory.yml bluemind.firewall.site"
ansible-playbook -i "$demo/inventory.yml" bluemind.firewall.site
echo "== ansible-playbook -i demo/inventory.yml bluemind.firewall.verify"
ansible-playbook -i "$demo/inventory.yml" bluemind.firewall.verify
echo "== Who reaches what (real TCP connections; filtered = dropped by the firewall)"
python3 "$demo/reachability_table.py"
echo
echo "The containers keep running: try 'podman exec mx1 nft list ruleset'. Remove them with: demo/testbed.sh down"
