#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a bounded time each.
# Usage: scripts/fuzz.sh BUILD_DIR [SECONDS_PER_TARGET]
# Each target starts from its seed corpus (fuzz/corpus/<target>, left untouched: new inputs go to
# BUILD_DIR/fuzz-work/<target>). A crash, leak, timeout (10 s per input) or out-of-memory fails
# the run; the input is saved as BUILD_DIR/fuzz-artifacts/<target>-crash-* (or leak-, timeout-,
# oom-) and the command to reproduce it is printed.
set -uo pipefail
build="${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS]}"
seconds="${2:-45}"
# Reproducible by default (what CI runs): a fixed seed, a fresh work corpus grown from the seed
# corpus only, and at most FUZZ_RUNS inputs per target (the table below: about 45 s each on an
# idle machine), with SECONDS as the time cap. Runs of the same binary then start from the same
# inputs and mutate them the same way, so CI mostly repeats what a clean local run tried (not
# exactly: which inputs libFuzzer keeps depends on coverage, and coverage a little on timing).
# FUZZ_SEED=0 explores instead: a random seed, the work corpus kept from earlier runs, and
# no input cap (only SECONDS).
seed="${FUZZ_SEED:-1}"
declare -A default_runs=(
  [fuzz_config]=140000 [fuzz_csv_series]=1000000 [fuzz_evaluation]=600000
  [fuzz_http_request]=140000 [fuzz_kube_json]=300000 [fuzz_snapshot]=800000
)
root="$(cd "$(dirname "$0")/.." && pwd)"
artifacts="$build/fuzz-artifacts"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$root/fuzz/ubsan.supp"
mkdir -p "$artifacts"
status=0
for seeds in "$root"/fuzz/corpus/*/; do
  name="$(basename "$seeds")"
  bin="$build/fuzz/$name"
  if [[ ! -x "$bin" ]]; then
    echo "fuzz: $name: no binary at $bin" >&2
    status=1
    continue
  fi
  work="$build/fuzz-work/$name"
  runs_cap=()
  if [[ "$seed" != 0 ]]; then
    rm -rf "$work"
    runs_cap=(-runs="${FUZZ_RUNS:-${default_runs[$name]:-200000}}")
  fi
  mkdir -p "$work"
  log="$build/fuzz-work/$name.log"
  started=$SECONDS
  "$bin" -seed="$seed" "${runs_cap[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')"
  if [[ $rc -ne 0 ]]; then
    echo "fuzz: $name FAILED (exit $rc) after ${runs:-?} inputs; log: $log"
    grep -E '^==[0-9]+==|ERROR|SUMMARY|Test unit written' "$log" | head -20
    for a in "$artifacts/$name"-*; do
      [[ -e "$a" ]] && echo "  reproduce: $bin $a"
    done
    status=1
  else
    echo "fuzz: $name ok: ${runs:-?} inputs in $((SECONDS - started)) s, coverage ${cov:-?} edges, corpus $(ls "$work" | wc -l) files"
  fi
done
exit $status
