#!/usr/bin/env python3
"""Metric of the python-custom-autoscaler example (runMode per-resource).

Reads the JSON the autoscaler writes to stdin ({"resource": <the target>, "runType": ...}) and
prints the value of the target's `numPods` label: the replica count an operator asks for with
`kubectl label deployment hello-kubernetes numPods=3 --overwrite`.
"""
import json
import sys


def main():
    spec = json.load(sys.stdin)
    labels = spec["resource"].get("metadata", {}).get("labels", {}) or {}
    if "numPods" not in labels:
        sys.stderr.write("the target has no 'numPods' label\n")
        sys.exit(1)
    sys.stdout.write(labels["numPods"])


if __name__ == "__main__":
    main()
