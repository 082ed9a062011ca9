#!/bin/sh
# A kubeconfig exec credential plugin for tests/kube/exec_credential_test.cpp.
# $1 picks the behaviour; PLUGIN_STATE (a directory, from the kubeconfig's exec.env) receives the
# run count ("runs") and the KUBERNETES_EXEC_INFO it was given ("exec-info"). The token of run N
# is "token-N".
n=$(( $(cat "$PLUGIN_STATE/runs" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$PLUGIN_STATE/runs"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$PLUGIN_STATE/exec-info"
api=${PLUGIN_API_VERSION:-client.authentication.k8s.io/v1}
expires=${PLUGIN_EXPIRES:-2100-01-01T00:00:00Z}
pem() { awk '{ printf "%s\\n", $0 }' "$1"; }
case "$1" in
  token)
    printf '{"kind":"ExecCredential","apiVersion":"%s","status":{"token":"token-%s","expirationTimestamp":"%s"}}\n' \
      "$api" "$n" "$expires" ;;
  cert)
    printf '{"kind":"ExecCredential","apiVersion":"%s","status":{"clientCertificateData":"%s","clientKeyData":"%s"}}\n' \
      "$api" "$(pem "$2")" "$(pem "$3")" ;;
  garbage) echo "this is not JSON" ;;
  fail) echo "credentials expired, run aws sso login" >&2; exit 3 ;;
  hang) exec sleep 30 ;;
esac
