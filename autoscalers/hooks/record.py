#!/usr/bin/env python3
"""postScale hook: appends one JSON line per scaling to RECORD_FILE.

Input (see the user guide): {"evaluation", "resource", "scaleTargetRef", "namespace",
"minReplicas", "maxReplicas", "currentReplicas", "targetReplicas", "runType"}. cpa runs the hook
after every scale stage (not in dry runs), also when the count did not change: only changes are
recorded. Its output is ignored; a failing hook fails the run (logged with the hook's stderr).
"""
import datetime
import json
import os
import sys


def main():
    spec = json.load(sys.stdin)
    if spec["currentReplicas"] == spec["targetReplicas"]:
        return
    record = {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "namespace": spec["namespace"],
        "target": f'{spec["scaleTargetRef"]["kind"]}/{spec["scaleTargetRef"]["name"]}',
        "from": spec["currentReplicas"],
        "to": spec["targetReplicas"],
        "evaluated": spec["evaluation"]["targetReplicas"],
        "runType": spec["runType"],
    }
    path = os.environ.get("RECORD_FILE", "/var/log/cpa/scaling.jsonl")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
