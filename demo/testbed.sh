#!/usr/bin/env bash
# The demo's containers: demo/testbed.sh up | down
exec "$(dirname "$0")/../tests/harness/testbed.sh" "${1:?up or down}" bmfw-demo 43 \
  mx1:11:bookworm mx2:12:bullseye internet:99:bookworm
