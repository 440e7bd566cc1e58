#!/bin/sh
# Short writes to the journal: a whole run with every write() short
# decides everything correctly (the writer continues); then, on fresh
# orders' state, short writes with ENOSPC on a continuation stop the run
# with no call resting on an unsynced intent, and a restart without faults
# decides every order exactly once.
. "$(dirname "$0")/lib.sh"
. "$HERE/journal-fault-lib.sh"

start_sandbox --seed 200
write_rules 50 8
fetch_orders
expected
faulty_run short FAULT_WRITE_SHORT=1
expect_fault short 'write #1 .*short write'
[ "$RC" = 0 ] || fail "short: exit $RC with short writes only"
CHECK_ALLOW_REPEAT=0 check_decisions
"$APPROVALD" journal verify --state-dir "$T/state" || fail "short writes left a bad journal"
kill "$SB_PID"
wait "$SB_PID" 2>/dev/null || true

# A new sandbox and state: short writes, then no space on write #1000.
rm -rf "$T/state"
start_sandbox --seed 200 --rng-seed 7
write_rules 50 8
fetch_orders
expected
faulty_run torn FAULT_WRITE_SHORT=1 FAULT_WRITE_ENOSPC_FROM=1000
expect_fault torn 'write #1000 .*No space left on device'
[ "$RC" != 0 ] || fail "torn: exit 0 with writes failing"
clean_runs
echo "ok: short writes"
