#!/bin/sh
# paging: next.  (1) nextLink on another origin (--foreign-next-link): the
# first page is decided, the listing then fails as an API error naming the
# link, and no request reaches the foreign listener.  (2) A cursor the
# server forgets mid-listing (DELETE /_sandbox/cursors, answered 410): the
# listing starts again from the first page and still decides every order
# once, as evaluate does.
SHAPE=next
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 60 --foreign-next-link
[ -n "$FOREIGN" ] || fail "the sandbox names no foreign listener"
write_rules 20 4
run_once
[ "$RC" != 0 ] || fail "--once exited 0 although the next link was foreign"
grep -q "next link http://127.0.0.1:[0-9]*/orders?cursor=.* is not on api.base_url's origin" \
    "$T/daemon.log" || fail "the foreign next link is not logged"
stats
python3 - "$T/stats.json" <<'PY' || fail "a request reached the next link's origin"
import json, sys
s = json.load(open(sys.argv[1]))
decided = sum(1 for o in s["orders"].values() if o["approveCalls"] + o["rejectCalls"])
print(f"foreign requests: {len(s['foreignRequests'])}; orders called: {decided}")
sys.exit(1 if s["foreignRequests"] or s["foreignRequestsDropped"] else 0)
PY
kill "$SB_PID"
wait "$SB_PID" 2>/dev/null || true
rm -rf "$T/state" "$T/daemon.log"

# (2): 300 orders in pages of 20, slow enough to forget the cursors mid-way
start_sandbox --seed 300 --latency-ms 20 --rng-seed 4
write_rules 20 4
fetch_orders
expected
start_daemon --once
forgot=0
while kill -0 "$DAEMON_PID" 2>/dev/null && [ $forgot -lt 3 ]; do
    sleep 0.5
    curl -sf -X DELETE "$URL/_sandbox/cursors" >/dev/null && forgot=$((forgot + 1))
done
set +e
wait "$DAEMON_PID"
RC=$?
set -e
DAEMON_PID=""
[ "$RC" = 0 ] || fail "--once exited $RC after the cursors were forgotten"
grep -q 'refused the cursor .* listing again from the first page' "$T/daemon.log" ||
    fail "no listing restarted (cursors forgotten $forgot times)"
check_decisions
echo "ok: restarted $(log_count 'listing again from the first page') times"
