#!/usr/bin/env bash
# Podman containers for the demo and the benchmarks, on a dual-stack network of their own, with
# fixed addresses: 10.89.N.SUFFIX and fd42:89:N::SUFFIX.
#   testbed.sh up NETWORK N NAME:SUFFIX:SUITE...     (SUITE: bookworm or bullseye)
#   testbed.sh down NETWORK N NAME:SUFFIX:SUITE...
# TESTBED_PODMAN_OPTS: more options for podman run (a --sysctl, say).
set -euo pipefail
action=${1:?up or down}
network=${2:?network name}
n=${3:?third byte of the IPv4 subnet}
shift 3
export CONTAINERS_CONF="${CONTAINERS_CONF:-$(cd "$(dirname "$0")" && pwd)/containers.conf}"

case "$action" in
  up)
    podman network exists "$network" \
      || podman network create --ipv6 --subnet "10.89.$n.0/24" --subnet "fd42:89:$n::/64" "$network" >/dev/null
    for node in "$@"; do
      IFS=: read -r name suffix suite <<<"$node"
      podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
      # shellcheck disable=SC2086  # TESTBED_PODMAN_OPTS: extra options, split on purpose
      podman run -d --name "$name" --hostname "$name" --systemd=always --cap-add NET_ADMIN ${TESTBED_PODMAN_OPTS:-} \
        --network "$network" --ip "10.89.$n.$suffix" --ip6 "fd42:89:$n::$suffix" \
        "localhost/bluemind-fw-test:$suite" /sbin/init >/dev/null
    done
    for node in "$@"; do
      # "degraded" (a unit failed inside) is still booted. Right after the start systemd may not take
      # connections yet ("Failed to connect to bus"): ask again until it answers.
      for _ in $(seq 60); do
        state=$(podman exec "${node%%:*}" systemctl is-system-running --wait 2>/dev/null || true)
        case "$state" in running|degraded) break ;; esac
        sleep 1
      done
    done
    ;;
  down)
    for node in "$@"; do podman rm -f -t 0 "${node%%:*}" >/dev/null 2>&1 || true; done
    podman network rm -f "$network" >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 up|down NETWORK N NAME:SUFFIX:SUITE..." >&2
    exit 2
    ;;
esac
