#!/usr/bin/env python3
"""Evaluate: the requested replica count, or the current one when no label asks for any.

cpa clamps the result to minReplicas/maxReplicas.
"""
import json
import sys


def main():
    spec = json.load(sys.stdin)
    metric = json.loads(spec["metrics"][0]["value"])
    target = metric["requested"] if metric["requested"] is not None else metric["current"]
    print(json.dumps({"targetReplicas": target}))


if __name__ == "__main__":
    main()
