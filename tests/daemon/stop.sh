#!/bin/sh
# SIGTERM while calls are on the wire: no new call starts, the calls under
# way finish and their outcomes are journaled, the daemon exits 0; the
# intents never sent are reconciled and sent by the next run, each order
# called once in all.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 12 --latency-ms 1000
write_rules 100 4
fetch_orders
expected
APPROVALD_DEBUG=1 start_daemon
# token (1 s), the bootstrap's page of approved orders (1 s), then the
# pending page (1 s), then the first 4 calls go out: wait for both list
# requests and a call to be sent (debug lines), stop mid-call
wait_until 400 "no call sent after 20 s" at_least 3 'http: send api'
sleep 0.2
stop_daemon
[ "$RC" = 0 ] || fail "SIGTERM: exit $RC"
[ "$TOOK_MS" -lt 10000 ] || fail "stopping took $TOOK_MS ms"
stats
called=$(python3 "$HERE/check.py" calls "$T/stats.json")
outcomes=$("$APPROVALD" journal dump --state-dir "$T/state" | grep -c '"outcome"' || true)
intents=$("$APPROVALD" journal dump --state-dir "$T/state" | grep -c '"intent"' || true)
echo "stopped in $TOOK_MS ms: $intents intents, $called calls made, $outcomes outcomes"
[ "$called" -ge 1 ] && [ "$called" -le 4 ] || fail "$called calls: not just those under way"
[ "$outcomes" = "$called" ] || fail "$called calls made but $outcomes outcomes journaled"
[ "$intents" -gt "$called" ] || fail "no intent was left open to test"
run_once
[ "$RC" = 0 ] || fail "the next --once exited $RC"
check_decisions
echo ok
