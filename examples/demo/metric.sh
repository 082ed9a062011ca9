#!/bin/sh
# Per-pod metric of the demo: the queue length this pod sees, i.e. the shop's total queue
# (the file named by $1, changed by the demo script as "load") shared by the running pods.
input=$(cat)
total=$(cat "$1")
pods=$(cat "$2")
echo $(( total / (pods > 0 ? pods : 1) ))
