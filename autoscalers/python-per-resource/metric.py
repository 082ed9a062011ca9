#!/usr/bin/env python3
"""Metric (per-resource): the requested and the current replica count of the target.

Input on stdin: {"resource": <the target object>, "runType": ...}. Output:
{"requested": <label value or null>, "current": <spec.replicas>}.
"""
import json
import sys

LABEL = "autoscaler.example.com/replicas"


def main():
    target = json.load(sys.stdin)["resource"]
    labels = target.get("metadata", {}).get("labels") or {}
    requested = labels.get(LABEL)
    if requested is not None and not requested.isdigit():
        sys.stderr.write(f"label {LABEL} is '{requested}', not a whole number\n")
        sys.exit(1)
    current = target.get("spec", {}).get("replicas", 1)
    print(json.dumps({"requested": int(requested) if requested else None, "current": current}))


if __name__ == "__main__":
    main()
