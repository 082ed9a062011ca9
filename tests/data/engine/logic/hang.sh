#!/bin/sh
# Starts a grandchild in the same process group, records its pid, then hangs.
sleep 60 &
echo $! > "$1"
sleep 60
