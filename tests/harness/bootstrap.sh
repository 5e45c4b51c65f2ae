#!/usr/bin/env bash
# Installs what the test suite and the demo need on a Debian 12 root machine, and only what is missing:
# Debian packages, the Python venv, and the container images built from the Debian archive.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export CONTAINERS_CONF="$root/tests/harness/containers.conf"

need_apt=()
# ipset: the kernel oracle's ipset nomatch case (tests/oracle) loads an ipset into its namespace.
for cmd in podman:podman runc:runc debootstrap:debootstrap make:make nft:nftables shellcheck:shellcheck git:git \
    ipset:ipset; do
  command -v "${cmd%%:*}" >/dev/null 2>&1 || need_apt+=("${cmd##*:}")
done
# Debian's python3 makes venvs only with python3-venv.
python3 -c 'import ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# ufw's own parser for tests/unit/test_hostile_input.py: the package extracted, not installed, into
# .cache/ufw-tree, with its stock files in place; ufw --dry-run --rootdir/--datadir reads those, never
# this machine's.
tree="$root/.cache/ufw-tree"
if [ ! -x "$tree/usr/sbin/ufw" ]; then
  download=$(mktemp -d)
  chmod 755 "$download"
  if (cd "$download" && apt-get download -qq ufw >/dev/null 2>&1); then
    mkdir -p "$tree" && dpkg -x "$download"/ufw_*.deb "$tree"
    cp "$tree"/usr/share/ufw/iptables/* "$tree"/usr/share/ufw/ufw.conf "$tree/etc/ufw/"
    mkdir -p "$tree/lib/ufw" && cp "$tree"/usr/share/ufw/iptables/user*.rules "$tree/lib/ufw/"
  else
    echo "bootstrap: could not download ufw; test_hostile_input.py checks ufw's lines only where it runs"
  fi
  rm -rf "$download"
fi

# Debian's fail2ban, for molecule's stock scenario (a BlueMind server as its installer leaves it, with
# fail2ban banning an address): downloaded here, where the archive is reachable, and copied into the
# containers, which never reach it.
debs="$root/.cache/debs"
if ! ls "$debs"/fail2ban_*.deb >/dev/null 2>&1; then
  mkdir -p "$debs" && chmod 755 "$debs"
  (cd "$debs" && { apt-get download -qq fail2ban >/dev/null 2>&1 \
                    || { apt-get update -qq && apt-get download -qq fail2ban >/dev/null 2>&1; }; }) \
    || echo "bootstrap: could not download fail2ban; molecule's stock scenario will fail" >&2
fi

# A venv holding REQUIREMENTS, made again whenever that file changes.
venv_for() {  # DIR REQUIREMENTS
  local dir=$1 requirements=$2 want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [ ! -x "$dir/bin/python" ] || [ "$(cat "$dir/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    echo "bootstrap: creating $dir"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --upgrade pip
    "$dir/bin/pip" install -q -r "$requirements" 2>&1 | { grep -v "is ignored: it is neither" || true; }
    echo "$want" > "$dir/.requirements.sha256"
  fi
}

venv_for "$root/.venv" "$root/tests/requirements.txt"

# Ansible finds a collection only under ansible_collections/NAMESPACE/NAME: link the checkout there.
mkdir -p "$root/.cache/collections/ansible_collections/bluemind"
ln -sfn "$root" "$root/.cache/collections/ansible_collections/bluemind/firewall"
[ -n "${BOOTSTRAP_VENV_ONLY:-}" ] && exit 0

# The publishing checks' tools, apart: galaxy-importer pins its own ansible-lint.
venv_for "$root/.cache/venv-publish" "$root/tests/requirements-publish.txt"

"$root/tests/harness/build-image.sh" bookworm
"$root/tests/harness/build-image.sh" bullseye
"$root/tests/harness/build-image.sh" trixie

