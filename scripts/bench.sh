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
if /usr/bin/python3 -c "import numpy, statsmodels" 2>/dev/null; then
  echo "statsmodels side by side: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/models/statsmodels_timing.py"
else
  echo "statsmodels side by side (bench/models/statsmodels_timing.py) needs Debian's python3-statsmodels:"
  echo "  sudo apt-get install python3-statsmodels   (or scripts/install-deps.sh --reference)"
fi
