#!/usr/bin/env bash
# The unit tests and ansible-test sanity on every ansible-core of tests/ansible-core-versions.txt but
# the suite's own (.venv runs those through make unit and make sanity). "host" lines use a venv of
# this machine's Python; "trixie" lines run in a Debian 13 container (Python 3.13), with the checkout
# mounted at the same path so that the venvs it builds there stay valid from one run to the next.
# Venvs are built on first use and kept under .cache. Usage: core_matrix.sh [VERSION ...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export CONTAINERS_CONF="$root/tests/harness/containers.conf"
main_version=$("$root/.venv/bin/python" -c 'import ansible.release as r; print(r.__version__)')
tools_image=localhost/bluemind-fw-tools:trixie

tools_image() {  # the trixie test image plus what building venvs and ansible-test need
  local recipe
  recipe=$(sha256sum < "$0" | cut -c1-16)-$(podman image inspect --format '{{ .Id }}' localhost/bluemind-fw-test:trixie | cut -c1-12)
  if [ "$(podman image inspect --format '{{ index .Labels "recipe" }}' "$tools_image" 2>/dev/null)" = "$recipe" ]; then
    return
  fi
  echo "core-matrix: building $tools_image"
  podman rm -f bmfw-tools-build >/dev/null 2>&1 || true
  podman run --name bmfw-tools-build localhost/bluemind-fw-test:trixie sh -c \
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv git ca-certificates >/dev/null'
  podman commit -q --change "LABEL recipe=$recipe" --change 'CMD ["/bin/bash"]' bmfw-tools-build "$tools_image" >/dev/null
  podman rm -f bmfw-tools-build >/dev/null
}

run_in_trixie() {
  local version=$1
  tools_image
  mkdir -p "$root/.cache/trixie-ansible-test"
  # The machine's CA bundle: PyPI is reached through it here. ansible-test's own venvs are kept
  # between runs in the mounted ~/.ansible.
  podman run --rm --cap-add NET_ADMIN \
    -v "$root:$root" -w "$root" \
    -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/machine-ca.crt:ro \
    -v "$root/.cache/trixie-ansible-test:/root/.ansible" \
    -e PIP_CERT=/etc/ssl/certs/machine-ca.crt -e PIP_DISABLE_PIP_VERSION_CHECK=1 -e PYTHONDONTWRITEBYTECODE=1 \
    "$tools_image" bash -euo pipefail -c '
      # ansible-test clears the environment of the pip runs it makes: the CA goes in pip.conf.
      printf "[global]\ncert = /etc/ssl/certs/machine-ca.crt\n" > /etc/pip.conf
      git config --global --add safe.directory "*"
      tests/harness/unit_and_sanity.sh "$1"' _ "$version"
}

cd "$root"
wanted=("$@")
while read -r version where; do
  case "$version" in ''|'#'*) continue ;; esac
  [ "$version" = "$main_version" ] && continue
  if [ ${#wanted[@]} -gt 0 ] && ! printf '%s\n' "${wanted[@]}" | grep -qx "$version\|${version%.*}"; then
    continue
  fi
  case "$where" in
    host) "$root/tests/harness/unit_and_sanity.sh" "$version" ;;
    trixie) run_in_trixie "$version" ;;
    *) echo "core-matrix: unknown place '$where' for $version" >&2; exit 2 ;;
  esac
done < "$root/tests/ansible-core-versions.txt"
echo "core-matrix: passed"
