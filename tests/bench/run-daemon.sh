#!/bin/sh
# The daemon's benchmark: one `approvald run --once` over 10,000 pending
# orders behind appxite-sandbox --latency-ms 20, with max_parallel 32.
# Prints the wall time and peak RSS (GNU time -v) for each page size given.
#   tests/bench/run-daemon.sh [BUILD_DIR] [PAGE_SIZE...]   (default: build, 500 100)
# Goal (docs/performance.md): under 10 s and 32 MiB; not slower than the
# figures of "Before the cycle restructure (issue 8)" there.
# BENCH_ORDERS=100000 gives the 100,000-order memory figure of issue 8.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/sandbox-env.sh"
build=${1:-"$top/build"}
[ $# -gt 0 ] && shift
sizes=${*:-"500 100"}
orders=${BENCH_ORDERS:-10000}
[ -x /usr/bin/time ] || { echo "run-daemon: needs GNU time (apt-get install time)"; exit 1; }

tmp=$(mktemp -d /tmp/approvald-bench.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

sandbox_credentials "$tmp/credentials"

echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)," \
    "kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
for size in $sizes; do
    sandbox_start "$build/appxite-sandbox" "$tmp/sandbox.out" --seed "$orders" \
        --latency-ms 20 || exit 1
    pid=$SANDBOX_PID url=$SANDBOX_URL
    sandbox_rules "$top" "$url" "$tmp/credentials" "$tmp/rules.yaml" \
        -e "s#^\(  max_parallel:\).*#\1 32#" -e "s#^\(  page_size:\).*#\1 $size#"
    rm -rf "$tmp/state"
    mkdir "$tmp/state"
    /usr/bin/time -v "$build/approvald" run -c "$tmp/rules.yaml" --once --state-dir "$tmp/state" \
        2>"$tmp/log" || { grep '^approvald' "$tmp/log" | tail -n 5; exit 1; }
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/log")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/log")
    cycle=$(grep 'cycle done' "$tmp/log" | sed 's/^approvald: info: //')
    lists=$(curl -sf "$url/_sandbox/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(sum(1 for o in s["orders"].values() if o["approveCalls"] + o["rejectCalls"]))')
    echo "page_size $size: wall $wall, peak RSS $((rss / 1024)) MiB ($rss KiB), $lists orders called; $cycle"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
done
