#!/usr/bin/env bash
# `make demo`: the default experiment — the Kubernetes HPA against the predictive HPA (as it ran
# in 2020 and as cpa runs it) on a simulated cluster, 3 simulated days, one seed — then the
# summary table and where the report (report.md, plots, CSV, summary.json) is.
# `make demo-run` is the earlier demo (cpa run against the in-memory API server).
set -euo pipefail
build_dir=${1:-build}
out=${DEMO_OUT:-experiment-results}
"$build_dir/cli/cpa" version
"$build_dir/cli/cpa" experiment --out "$out" "${@:2}"
echo
echo "Report: $out/report.md (plots in $out/plots, per-run CSV in $out/runs, $out/summary.json)"
