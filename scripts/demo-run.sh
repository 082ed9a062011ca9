#!/usr/bin/env bash
# `make demo-run`: the main job on the embedded default.
#  1. validate and print every bundled example config;
#  2. start the in-memory API server (cpa-fake-apiserver) seeded with a Deployment, and run
#     `cpa run` against it while the demo's load rises and falls: watch it scale up at once and
#     scale down only after the stabilization window; then show the stored history.
set -euo pipefail
build_dir=${1:-build}
cpa="$build_dir/cli/cpa"
fake="$build_dir/cli/cpa-fake-apiserver"
"$cpa" version
for config in examples/*/config*.yaml examples/*/config*.json; do
  [[ $config == examples/demo/* ]] && continue
  echo "=== cpa config validate --config $config"
  "$cpa" config validate --config "$config" 2>&1 >/dev/null | sed "s/^/  /"
  echo "valid"
done

demo=$(mktemp -d /tmp/cpa-demo.XXXXXX)
cleanup() {
  [[ -n "${cpa_pid:-}" ]] && kill "$cpa_pid" 2>/dev/null || true
  [[ -n "${fake_pid:-}" ]] && kill "$fake_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$demo"
}
trap cleanup EXIT
token=demo-token
"$fake" --seed examples/demo/seed.yaml --token "$token" --kubeconfig-out "$demo/kubeconfig" \
  --ready-file "$demo/url" >/dev/null &
fake_pid=$!
for _ in $(seq 100); do [[ -s "$demo/url" ]] && break; sleep 0.05; done
url=$(cat "$demo/url")
echo
echo "=== simulated cluster at $url (Deployment default/shop, 1 replica)"
sed "s#DEMO_DIR#$demo#g" examples/demo/config.yaml > "$demo/config.yaml"
echo 10 > "$demo/load"
echo 1 > "$demo/replicas"
"$cpa" run --config "$demo/config.yaml" --kubeconfig "$demo/kubeconfig" 2> "$demo/cpa.log" &
cpa_pid=$!

replicas() {
  curl -s -H "Authorization: Bearer $token" \
    "$url/apis/apps/v1/namespaces/default/deployments/shop/scale" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["replicas"])'
}
phase() {  # phase <seconds> <queue length>
  echo "$2" > "$demo/load"
  echo "--- queue length $2 for $1 s"
  for _ in $(seq "$1"); do
    sleep 1
    printf '  t=%2ss  replicas=%s\n' "$SECONDS" "$(replicas)"
  done
}
SECONDS=0
phase 3 10
phase 4 130
phase 8 30
echo
echo "=== cpa run log"
grep -E "starting|scaled|REST API|store" "$demo/cpa.log" | cut -c1-160
port=$(grep -o 'REST API listening on http://127.0.0.1:[0-9]*' "$demo/cpa.log" | grep -o '[0-9]*$')
echo
echo "=== REST API: POST /api/v1/evaluation?dry_run=true"
curl -s -X POST -d '' "http://127.0.0.1:$port/api/v1/evaluation?dry_run=true"; echo
kill "$cpa_pid"; wait "$cpa_pid" || true; cpa_pid=
echo
echo "=== stored decisions (cpa history)"
"$cpa" history show --store "$demo/history.db" --autoscaler default/shop --kind decisions --last 8
