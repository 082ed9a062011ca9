#!/usr/bin/env python3
"""Evaluator of the python-custom-autoscaler example: the target replica count is the metric.

Input on stdin: {"metrics": [{"resource": "<target>", "value": "<metric output>"}], ...}.
Output: {"targetReplicas": N}. A value that is not a whole number is an error (exit 1), so the
autoscaler scales nothing that run.
"""
import json
import sys


def main():
    spec = json.load(sys.stdin)
    text = spec["metrics"][0]["value"].strip()
    try:
        replicas = int(text)
    except ValueError:
        sys.stderr.write(f"metric value {text!r} is not a whole number\n")
        sys.exit(1)
    json.dump({"targetReplicas": replicas}, sys.stdout)


if __name__ == "__main__":
    main()
