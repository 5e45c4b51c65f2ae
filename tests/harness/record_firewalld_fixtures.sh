#!/usr/bin/env bash
# Records the firewalld fixtures: a stock firewalld (Debian's package, its default zone public) in a
# test container at rec1's addresses, brought to the firewalld backend's policy of its own policy.json
# (tests/harness/firewalld_fixture.py) by the firewall-cmd commands the firewalld_policy module runs,
# read back as verify reads it; then with an admin's own `firewall-cmd --add-port=12345/tcp`. Debian 12
# (firewalld 1.3, nft 1.0.6) and Debian 11 (firewalld 0.9.3, nft 0.9.8). firewall-cmd's own listings of
# the policy and an ipset are kept for the parser's tests.
# usage: sudo env ANSIBLE_COLLECTIONS_PATH=... tests/harness/record_firewalld_fixtures.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
live="$root/tests/unit/fixtures/live"
export CONTAINERS_CONF="$root/tests/harness/containers.conf"
# shellcheck source=tests/harness/fixture_listings.sh
. "$root/tests/harness/fixture_listings.sh"
work=$(mktemp -d)
network=bmfw-recfw
container=bmfw-recfw-rec1
cleanup() {
  podman rm -f "$container" >/dev/null 2>&1 || true
  podman network rm -f "$network" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
python3 "$root/tests/harness/firewalld_fixture.py" "$work/policy.json" "$work/apply.sh"
podman network rm -f "$network" >/dev/null 2>&1 || true
podman network create --ipv6 --subnet 10.89.45.0/24 --subnet fd42:89:45::/64 "$network" >/dev/null

record_suite() {
  local suite=$1 name=$2
  "$root/tests/harness/build-firewalld-image.sh" "$suite"
  podman rm -f "$container" >/dev/null 2>&1 || true
  podman run -d --name "$container" --systemd=always --cap-add NET_ADMIN --network "$network" \
    --ip 10.89.45.11 --ip6 fd42:89:45::11 -v "$work:/rec:ro" "localhost/bluemind-fw-test:$suite-firewalld" /sbin/init >/dev/null
  for _ in $(seq 60); do
    podman exec "$container" firewall-cmd --state >/dev/null 2>&1 && break
    sleep 1
  done
  podman exec "$container" firewall-cmd --state
  podman exec "$container" sh -c 'sh /rec/apply.sh >/dev/null'
  keep "$name"
  podman exec "$container" firewall-cmd --info-policy=bluemind-firewall > "$live/$name/firewall-cmd-info-policy.txt"
  podman exec "$container" firewall-cmd --info-ipset=bluemind-fw-cluster-v6 > "$live/$name/firewall-cmd-info-ipset.txt"
  podman exec "$container" firewall-cmd --add-port=12345/tcp >/dev/null
  keep "${name}_handmade"
  echo 'firewall-cmd --add-port=12345/tcp' > "$live/${name}_handmade/commands.txt"
}

keep() {
  local dir=$live/$1
  rm -rf "$dir"
  record_listings "$container" "$dir"
  podman exec "$container" nft -a list ruleset > "$dir/nft-rules.txt"
  cp "$work/policy.json" "$dir/policy.json"
  cp "$work/apply.sh" "$dir/commands.txt"
  echo "recorded $1"
}

record_suite bookworm firewalld_backend
record_suite bullseye firewalld_backend_nft098
