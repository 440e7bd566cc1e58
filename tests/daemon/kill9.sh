#!/bin/sh
# kill -9 at 20 random moments of a run over 2,000 orders, restarting each
# time: in the end every order is decided exactly as `approvald evaluate`
# decides it, and none was called with two different decisions.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 2000 --latency-ms 10 --rng-seed 3
write_rules 100 8
fetch_orders
expected
kills=0
while [ $kills -lt 20 ]; do
    start_daemon --once
    # 20..400 ms: from before the first call to the middle of a batch
    sleep "0.$(printf '%03d' $(( $(od -An -N2 -tu2 /dev/urandom) % 380 + 20 )))"
    kill -9 "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
    kills=$((kills + 1))
done
for attempt in 1 2 3; do
    run_once
    [ "$RC" = 0 ] && break
done
[ "$RC" = 0 ] || fail "the final --once exited $RC"
# a call on the wire when the process died may be sent again after a
# reconcile (same decision, answered 409): allowed; two decisions are not
CHECK_ALLOW_REPEAT=1 check_decisions
grep -c 'reconciling' "$T/daemon.log" | sed 's/^/runs that reconciled: /'
echo "ok after $kills kills"
