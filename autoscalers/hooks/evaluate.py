#!/usr/bin/env python3
"""Evaluate: scale to the number the metric read."""
import json
import sys

spec = json.load(sys.stdin)
print(json.dumps({"targetReplicas": int(spec["metrics"][0]["value"])}))
