#!/usr/bin/env bash
# The site and verify playbooks run by the oldest ansible-core that meta/runtime.yml accepts (the
# first line of tests/ansible-core-versions.txt) on the demo's inventory (two BlueMind nodes, Debian 12
# and 11, and an outsider), in containers and on a network of its own (bmfw-oldest-*, not the demo's,
# which may be up beside it): the converge applies, a second one changes nothing, and the verify
# playbook passes. Run by make test after the scenarios (which use the newest host release).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(awk '!/^#/ && NF { print $1; exit }' "$root/tests/ansible-core-versions.txt")
old="$("$root/tests/harness/core_venv.sh" "$version")/bin"
export CONTAINERS_CONF="$root/tests/harness/containers.conf" ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
# The podman connection plugin comes with the main venv's ansible package.
site_packages=$("$root/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
export ANSIBLE_COLLECTIONS_PATH="$root/.cache/collections:$site_packages"
inventory="$root/demo/inventory.yml"
export DEMO_CONTAINER_PREFIX=bmfw-oldest- DEMO_NETWORK=bmfw-oldest DEMO_SUBNET=46
containers=(-e 'ansible_host=bmfw-oldest-{{ inventory_hostname }}')
log=$(mktemp)
trap '"$root/demo/testbed.sh" down >/dev/null 2>&1 || true; rm -f "$log"' EXIT

# sed, not head: head closes the pipe after one line, and ansible-playbook, still writing, fails on the
# broken pipe, which pipefail makes this script's failure.
"$old/ansible-playbook" --version | sed -n 1p
"$root/demo/testbed.sh" up >/dev/null
"$root/.venv/bin/ansible-playbook" -i "$inventory" "${containers[@]}" "$root/molecule/shared/prepare.yml" >/dev/null
for run in apply again; do
  "$old/ansible-playbook" -i "$inventory" "${containers[@]}" bluemind.firewall.site > "$log" 2>&1 || { cat "$log"; exit 1; }
  # Ansible warns when a collection asks for another release: there must be no such warning.
  if grep -q 'does not support Ansible version' "$log"; then
    cat "$log"; echo "ansible-core $version: the collection says it does not support it" >&2; exit 1
  fi
  if [ "$run" = again ] && grep -Eq '(mx1|mx2) +: ok=[0-9]+ +changed=[1-9]' "$log"; then
    cat "$log"; echo "ansible-core $version: the second converge changed something" >&2; exit 1
  fi
done
"$old/ansible-playbook" -i "$inventory" "${containers[@]}" bluemind.firewall.verify > "$log" 2>&1 || { cat "$log"; exit 1; }
grep -q 'Every host enforces its recorded policy' "$log"
echo "ansible-core $version: converge, second converge without change, and verify passed"
