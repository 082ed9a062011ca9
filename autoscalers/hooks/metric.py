#!/usr/bin/env python3
"""Metric (per-resource): the target's `numPods` label, the replica count asked for."""
import json
import sys

labels = json.load(sys.stdin)["resource"].get("metadata", {}).get("labels") or {}
if "numPods" not in labels:
    sys.stderr.write("the target has no 'numPods' label\n")
    sys.exit(1)
print(labels["numPods"])
