#!/bin/sh
# The notification benchmark: does a slow receiver slow decisions?  One
# `approvald run --once` over ORDERS pending orders (default 1,000) behind
# appxite-sandbox --latency-ms 20, rules conf/rules.yaml, with
#   none: no notify section;
#   ok:   a target for every event, answering 200 at once;
#   500:  the same target answering 500 (each post tried 5 times);
#   hang: the same target never answering (each attempt times out).
# Rounds alternate the four so that the machine's noise falls on all of
# them; prints each run's cycle time (approvald_cycle_duration_seconds: the
# decisions, without the up to 5 s the exit then waits for notifications)
# and wall time, and per mode the median cycle time and its ratio to none.
#   tests/bench/run-notify.sh [BUILD_DIR] [ROUNDS] [ORDERS]   (default: build, 5, 1000)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/sandbox-env.sh"
build=${1:-"$top/build"}
rounds=${2:-5}
orders=${3:-1000}
tmp=$(mktemp -d /tmp/approvald-bench.XXXXXX)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

sandbox_credentials "$tmp/credentials"
for mode in ok 500 hang; do
    python3 "$top/tests/daemon/notify-receiver.py" --port-file "$tmp/$mode.port" \
        --log /dev/null --mode "$mode" 2>/dev/null &
    pids="$pids $!"
done
for mode in ok 500 hang; do
    i=0
    while [ ! -s "$tmp/$mode.port" ]; do
        i=$((i + 1))
        [ $i -lt 100 ] || { echo "run-notify: the $mode receiver did not start"; exit 1; }
        sleep 0.05
    done
done

echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)," \
    "kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$tmp/results"
r=0
while [ $r -lt "$rounds" ]; do
    r=$((r + 1))
    for mode in none ok 500 hang; do
        sandbox_start "$build/appxite-sandbox" "$tmp/sandbox.out" --seed "$orders" \
            --latency-ms 20 || exit 1
        sb=$SANDBOX_PID
        sandbox_rules "$top" "$SANDBOX_URL" "$tmp/credentials" "$tmp/rules.yaml"
        printf 'metrics: {textfile: %s/metrics.prom}\n' "$tmp" >>"$tmp/rules.yaml"
        if [ "$mode" != none ]; then
            cat >>"$tmp/rules.yaml" <<YAML
notify:
  targets:
    - url: http://127.0.0.1:$(cat "$tmp/$mode.port")/hook
      events: [hold, reject, manual, stale_hold, api_down, timeout]
YAML
        fi
        rm -rf "$tmp/state"
        mkdir "$tmp/state"
        start=$(date +%s%N)
        "$build/approvald" run -c "$tmp/rules.yaml" --once --state-dir "$tmp/state" \
            2>"$tmp/log" || { tail -n 5 "$tmp/log"; exit 1; }
        wall=$(( ($(date +%s%N) - start) / 1000000 ))
        cycle=$(sed -n 's/^approvald_cycle_duration_seconds //p' "$tmp/metrics.prom")
        kill "$sb"
        wait "$sb" 2>/dev/null || true
        echo "round $r $mode: cycle ${cycle}s, wall ${wall} ms"
        echo "$mode $cycle" >>"$tmp/results"
    done
done
python3 - "$tmp/results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    mode, s = line.split()
    runs.setdefault(mode, []).append(float(s))
base = statistics.median(runs["none"])
for mode in ("none", "ok", "500", "hang"):
    m = statistics.median(runs[mode])
    print(f"{mode:5} median cycle {m:.3f} s  ratio to none {m / base:.2f}")
PY
