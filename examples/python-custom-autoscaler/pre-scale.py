#!/usr/bin/env python3
"""preScale hook of the full example config: logs the decision (to stderr, which the autoscaler
logs because the hook sets logStderr) and lets it proceed (exit 0; a non-zero exit would cancel
the scale)."""
import json
import sys

spec = json.load(sys.stdin)
sys.stderr.write(
    f"scaling {spec['scaleTargetRef']['name']} from {spec.get('currentReplicas')} "
    f"to {spec['targetReplicas']}\n")
