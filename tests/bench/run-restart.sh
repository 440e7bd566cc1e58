#!/bin/sh
# The restart benchmark (issue 8, acceptance 11): for journals of 10k, 100k
# and 1M decided orders (bench-journal: an intent and an outcome each, all
# within the 30-day credit window), how long `approvald run` takes from its
# start to READY=1 (replaying the journal, rebuilding the history), its RSS
# then, and the wall time and peak RSS of one `run --once` over the same
# state against an empty appxite-sandbox (the cycle finds nothing to do;
# past 64 MiB of journal it ends with a compaction).
#   tests/bench/run-restart.sh [BUILD_DIR] [DECISIONS...]
#       (default: build, 10000 100000 1000000; ROUNDS=3 starts each)
# Needs about 170 bytes of /tmp per decision, and GNU time.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/sandbox-env.sh"
build=${1:-"$top/build"}
[ $# -gt 0 ] && shift
sizes=${*:-"10000 100000 1000000"}
rounds=${ROUNDS:-3}
[ -x /usr/bin/time ] || { echo "run-restart: needs GNU time (apt-get install time)"; exit 1; }

tmp=$(mktemp -d /tmp/approvald-bench.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)," \
    "kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
sandbox_credentials "$tmp/credentials"
sandbox_start "$build/appxite-sandbox" "$tmp/sandbox.out" || exit 1
pid=$SANDBOX_PID
sandbox_rules "$top" "$SANDBOX_URL" "$tmp/credentials" "$tmp/rules.yaml"

for n in $sizes; do
    rm -rf "$tmp/state"
    mkdir "$tmp/state"
    echo "--- $n decisions: $("$build/bench-journal" "$tmp/state" "$n")"
    python3 "$top/tests/bench/restart.py" "$build/approvald" "$tmp/rules.yaml" "$tmp/state" \
        "$rounds"
    /usr/bin/time -v "$build/approvald" run -c "$tmp/rules.yaml" --once \
        --state-dir "$tmp/state" 2>"$tmp/log" || { grep '^approvald' "$tmp/log" | tail -n 5; exit 1; }
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/log")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/log")
    echo "run --once: wall $wall, peak RSS $((rss / 1024)) MiB ($rss KiB)"
done
