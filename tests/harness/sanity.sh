#!/usr/bin/env bash
# ansible-test sanity on a copy of the checkout laid out as ansible_collections/bluemind/firewall
# (ansible-test reads its path from there; a symlink resolves back to the checkout).
# VENV picks the ansible-core that runs it (default: the suite's .venv); PYTHON the interpreter of
# the sanity venvs (default: the venv's own).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${VENV:-$root/.venv}
python="$venv/bin/python"
version=$("$python" -c 'import ansible.release as r; print(".".join(r.__version__.split(".")[:2]))')
tree="$root/.cache/sanity-$version/ansible_collections/bluemind/firewall"

# ansible-test fetches a get-pip script from a host this machine cannot reach; it runs a cached copy first.
pip_version=$("$python" - <<'PY'
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
echo "sanity: ansible-core $version"
PATH="$venv/bin:$PATH" ansible-test sanity --venv --python "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$@"
