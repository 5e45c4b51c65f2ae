#!/usr/bin/env bash
# Records the limited_bans fixture: the ruleset of a policy with SSH and imaps limited, loaded in a
# throwaway network namespace, with bans in the collection's ban sets as a flood would leave them,
# read back as verify reads it. Needs root, nft, iptables (nf_tables backend) and unshare.
# usage: sudo env ANSIBLE_COLLECTIONS_PATH=... tests/harness/record_exposure_fixtures.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/tests/unit/fixtures/live/limited_bans"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
python3 "$root/tests/harness/exposure_fixture.py" "$out/policy.json" "$work/ruleset.nft"
# Documentation addresses banned (an outsider per family, one on SSH), a peer (rec2) and an address of
# the cluster source 192.0.2.0/24: the cluster is let in before the bans, so theirs close nothing.
cat > "$work/bans.sh" <<'BANS'
set -e
nft add element inet bluemind_firewall bans_v4 '{ 203.0.113.7 . 993 timeout 120s, 198.51.100.9 . 22 timeout 600s }'
nft add element inet bluemind_firewall bans_v4 '{ 10.89.45.12 . 993 timeout 120s, 192.0.2.77 . 993 timeout 120s }'
nft add element inet bluemind_firewall bans_v6 '{ 2001:db8:7:7:: . 993 timeout 120s }'
BANS
unshare -n bash -c "
  ip link set lo up
  nft -f '$work/ruleset.nft'
  bash '$work/bans.sh'
  nft -j list ruleset | python3 -m json.tool --indent 1 > '$out/nft.json'
  nft list chains > '$out/nft-chains.txt'
  iptables-save | { grep -v '^#' || true; } > '$out/iptables-save.txt'
  ip6tables-save | { grep -v '^#' || true; } > '$out/ip6tables-save.txt'
"
# The host as collection_only recorded it: the namespace has no addresses of its own.
cp "$out/../collection_only/host.json" "$out/host.json"
cp "$work/bans.sh" "$out/commands.txt"
echo "recorded limited_bans"
