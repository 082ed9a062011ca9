#!/bin/sh
# postScale hook of the demo: remembers the replica count so metric.sh can share the queue.
python3 -c 'import json,sys; print(json.load(sys.stdin)["targetReplicas"])' > "$1"
