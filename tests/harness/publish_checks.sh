#!/usr/bin/env bash
# What a Galaxy / Automation Hub import and a docs site build would say of the collection:
# galaxy-importer on the archive that make build writes (offline: no ansible-test container step),
# which must finish with no error and no warning, and antsibull-docs' documentation lint.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.cache/venv-publish"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$root/.venv/bin/ansible-galaxy" collection build --force --output-path "$work" "$root" >/dev/null
archive=$(ls "$work"/bluemind-firewall-*.tar.gz)
cat > "$work/galaxy-importer.cfg" <<'CFG'
[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = True
CHECK_REQUIRED_TAGS = False
CFG
echo "publish: galaxy-importer $("$venv/bin/pip" show galaxy-importer | sed -n 's/^Version: //p') on $(basename "$archive")"
# It writes importer_result.json into the working directory.
(cd "$work" && GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg" "$venv/bin/python" -m galaxy_importer.main "$archive") \
  > "$work/import.log" 2>&1 || { cat "$work/import.log"; echo "publish: galaxy-importer failed" >&2; exit 1; }
if grep -Eiv '^(Loading|Linting|\.\.\.ansible-lint run complete|Collection loading complete|Importer processing completed successfully)' \
    "$work/import.log" | grep -Ei 'warn|error' ; then
  echo "publish: galaxy-importer reported the lines above" >&2; exit 1
fi
grep -q 'Importer processing completed successfully' "$work/import.log"
echo "publish: galaxy-importer: no error, no warning"

# antsibull-docs runs ansible-doc from its PATH: the venv's own ansible-core.
(cd "$root/.cache/collections/ansible_collections/bluemind/firewall" \
  && PATH="$venv/bin:$PATH" "$venv/bin/antsibull-docs" lint-collection-docs --plugin-docs .)
echo "publish: antsibull-docs lint-collection-docs --plugin-docs: clean"
