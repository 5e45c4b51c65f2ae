#!/usr/bin/env bash
# Installs what the test suite and the demo need on a Debian 12 root machine, and only what is missing:
# Debian packages, the Python venv, and the container images built from the Debian archive.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export CONTAINERS_CONF="$root/tests/harness/containers.conf"

need_apt=()
for cmd in podman:podman runc:runc debootstrap:debootstrap make:make nft:nftables shellcheck:shellcheck git:git; do
  command -v "${cmd%%:*}" >/dev/null 2>&1 || need_apt+=("${cmd##*:}")
done
# Debian's python3 makes venvs only with python3-venv.
python3 -c 'import ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$root/tests/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: creating $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -r "$root/tests/requirements.txt" 2>&1 | { grep -v "is ignored: it is neither" || true; }
  echo "$want" > "$stamp"
fi

# Ansible finds a collection only under ansible_collections/NAMESPACE/NAME: link the checkout there.
mkdir -p "$root/.cache/collections/ansible_collections/bluemind"
ln -sfn "$root" "$root/.cache/collections/ansible_collections/bluemind/firewall"
[ -n "${BOOTSTRAP_VENV_ONLY:-}" ] && exit 0

# The publishing checks' tools, apart: galaxy-importer pins its own ansible-lint.
publish_venv="$root/.cache/venv-publish"
publish_want=$(sha256sum "$root/tests/requirements-publish.txt" | cut -d' ' -f1)
if [ ! -x "$publish_venv/bin/python" ] || [ "$(cat "$publish_venv/.requirements.sha256" 2>/dev/null)" != "$publish_want" ]; then
  echo "bootstrap: creating $publish_venv"
  rm -rf "$publish_venv"
  python3 -m venv "$publish_venv"
  "$publish_venv/bin/pip" install -q -r "$root/tests/requirements-publish.txt" 2>&1 | { grep -v "is ignored: it is neither" || true; }
  echo "$publish_want" > "$publish_venv/.requirements.sha256"
fi

"$root/tests/harness/build-image.sh" bookworm
"$root/tests/harness/build-image.sh" bullseye
"$root/tests/harness/build-image.sh" trixie

