#!/usr/bin/env bash
# Runs every Google Benchmark binary of a Release build; extra args go to each binary.
set -euo pipefail
build_dir=${1:-build}
shift || true
found=0
for bin in $(find "$build_dir/bench" -type f -executable -name '*_bench' | sort); do
  found=1
  echo "=== $bin"
  "$bin" "$@"
done
[[ $found -eq 1 ]] || echo "no benchmarks built in $build_dir/bench"
