#!/bin/sh
# kill -9 at 20 random moments of a run over 2,000 orders, restarting each
# time: in the end every order is decided exactly as `approvald evaluate`
# decides it, and none was called with two different decisions.  The orders
# are recent, so that the bootstrap and a refresh every second (the Approved
# and Rejected orders of the window listed again) run between the kills.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 2000 --latency-ms 10 --rng-seed 3 \
    --seed-start "$(date -u -d '-3 hours' +%Y-%m-%dT%H:%M:%SZ)"
write_rules 100 8
sed -i 's/^  window: 30d$/  window: 30d\n  refresh: 1s/' "$T/rules.yaml"
grep -q '^  refresh: 1s' "$T/rules.yaml" || fail "no refresh in the rules"
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
grep -c 'refresh done' "$T/daemon.log" | sed 's/^/refreshes done: /'
at_least 1 'bootstrap done' || fail "no bootstrap finished"
at_least 2 'refresh done' || fail "fewer than two refreshes ran between the kills"
echo "ok after $kills kills"
