#!/usr/bin/env python3
"""Evaluator of the kubernetes-metrics example: the HPA's ratio rule per metric, largest wins.

For each element of kubernetesMetrics (values in milli-units):
  Resource Utilization: sum(usage) / sum(requests) of the counted pods, against the target %;
  Pods AverageValue:    mean per-pod value against the target;
  External Value:       the value against the target.
replicas = ceil(ratio * pods), with the HPA's 10% tolerance keeping the current count.
"""
import json
import math
import sys

TOLERANCE = 0.1


def milli(quantity):
    """Kubernetes quantity string -> milli-units (enough of the grammar for this example)."""
    text = str(quantity)
    suffixes = {"m": 1, "": 1000, "k": 10**6, "M": 10**9, "G": 10**12}
    for suffix in ("m", "k", "M", "G"):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * suffixes[suffix]
    return float(text) * 1000


def proposal(element):
    current = element["current_replicas"]
    spec = element["spec"]
    if "resource" in element:
        info = element["resource"]
        pods = info["pod_metrics_info"]
        usage = sum(sample["value"] for sample in pods.values())
        requests = sum(info["requests"][name] for name in pods)
        ratio = (usage * 100.0 / requests) / spec["resource"]["target"]["averageUtilization"]
        count = info["ready_pod_count"]
    elif "pods" in element:
        info = element["pods"]
        pods = info["pod_metrics_info"]
        average = sum(sample["value"] for sample in pods.values()) / len(pods)
        ratio = average / milli(spec["pods"]["target"]["averageValue"])
        count = info["ready_pod_count"]
    else:
        info = element["external"]
        ratio = info["current"]["value"] / milli(spec["external"]["target"]["value"])
        count = info.get("ready_pod_count", current)
    if abs(ratio - 1.0) <= TOLERANCE:
        return current
    return math.ceil(ratio * count)


def main():
    spec = json.load(sys.stdin)
    elements = json.loads(spec["metrics"][0]["value"])
    if not elements:
        sys.stderr.write("no Kubernetes metrics were fetched\n")
        sys.exit(1)
    json.dump({"targetReplicas": max(proposal(e) for e in elements)}, sys.stdout)


if __name__ == "__main__":
    main()
