#!/bin/sh
# User logic whose behaviour a test switches between runs: $1 is a file holding the mode, $2 the
# file printed in mode "ok", $3 a file the pids of background processes are appended to.
case "$(cat "$1")" in
  ok) cat "$2" ;;
  huge) exec head -c 2147483648 /dev/zero ;;  # 2 GiB
  yes) exec yes ;;                             # without end
  holds-output)                                # a background process keeps stdout open
    sleep 1000 &
    echo $! >> "$3"
    cat "$2" ;;
  closes-output)                               # a background process outlives the call
    sleep 1000 >/dev/null 2>&1 </dev/null &
    echo $! >> "$3"
    cat "$2" ;;
  signal) kill -KILL $$ ;;
  *) echo "unknown mode" >&2; exit 2 ;;
esac
