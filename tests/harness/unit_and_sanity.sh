#!/usr/bin/env bash
# unit_and_sanity.sh VERSION: the unit tests and ansible-test sanity on ansible-core VERSION, with the
# venv core_venv.sh keeps for it and this shell's python3 (the machine's, or a container's).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$1
venv=$("$root/tests/harness/core_venv.sh" "$version")
echo "core-matrix: ansible-core $version, unit tests ($("$venv/bin/python" --version))"
cd "$root"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit
VENV="$venv" "$root/tests/harness/sanity.sh"
