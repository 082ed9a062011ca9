#!/bin/sh
# Evaluate: one replica per JOBS_PER_REPLICA (default 5) waiting jobs, rounded up, at least 1.
# The input is {"metrics": [{"resource": ..., "value": "<length>\n"}], ...}: the value is taken
# with sed, so the script needs nothing but a POSIX shell.
per=${JOBS_PER_REPLICA:-5}
length=$(tr -d '\n' | sed -n 's/.*"value": *"\([0-9][0-9]*\).*/\1/p')
if [ -z "$length" ]; then
  echo "no queue length in the metrics" >&2
  exit 1
fi
replicas=$(( (length + per - 1) / per ))
[ "$replicas" -lt 1 ] && replicas=1
echo "{\"targetReplicas\": $replicas}"
