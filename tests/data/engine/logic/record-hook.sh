#!/bin/sh
# Appends "<hook name> <stdin JSON>" as one line to the file $2.
printf '%s ' "$1" >> "$2"
cat >> "$2"
echo >> "$2"
