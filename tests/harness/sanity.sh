#!/usr/bin/env bash
# ansible-test sanity on a copy of the checkout laid out as ansible_collections/bluemind/firewall
# (ansible-test reads its path from there; a symlink resolves back to the checkout).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tree="$root/.cache/sanity/ansible_collections/bluemind/firewall"

pip_version=$(python3 - <<'PY'
import re, ansible_test, os
source = open(os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')).read()
print(re.search(r"pip='([0-9.]+)'", source).group(1))
PY
)
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
mkdir -p "$(dirname "$cache")"
cp "$root/tests/harness/get_pip_offline.py" "$cache"

rm -rf "$tree"
mkdir -p "$tree"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tree")
# ansible-test lists files through git when it finds a repository.
git -C "$tree" init -q && git -C "$tree" add -A

cd "$tree"
ansible-test sanity --venv --python 3.11 "$@"
