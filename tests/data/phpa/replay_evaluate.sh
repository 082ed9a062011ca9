#!/bin/sh
# User logic for the replay tests: one replica per 2 units of demand (at least 1).
v=$(sed -n 's/.*"value": *"\([0-9.eE+-]*\)".*/\1/p')
awk -v v="$v" 'BEGIN { n = int(v / 2); if (n * 2 < v) n++; if (n < 1) n = 1; printf "{\"targetReplicas\": %d}\n", n }'
