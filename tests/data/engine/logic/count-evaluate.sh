#!/bin/sh
# Evaluates to the number of metrics received (one per pod in per-pod mode) times $1.
input=$(cat)
n=$(printf '%s' "$input" | grep -o '"resource":"[^"]*","value"' | wc -l)
echo "{\"targetReplicas\": $((n * $1))}"
