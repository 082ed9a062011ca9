#!/bin/sh
# Prints its stdin back (the metric input), so tests can see exactly what was sent.
cat
