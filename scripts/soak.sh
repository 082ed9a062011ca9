#!/usr/bin/env bash
# Soak and load runs (loopback only, bounded), reported as numbers rather than asserted:
#   1. RUNS runs (default 10,000) of one autoscaler with shell methods against the fake API server:
#      resident memory and open file descriptors of `cpa run`, sampled as runs complete.
#   2. AUTOSCALERS autoscalers (default 1,000) in one process at a 1 s interval for SECONDS (60):
#      runs done vs scheduled, skipped (missed) runs.
#   3. CLIENTS concurrent API clients (default 64) sending dry-run evaluations: errors, throughput.
# Usage: scripts/soak.sh BUILD_DIR   (make soak). Results go to stdout; docs/reliability.md has them.
set -euo pipefail
build="$(cd "${1:?usage: scripts/soak.sh BUILD_DIR}" && pwd)"
runs_target="${RUNS:-10000}"
autoscalers="${AUTOSCALERS:-1000}"
seconds="${SECONDS_LOAD:-60}"
clients="${CLIENTS:-64}"
work="$(mktemp -d /tmp/cpa-soak.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Deployments web-0 .. web-(N-1), replicas 2, no simulated controllers (no pods needed).
python3 - "$work/seed.json" "$autoscalers" <<'PY'
import json, sys
n = int(sys.argv[2])
items = [{"apiVersion": "apps/v1", "kind": "Deployment",
          "metadata": {"name": f"web-{i}", "namespace": "default"},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": f"web-{i}"}},
                   "template": {"metadata": {"labels": {"app": f"web-{i}"}},
                                "spec": {"containers": [{"name": "a", "image": "x"}]}}}}
         for i in range(n)]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[1], "w"))
PY
"$build/cli/cpa-fake-apiserver" --seed "$work/seed.json" --no-controllers \
  --kubeconfig-out "$work/kubeconfig" --ready-file "$work/ready" >"$work/fake.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -s "$work/ready" ]] && break; sleep 0.1; done

config() {  # config NAME INTERVAL_MS API(true|false) PORT
  cat <<YAML
scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: $1}
runMode: per-resource
interval: $2
metric: {type: shell, timeout: 5000, shell: {entrypoint: /bin/echo, command: ["1"]}}
evaluate: {type: shell, timeout: 5000, shell: {entrypoint: /bin/echo, command: ['{"targetReplicas": 3}']}}
apiConfig: {enabled: $3, host: 127.0.0.1, port: $4}
YAML
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
runs_total() {  # sum of cpa_runs_total from /metrics
  curl -s "http://127.0.0.1:$1/metrics" | awk '/^cpa_runs_total/ {s += $2} END {print s + 0}'
}
sample() {  # sample PID -> "rss_kib fds"
  echo "$(awk '/VmRSS/ {print $2}' "/proc/$1/status") $(ls "/proc/$1/fd" | wc -l)"
}

echo "== 1. ${runs_target} runs, shell methods, against the fake API server"
port="$(free_port)"
config web-0 10 true "$port" >"$work/one.yaml"
"$build/cli/cpa" run --config "$work/one.yaml" --kubeconfig "$work/kubeconfig" >"$work/one.log" 2>&1 &
cpa=$!
pids+=($cpa)
for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
start=$(date +%s.%N)
next=100
printf '%8s %10s %6s %8s\n' runs rss_kib fds seconds
while :; do
  done_runs="$(runs_total "$port")"
  if (( done_runs >= next )); then
    read -r rss fds < <(sample "$cpa")
    printf '%8d %10d %6d %8.1f\n' "$done_runs" "$rss" "$fds" "$(echo "$(date +%s.%N) - $start" | bc)"
    (( next = next < 1000 ? next * 10 : next + 1000 ))
    (( done_runs >= runs_target )) && break
  fi
  sleep 0.2
done
failed="$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^cpa_run_failures_total/ {s += $2} END {print s + 0}')"
echo "failed runs: $failed"
kill -TERM "$cpa"; wait "$cpa" || true

echo "== 2. ${autoscalers} autoscalers at 1 s for ${seconds} s"
mkdir -p "$work/many"
for i in $(seq 0 $((autoscalers - 1))); do
  config "web-$i" 1000 "$([[ $i -eq 0 ]] && echo true || echo false)" "$port" >"$work/many/$i.yaml"
done
"$build/cli/cpa" run --config "$work/many" --kubeconfig "$work/kubeconfig" --workers 16 \
  >"$work/many.log" 2>&1 &
cpa=$!
pids+=($cpa)
sleep "$seconds"
read -r rss fds < <(sample "$cpa")
kill -TERM "$cpa"; wait "$cpa" || true
echo "scheduled: $((autoscalers * seconds)) runs; rss ${rss} KiB, ${fds} fds at the end"
grep -E "stopped after" "$work/many.log" | sed 's/^.*INFO //'

echo "== 3. ${clients} concurrent API clients, dry-run evaluations"
config web-0 60000 true "$port" >"$work/api.yaml"
"$build/cli/cpa" run --config "$work/api.yaml" --kubeconfig "$work/kubeconfig" >"$work/api.log" 2>&1 &
cpa=$!
pids+=($cpa)
for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
python3 - "$port" "$clients" <<'PY'
import http.client, sys, threading, time
port, clients, per = int(sys.argv[1]), int(sys.argv[2]), 50
codes, lat, lock = {}, [], threading.Lock()
def client():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(per):
        t = time.monotonic()
        try:
            c.request("POST", "/api/v1/evaluation?dry_run=true")
            r = c.getresponse(); r.read(); code = r.status
        except Exception as e:
            code = type(e).__name__; c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with lock:
            codes[code] = codes.get(code, 0) + 1; lat.append(time.monotonic() - t)
def probe(out):
    worst, failures, probes = 0.0, 0, 0
    while not done:
        t = time.monotonic()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/healthz"); c.getresponse().read(); c.close()
        except Exception:
            failures += 1
        probes += 1
        worst = max(worst, time.monotonic() - t); time.sleep(0.05)
    out.extend([worst, failures, probes])
done = False; worst = []
p = threading.Thread(target=probe, args=(worst,)); p.start()
t0 = time.monotonic()
ts = [threading.Thread(target=client) for _ in range(clients)]
[t.start() for t in ts]; [t.join() for t in ts]
elapsed = time.monotonic() - t0; done = True; p.join()
lat.sort()
print(f"requests: {len(lat)} in {elapsed:.1f} s ({len(lat)/elapsed:.0f}/s); status codes: {codes}")
print(f"latency p50 {lat[len(lat)//2]*1000:.0f} ms, p99 {lat[int(len(lat)*0.99)]*1000:.0f} ms; "
      f"/healthz during the load: {worst[2]} probes, {worst[1]} failed, slowest {worst[0]*1000:.0f} ms")
PY
kill -TERM "$cpa"; wait "$cpa" || true
grep -c "ERROR" "$work/api.log" | sed 's/^/error lines in the log: /'
