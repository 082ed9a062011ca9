#!/usr/bin/env bash
# kubectl applies deploy/ (the CRD, both operator installs, the examples) against
# cpa-fake-apiserver. kube/fake serves no OpenAPI document, so kubectl's client-side schema
# validation is off (--validate=false); the API server side (kinds, names, CRD registration,
# custom resources of the new kind) is exercised. Usage: kubectl_apply_test.sh <build dir> <source dir>
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'kill "$fake" 2>/dev/null || true; wait "$fake" 2>/dev/null || true; rm -rf "$work"' EXIT
"$build/cli/cpa-fake-apiserver" --kubeconfig-out "$work/kubeconfig" --ready-file "$work/ready" \
  >"$work/fake.log" 2>&1 &
fake=$!
for _ in $(seq 100); do [[ -s $work/ready ]] && break; sleep 0.1; done
[[ -s $work/ready ]] || { echo "fake API server did not start"; cat "$work/fake.log"; exit 1; }
export KUBECONFIG=$work/kubeconfig
k() { kubectl --request-timeout=20s "$@"; }
k apply --validate=false -f "$src/deploy/crd.yaml"
k apply --validate=false -f "$src/deploy/cluster/operator.yaml"
k apply --validate=false -k "$src/deploy/namespaced"
k apply --validate=false -f "$src/deploy/examples/"
# A second apply of unchanged manifests changes nothing.
k apply --validate=false -f "$src/deploy/crd.yaml" | grep -q unchanged
k get customresourcedefinition custompodautoscalers.custompodautoscaler.com >/dev/null
test "$(k get cpa -o name | wc -l)" -ge 3
k get clusterrole cpa-operator >/dev/null
k get role cpa-operator -n cpa-autoscalers >/dev/null
k get deployment cpa-operator -n cpa-system >/dev/null
echo "deploy/ applied"
