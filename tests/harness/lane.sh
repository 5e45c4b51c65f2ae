#!/usr/bin/env bash
# One lane of make test: runs the given make targets one after the other, each line of their output
# prefixed with the lane's name (two lanes run side by side), and says how long each target took, so the
# lanes can be balanced from any run's log. Stops at the first failing target. The timings, and the end of a
# failing target's output, also go to .cache/lanes/LANE.times, which make test prints last.
set -uo pipefail
lane=$1
shift
started=$SECONDS
times=.cache/lanes/$lane.times
mkdir -p .cache/lanes
for target in "$@"; do
  begin=$SECONDS
  make --no-print-directory "$target" 2>&1 | tee ".cache/lanes/$target.log" | sed -u "s/^/[$lane] /"
  rc=${PIPESTATUS[0]}
  echo "[$lane] == $target: $((SECONDS - begin)) s, rc=$rc" | tee -a "$times"
  if [ "$rc" -ne 0 ]; then
    { echo "[$lane] == FAILED: $target, its last lines:"; tail -n 60 ".cache/lanes/$target.log" | sed "s/^/[$lane] | /"; } \
      | tee -a "$times" >&2
    exit "$rc"
  fi
done
echo "[$lane] == lane done in $((SECONDS - started)) s" | tee -a "$times"
