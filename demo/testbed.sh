#!/usr/bin/env bash
# The demo's containers, on one network: demo/testbed.sh up [cluster|split] | down
#   cluster: mx1, mx2 and internet, a host outside (make demo; make converge-oldest, under its own names)
#   split: core and edge, a BlueMind 5 split deployment beside them (make demo)
# down removes every one of them and the network. Each container is named bmfw-demo-NAME (the
# inventories' ansible_host), a prefix that no test, scenario or rehearsal uses: make test may run while
# the demo's containers are up.
set -euo pipefail
prefix=${DEMO_CONTAINER_PREFIX:-bmfw-demo-}
network=${DEMO_NETWORK:-bmfw-demo}
subnet=${DEMO_SUBNET:-43}
cluster=("${prefix}mx1:11:bookworm" "${prefix}mx2:12:bullseye" "${prefix}internet:99:bookworm")
split=("${prefix}core:21:bookworm" "${prefix}edge:22:bookworm")
action=${1:?up or down}
case "$action:${2:-cluster}" in
  up:cluster) nodes=("${cluster[@]}") ;;
  up:split) nodes=("${split[@]}") ;;
  down:*) nodes=("${cluster[@]}" "${split[@]}") ;;
  *) echo "usage: $0 up [cluster|split] | down" >&2; exit 2 ;;
esac
exec "$(dirname "$0")/../tests/harness/testbed.sh" "$action" "$network" "$subnet" "${nodes[@]}"
