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
# A fixed seed makes a CI run reproducible (same corpus, same binary: the same inputs first);
# FUZZ_SEED=0 lets libFuzzer pick a random one for longer exploratory runs.
seed="${FUZZ_SEED:-1}"
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
  mkdir -p "$work"
  log="$build/fuzz-work/$name.log"
  "$bin" -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
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
    echo "fuzz: $name ok: ${runs:-?} inputs in ${seconds} s, coverage ${cov:-?} edges, corpus $(ls "$work" | wc -l) files"
  fi
done
exit $status
