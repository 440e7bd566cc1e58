#!/bin/sh
# A cycle that runs past its bound is logged and ended, so polling never
# stops silently (issue 8): the listing hangs for 30 s; with the bound cut
# to 2 s for the test, --once ends the cycle after about 2 s, says so, and
# exits 75; the service goes on to its next cycle.
. "$(dirname "$0")/lib.sh"

start_stub hang-list
write_rules 100 4
start=$(date +%s)
APPROVALD_TEST_CYCLE_BOUND_S=2 run_once
took=$(( $(date +%s) - start ))
[ "$RC" = 75 ] || fail "--once exited $RC, want 75"
[ "$took" -lt 10 ] || fail "--once took $took s: the bound did not end the cycle"
grep -q 'error: cycle ended after [0-9]* s while [a-z-]*, past its bound' "$T/daemon.log" ||
    fail "the ended cycle is not logged"
: >"$T/daemon.log"
APPROVALD_TEST_CYCLE_BOUND_S=1 start_daemon
wait_until 200 "the service did not start a new cycle after an overrun" \
    at_least 2 'cycle ended after'
stop_daemon
echo ok
