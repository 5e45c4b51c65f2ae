#!/usr/bin/env bash
# The demo's containers: usage: testbed.sh up | down
set -euo pipefail
network=bmfw-demo
nodes=(mx1:11:bookworm mx2:12:bullseye outsider:99:bookworm)

case "${1:-}" in
  up)
    podman network exists "$network" \
      || podman network create --ipv6 --subnet 10.89.43.0/24 --subnet fd42:89:43::/64 "$network" >/dev/null
    for node in "${nodes[@]}"; do
      IFS=: read -r name suffix suite <<<"$node"
      podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
      podman run -d --name "$name" --hostname "$name" --systemd=always --cap-add NET_ADMIN \
        --network "$network" --ip "10.89.43.$suffix" --ip6 "fd42:89:43::$suffix" \
        "localhost/bluemind-fw-test:$suite" /sbin/init >/dev/null
    done
    for node in "${nodes[@]}"; do
      podman exec "${node%%:*}" systemctl is-system-running --wait >/dev/null || true
    done
    ;;
  down)
    for node in "${nodes[@]}"; do podman rm -f -t 0 "${node%%:*}" >/dev/null 2>&1 || true; done
    podman network rm -f "$network" >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
