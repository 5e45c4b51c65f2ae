#!/usr/bin/env bash
# Records the ufw_limited fixture: a Debian 12 container converged by the site playbook with the ufw
# backend, submission limited and SSH limited by default (ufw's own limit: the admin sources are
# everyone), HTTPS private to two networks, read back as verify reads it, with the record it wrote.
# usage: tests/harness/record_ufw_limited_fixture.sh   (from make bootstrap's environment)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/tests/unit/fixtures/live/ufw_limited"
testbed="$root/tests/harness/testbed.sh"
nodes=(rec1:11:bookworm rec2:12:bookworm)
inventory=$(mktemp --suffix=.yml)
trap 'rm -f "$inventory"; "$testbed" down bmfw-rec 45 "${nodes[@]}"' EXIT
cat > "$inventory" <<'INVENTORY'
bluemind:
  hosts:
    rec1:
      bluemind_firewall_optional_services: [submission]
      bluemind_firewall_exposure:
        submission: limited
        https: {mode: private, sources: [198.51.100.0/24, "2001:db8:42::/48"]}
    rec2:
  vars:
    bluemind_firewall_backend: ufw
    ansible_connection: containers.podman.podman
    ansible_become: false
    ansible_python_interpreter: /usr/bin/python3
INVENTORY

"$testbed" up bmfw-rec 45 "${nodes[@]}"
ansible-playbook -i "$inventory" bluemind.firewall.site > /tmp/record-ufw-limited.log || { tail -30 /tmp/record-ufw-limited.log; exit 1; }
# shellcheck source=tests/harness/fixture_listings.sh
. "$root/tests/harness/fixture_listings.sh"
record_listings rec1 "$out"
podman exec rec1 cat /etc/bluemind-firewall/policy.json | python3 -m json.tool --indent 1 > "$out/policy.json"
echo "recorded ufw_limited"
