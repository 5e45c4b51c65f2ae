#!/usr/bin/env bash
# core_venv.sh VERSION: prints the venv (under .cache) holding exactly ansible-core VERSION and pytest,
# built with this machine's Python on first use or when the release changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$1
dir="$root/.cache/venv-ansible-${version%.*}"
if [ "$(cat "$dir/.version" 2>/dev/null)" != "$version" ]; then
  rm -rf "$dir"
  python3 -m venv "$dir" >&2
  "$dir/bin/pip" install -q "ansible-core==$version" pytest==9.2.0 2>&1 | { grep -v "is ignored: it is neither" || true; } >&2
  echo "$version" > "$dir/.version"
fi
echo "$dir"
