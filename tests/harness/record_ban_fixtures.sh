#!/usr/bin/env bash
# Records fail2ban's bans as test fixtures: Debian 12's fail2ban (1.0.2) actions nftables-multiport
# and iptables-multiport, started and banning two documentation addresses per family, inside a
# throwaway network namespace on top of the collection's table as collection_only recorded it.
# fail2ban itself renders the commands (its own action reader, from the downloaded package, which is
# never installed); this script runs them. Needs root, nft and iptables (nf_tables backend), apt-get.
# usage: sudo tests/harness/record_ban_fixtures.sh   (writes tests/unit/fixtures/live/fail2ban_*)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/tests/unit/fixtures/live"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Documentation addresses only (RFC 5737, RFC 3849): none is a peer, a cluster source or an admin source.
bans4=(203.0.113.7 203.0.113.99)
bans6=(2001:db8::7 2001:db8::99)
ports=25,465,587

(cd "$work" && apt-get download fail2ban >/dev/null && dpkg-deb -x fail2ban_*.deb pkg)
export PYTHONPATH="$work/pkg/usr/lib/python3/dist-packages"
render() { # action family addresses...
  python3 "$root/tests/harness/fail2ban_commands.py" "$work/pkg/etc/fail2ban" "$1" postfix "$ports" "$2" "${@:3}"
}
{
  echo 'set -e'
  echo "nft -j -f '$out/collection_only/nft.json'"
  render nftables-multiport inet4 "${bans4[@]}"
  render nftables-multiport inet6 "${bans6[@]}"
} > "$work/nftables.sh"
{
  echo 'set -e'
  echo "nft -j -f '$out/collection_only/nft.json'"
  render iptables-multiport inet4 "${bans4[@]}"
  render iptables-multiport inet6 "${bans6[@]}"
} > "$work/iptables.sh"

record() { # name script
  local name=$1 script=$2
  mkdir -p "$out/$name"
  unshare -n bash -c "
    ip link set lo up
    bash '$script' >/dev/null
    nft -j list ruleset | python3 -m json.tool --indent 1 > '$out/$name/nft.json'
    nft list chains > '$out/$name/nft-chains.txt'
    iptables-save | { grep -v '^#' || true; } > '$out/$name/iptables-save.txt'
    ip6tables-save | { grep -v '^#' || true; } > '$out/$name/ip6tables-save.txt'
  "
  # The host as collection_only recorded it: the namespace has no addresses of its own.
  cp "$out/collection_only/host.json" "$out/$name/host.json"
  sed "s|$out/||" "$script" > "$out/$name/commands.txt"
  echo "recorded $name"
}
record fail2ban_nftables "$work/nftables.sh"
record fail2ban_iptables "$work/iptables.sh"
