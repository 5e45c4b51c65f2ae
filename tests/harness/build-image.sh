#!/usr/bin/env bash
# Builds localhost/bluemind-fw-test:SUITE from the Debian archive with debootstrap (no registry is
# reachable here), unless an image built by this same recipe exists. The image has systemd and every
# package the role installs, so tests never depend on the archive from inside a container.
set -euo pipefail
suite=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
export CONTAINERS_CONF="$root/tests/harness/containers.conf"
image="localhost/bluemind-fw-test:$suite"
packages=python3,python3-apt,nftables,ufw,iptables,iproute2,systemd,systemd-sysv,dbus,procps,openssh-server,keepalived
recipe=$(printf '%s\n' "$packages" | cat - "$0" | sha256sum | cut -c1-16)

if [ "$(podman image inspect --format '{{ index .Labels "recipe" }}' "$image" 2>/dev/null)" = "$recipe" ]; then
  exit 0
fi
echo "build-image: $image (debootstrap, about a minute)"
rootfs=$(mktemp -d /var/tmp/bluemind-fw-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" >/dev/null
# Gettys only slow a container's boot down.
rm -f "$rootfs"/etc/systemd/system/getty.target.wants/*
# sshd stays off (the listeners take port 22) until a scenario that connects over SSH starts it,
# with host keys of its own rather than keys baked into the image.
rm -f "$rootfs"/etc/systemd/system/multi-user.target.wants/ssh.service "$rootfs"/etc/systemd/system/sshd.service \
  "$rootfs"/etc/systemd/system/sockets.target.wants/ssh.socket "$rootfs"/etc/ssh/ssh_host_*
tar -C "$rootfs" -c . \
  | podman import --change 'CMD ["/sbin/init"]' --change "LABEL recipe=$recipe" - "$image" >/dev/null 2>&1
