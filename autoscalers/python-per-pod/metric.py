#!/usr/bin/env python3
"""Metric (per-pod): the pod's available capacity, read from the pod over HTTP.

Input on stdin: {"resource": <the pod>, "runType": ...}. The URL is METRIC_URL with {podIP},
{podName} and {namespace} filled in (default http://{podIP}:8080/capacity); the pod answers
{"available": <free work slots>}. Output: {"pod": <name>, "available": <n>}.
"""
import json
import os
import sys
import urllib.error
import urllib.request


def main():
    pod = json.load(sys.stdin)["resource"]
    meta = pod.get("metadata", {})
    ip = pod.get("status", {}).get("podIP", "")
    template = os.environ.get("METRIC_URL", "http://{podIP}:8080/capacity")
    url = template.format(podIP=ip, podName=meta.get("name", ""),
                          namespace=meta.get("namespace", ""))
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            available = json.load(reply)["available"]
    except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
        sys.stderr.write(f"pod {meta.get('name')}: cannot read capacity from {url}: {e}\n")
        sys.exit(1)
    if not isinstance(available, int) or available < 0:
        sys.stderr.write(f"pod {meta.get('name')}: capacity {available!r} is not a count\n")
        sys.exit(1)
    print(json.dumps({"pod": meta.get("name"), "available": available}))


if __name__ == "__main__":
    main()
