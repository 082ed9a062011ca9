#!/usr/bin/env python3
"""Evaluate of the tweet autoscaler: replicas = thumbs-up tweets - thumbs-down tweets, at least 0
(cpa then clamps it to minReplicas..maxReplicas)."""
import json
import sys

spec = json.load(sys.stdin)
counts = json.loads(spec["metrics"][0]["value"])
print(json.dumps({"targetReplicas": max(counts["up"] - counts["down"], 0)}))
