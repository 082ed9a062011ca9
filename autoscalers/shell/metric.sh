#!/bin/sh
# Metric: the queue length, a whole number in the file $QUEUE_FILE. The input JSON on stdin (the
# target) is not needed. A missing or malformed file is an error: nothing is scaled.
file=${QUEUE_FILE:-/var/run/queue/length}
if [ ! -r "$file" ]; then
  echo "queue length file $file is missing or unreadable" >&2
  exit 1
fi
length=$(tr -d ' \n' < "$file")
case $length in
  ''|*[!0-9]*) echo "queue length file $file holds '$length', not a whole number" >&2; exit 1 ;;
esac
echo "$length"
