#!/bin/sh
# A kill -9 during the bootstrap (issue 9): 3,000 orders approved before
# the first start, listed slowly (20 ms a page of 50).  The first start is
# killed mid-bootstrap; the next one finishes it from what was journaled:
# every approved order journaled exactly once, one bootstrap mark.
. "$(dirname "$0")/lib.sh"

credit_start 3000 3000 11 1h --latency-ms 20
start_daemon
journaled() {
    "$APPROVALD" journal dump --state-dir "$T/state" 2>/dev/null | grep -c '"type":"external"' || true
}
wait_until 400 "nothing journaled by the bootstrap" sh -c "[ \$(\"$APPROVALD\" journal dump --state-dir \"$T/state\" 2>/dev/null | grep -c external) -ge 500 ]"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
first=$(journaled)
[ "$first" -lt 3000 ] || fail "the bootstrap had finished before the kill: the test proves nothing"
if "$APPROVALD" journal dump --state-dir "$T/state" | grep -q '"type":"mark"'; then
    fail "a bootstrap mark before the bootstrap finished"
fi
run_once
[ "$RC" = 0 ] || fail "the run after the kill exited $RC"
"$APPROVALD" journal dump --state-dir "$T/state" >"$T/dump.jsonl"
n=$(grep -c '"type":"external"' "$T/dump.jsonl")
[ "$n" = 3000 ] || fail "$n external approvals after the restart, want 3000"
dups=$(grep '"type":"external"' "$T/dump.jsonl" | grep -o '"order_id":"[^"]*"' | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "$dups orders journaled twice"
[ "$(grep -c '"type":"mark"' "$T/dump.jsonl")" = 1 ] || fail "not exactly one mark"
echo "ok: killed after $first of 3000, finished by the next start"
