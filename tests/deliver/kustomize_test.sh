#!/usr/bin/env bash
# Every kustomization under deploy/ renders with `kubectl kustomize`, and every overlay applies to
# kube/fake (cpa-fake-apiserver) with client-side `kubectl apply`: created, then unchanged on a
# second apply, with the image, namespace, replicas and resources the overlay sets; and every
# example under autoscalers/ applies its deployment.yaml and cpa.yaml.
# The fake serves no OpenAPI document, hence --validate=false.
# Usage: kustomize_test.sh BUILD_DIR   (run from the repository root)
set -euo pipefail
build=$(readlink -f "$1")
work=$(mktemp -d)
cleanup() {
  [[ -n ${fake_pid:-} ]] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ $2 == "$3" ]]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $1: expected '$2', got '$3'" >&2
  fi
}

"$build/cli/cpa-fake-apiserver" --kubeconfig-out "$work/kubeconfig" --ready-file "$work/url" \
  >"$work/fake.log" 2>&1 &
fake_pid=$!
for _ in $(seq 100); do [[ -s $work/url ]] && break; sleep 0.1; done
[[ -s $work/url ]] || { echo "FAIL: cpa-fake-apiserver did not start" >&2; cat "$work/fake.log" >&2; exit 1; }
export KUBECONFIG=$work/kubeconfig
apply() { kubectl apply --server-side=false --validate=false -f "$1"; }

# Every kustomization renders.
while read -r k; do
  dir=$(dirname "$k")
  if kubectl kustomize "$dir" >"$work/render.yaml" 2>"$work/render.err"; then
    check "render $dir" ok ok
  else
    check "render $dir" ok "$(cat "$work/render.err")"
  fi
done < <(find deploy -name kustomization.yaml | sort)

apply deploy/crd.yaml >/dev/null
check "CRD" custompodautoscalers.custompodautoscaler.com \
  "$(kubectl get crd -o jsonpath='{.items[0].metadata.name}')"

for overlay in deploy/overlays/*/; do
  overlay=${overlay%/}
  kubectl kustomize "$overlay" >"$work/o.yaml"
  ns=$(awk '/^  namespace:/ {print $2; exit}' "$work/o.yaml")
  if ! grep -q '^kind: Namespace' "$work/o.yaml"; then
    printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$ns" >"$work/ns.yaml"
    apply "$work/ns.yaml" >/dev/null
  fi
  first=$(apply "$work/o.yaml")
  check "$overlay first apply" 0 "$(grep -vc ' created$' <<<"$first" || true)"
  second=$(apply "$work/o.yaml")
  check "$overlay second apply" 0 "$(grep -vc ' unchanged$' <<<"$second" || true)"
  image=$(awk '/newName:/ {n=$2} /newTag:/ {t=$2} END {print n ":" t}' "$overlay/kustomization.yaml")
  jp='{.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].resources.limits.memory}'
  got=$(kubectl get deployment cpa-operator -n "$ns" -o jsonpath="$jp")
  limit=$(awk '/limits:/ {gsub(/[{}]/, ""); print $3}' "$overlay/operator-resources.yaml")
  check "$overlay image and memory limit" "$image $limit" "$got"
  sa=$(kubectl get "$(grep -o '^kind: \(Cluster\)\?RoleBinding' "$work/o.yaml" | awk '{print tolower($2)}')" \
    cpa-operator -n "$ns" -o jsonpath='{.subjects[0].namespace}')
  check "$overlay binding subject namespace" "$ns" "$sa"
done
# Every example autoscaler's manifests apply too: the app it manages and its CustomPodAutoscaler.
for example in autoscalers/*/cpa.yaml; do
  dir=$(dirname "$example")
  out=$(apply "$dir/deployment.yaml" 2>&1 && apply "$example" 2>&1) || true
  check "$dir manifests" 0 "$(grep -vc ' created$\| unchanged$\| configured$' <<<"$out" || true)"
  [[ $out == *"custompodautoscaler.custompodautoscaler.com/"*" created"* ]] ||
    check "$dir CustomPodAutoscaler created" created "$out"
done
check "every example has its manifests" "$(ls -d autoscalers/*/ | wc -l)" "$(ls autoscalers/*/cpa.yaml | wc -l)"
echo "kustomize: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
