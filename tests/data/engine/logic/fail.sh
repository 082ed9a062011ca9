#!/bin/sh
echo "partial output"
echo "something went wrong: bad metric" >&2
exit 3
