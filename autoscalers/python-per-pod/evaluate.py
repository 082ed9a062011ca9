#!/usr/bin/env python3
"""Evaluate: total available capacity against two thresholds.

total < CAPACITY_LOW (default 10): one replica more; total > CAPACITY_HIGH (default 40): one
less; otherwise keep the current count (the number of pods measured).
"""
import json
import os
import sys


def main():
    spec = json.load(sys.stdin)
    low = int(os.environ.get("CAPACITY_LOW", "10"))
    high = int(os.environ.get("CAPACITY_HIGH", "40"))
    if low > high:
        sys.stderr.write(f"CAPACITY_LOW ({low}) is above CAPACITY_HIGH ({high})\n")
        sys.exit(1)
    metrics = [json.loads(m["value"]) for m in spec["metrics"]]
    current = len(metrics)
    total = sum(m["available"] for m in metrics)
    target = current + 1 if total < low else current - 1 if total > high else current
    print(json.dumps({"targetReplicas": max(target, 0), "totalAvailable": total}))


if __name__ == "__main__":
    main()
