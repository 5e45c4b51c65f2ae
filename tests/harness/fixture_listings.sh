# shellcheck shell=bash
# What the verify module reads on a host, as tests/unit/fixtures/live keeps it: sourced by the scripts that
# record those states. usage: record_listings CONTAINER DIRECTORY
record_listings() {
  local container=$1 dir=$2
  in_container() { podman exec "$container" sh -c "$1"; }
  mkdir -p "$dir"
  in_container 'nft -j list ruleset' | python3 -m json.tool --indent 1 > "$dir/nft.json"
  in_container 'nft list chains' > "$dir/nft-chains.txt"
  in_container 'iptables-save' | { grep -v '^#' || true; } > "$dir/iptables-save.txt"
  in_container 'ip6tables-save' | { grep -v '^#' || true; } > "$dir/ip6tables-save.txt"
  # What the verify module reads besides the rules: addresses, routes, links, forwarding; legacy
  # tables and ipsets only where the state has them. (The $(...) below run in the container.)
  # shellcheck disable=SC2016
  in_container 'printf "{\"address\": %s, \"route4\": %s, \"route6\": %s, \"link\": %s, \"forwarding\": {\"4\": %s, \"6\": %s}}" "$(ip -j address show)" "$(ip -j -4 route show table main)" "$(ip -j -6 route show table main)" "$(ip -j link show)" "$(cat /proc/sys/net/ipv4/ip_forward)" "$(cat /proc/sys/net/ipv6/conf/all/forwarding)"' \
    | python3 -m json.tool --indent 1 > "$dir/host.json"
  if [ -n "$(in_container 'cat /proc/net/ip_tables_names')" ]; then
    in_container 'iptables-legacy-save' | { grep -v '^#' || true; } > "$dir/iptables-legacy-save.txt"
    in_container 'ip6tables-legacy-save' | { grep -v '^#' || true; } > "$dir/ip6tables-legacy-save.txt"
  fi
  # shellcheck disable=SC2016
  if in_container 'command -v ipset >/dev/null && [ -n "$(ipset list -n)" ]'; then
    in_container 'ipset save' > "$dir/ipset-save.txt"
  fi
}
