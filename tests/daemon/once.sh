#!/bin/sh
# 1,000 seeded orders, one --once: the sandbox's stats show exactly the
# decisions `approvald evaluate` gives on the same orders, each order called
# at most once; a second --once makes no call.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 1000
write_rules 100 8
fetch_orders
expected
run_once
[ "$RC" = 0 ] || fail "first --once exited $RC"
check_decisions
calls=$(python3 "$HERE/check.py" calls "$T/stats.json")
run_once
[ "$RC" = 0 ] || fail "second --once exited $RC"
stats
again=$(python3 "$HERE/check.py" calls "$T/stats.json")
[ "$calls" = "$again" ] || fail "the second --once made $((again - calls)) calls"
grep -q 'cycle done: 1000 pending listed' "$T/daemon.log" || fail "not all 1000 orders listed"
echo "ok: $calls calls, none on the second run"
