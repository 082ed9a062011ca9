#!/usr/bin/env python3
"""Metric of the kubernetes-metrics example: passes the Kubernetes metrics the autoscaler fetched
(`kubernetesMetrics`, one element per kubernetesMetricSpecs entry) on to the evaluator as JSON."""
import json
import sys

spec = json.load(sys.stdin)
json.dump(spec.get("kubernetesMetrics", []), sys.stdout)
