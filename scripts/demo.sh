#!/usr/bin/env bash
# The main job on the embedded default. Today: validate and print every bundled example config.
set -euo pipefail
build_dir=${1:-build}
cpa="$build_dir/cli/cpa"
"$cpa" version
status=0
for config in examples/*/config*.yaml examples/*/config*.json; do
  echo
  echo "=== cpa config validate --config $config"
  if ! "$cpa" config validate --config "$config"; then status=1; fi
done
exit $status
