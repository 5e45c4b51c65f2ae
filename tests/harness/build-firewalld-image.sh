#!/usr/bin/env bash
# Builds localhost/bluemind-fw-test:SUITE-firewalld: the test image of SUITE (build-image.sh) plus Debian's
# firewalld, enabled as its package leaves it, for the firewalld backend's scenarios; unless an image built
# by this same recipe on the same base exists. firewalld comes from the archive (the base image has no
# package list): built once, it is then used without the archive.
set -euo pipefail
suite=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
export CONTAINERS_CONF="$root/tests/harness/containers.conf"
base="localhost/bluemind-fw-test:$suite"
image="$base-firewalld"
"$root/tests/harness/build-image.sh" "$suite"
recipe=$(podman image inspect --format '{{ .Id }}' "$base" | cut -c1-12)-$(sha256sum < "$0" | cut -c1-12)
if [ "$(podman image inspect --format '{{ index .Labels "recipe" }}' "$image" 2>/dev/null)" = "$recipe" ]; then
  exit 0
fi
echo "build-firewalld-image: $image (firewalld from the archive, about half a minute)"
podman rm -f "bmfw-image-firewalld-$suite" >/dev/null 2>&1 || true
# Installed while systemd does not run: the package enables the unit, which starts at the container's
# boot as on a host after installing it, without starting it now. With its recommends, as apt installs
# it by default: firewalld 0.9 uses ipsets only with the ipset package.
podman run --name "bmfw-image-firewalld-$suite" "$base" sh -c 'apt-get update -qq \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firewalld >/dev/null \
  && apt-get clean && rm -rf /var/lib/apt/lists/*'
podman commit -q --change 'CMD ["/sbin/init"]' --change "LABEL recipe=$recipe" "bmfw-image-firewalld-$suite" "$image" >/dev/null
podman rm -f "bmfw-image-firewalld-$suite" >/dev/null
