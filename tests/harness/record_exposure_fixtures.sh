#!/usr/bin/env bash
# Records the limited_bans fixtures: the ruleset of a policy with SSH and imaps limited, with bans in the
# collection's ban sets as a flood would leave them, read back as verify reads it. limited_bans: loaded
# in a throwaway network namespace of this host (Debian 12, nft 1.0.6). limited_bans_nft098: the same
# in a Debian 11 test container (nft 0.9.8, whose JSON leaves a set statement's limit out), with the
# text listing verify reads there. Needs root, nft, iptables (nf_tables backend), unshare, podman and
# the bullseye test image (make bootstrap builds it).
# usage: sudo env ANSIBLE_COLLECTIONS_PATH=... tests/harness/record_exposure_fixtures.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
live="$root/tests/unit/fixtures/live"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$root/tests/harness/exposure_fixture.py" "$work/policy.json" "$work/ruleset.nft"
# Documentation addresses banned (an outsider per family, one on SSH), a peer (rec2) and an address of
# the cluster source 192.0.2.0/24: the cluster is let in before the bans, so theirs close nothing.
cat > "$work/bans.sh" <<'BANS'
set -e
nft add element inet bluemind_firewall bans_v4 '{ 203.0.113.7 . 993 timeout 120s, 198.51.100.9 . 22 timeout 600s }'
nft add element inet bluemind_firewall bans_v4 '{ 10.89.45.12 . 993 timeout 120s, 192.0.2.77 . 993 timeout 120s }'
nft add element inet bluemind_firewall bans_v6 '{ 2001:db8:7:7:: . 993 timeout 120s }'
BANS
# Run where the ruleset is loaded; its argument is the work folder as seen there, the listings go to out/.
cat > "$work/record.sh" <<'RECORD'
set -e
dir=$1
ip link set lo up
nft -f "$dir/ruleset.nft"
bash "$dir/bans.sh"
mkdir -p "$dir/out"
nft -j list ruleset | python3 -m json.tool --indent 1 > "$dir/out/nft.json"
nft list chains > "$dir/out/nft-chains.txt"
nft -a list ruleset > "$dir/out/nft-rules.txt"
iptables-save | { grep -v '^#' || true; } > "$dir/out/iptables-save.txt"
ip6tables-save | { grep -v '^#' || true; } > "$dir/out/ip6tables-save.txt"
RECORD
keep() {
  local dir=$live/$1
  mkdir -p "$dir"
  cp "$work"/out/* "$work/policy.json" "$dir/"
  # The host as collection_only recorded it: the namespace has no addresses of its own.
  cp "$live/collection_only/host.json" "$dir/host.json"
  cp "$work/bans.sh" "$dir/commands.txt"
  rm -rf "$work/out"
  echo "recorded $1"
}
unshare -n bash "$work/record.sh" "$work"
keep limited_bans
podman run --rm --network none --cap-add NET_ADMIN -v "$work:/rec" localhost/bluemind-fw-test:bullseye bash /rec/record.sh /rec
keep limited_bans_nft098
