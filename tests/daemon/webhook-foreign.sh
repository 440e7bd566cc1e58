#!/bin/sh
# An event for an unknown order, or for an order whose links point to a
# foreign origin, is handled like a listed order: the cycle it starts reads
# the orders from the API; the unknown id decides nothing, the foreign order
# is refused (logged, held) and the foreign origin gets no request.
. "$(dirname "$0")/lib.sh"
. "$HERE/webhook-lib.sh"

start_webhook_setup "$AUTH" --foreign-links 1 --rng-seed 3
[ -n "$FOREIGN" ] || fail "the sandbox started no foreign listener"
curl -sf -H 'Content-Type: application/json' -d '{"kind":"unknown-order","id":"ORD-NOPE","count":2}' \
    "$URL/_sandbox/webhook" >/dev/null || fail "cannot queue unknown-order events"
wait_until 100 "the unknown order's events did not start a cycle" at_least 2 'cycle done'
set -- $(webhook_stats)
[ "$1" = 2 ] || fail "unknown-order events were not answered 2xx: $*"
id=$($WH create "$URL") || fail "cannot create an order"
wait_until 40 "the foreign order was not refused within 2 s" at_least 1 "$id: .*not on api.base_url's origin"
stats
python3 - "$T/stats.json" "$id" <<'PY' || fail "foreign order"
import json, sys
s = json.load(open(sys.argv[1]))
o = s["orders"][sys.argv[2]]
assert o["status"] == "PendingApproval" and o["approveCalls"] == 0, o
assert s["foreignRequests"] == [], s["foreignRequests"][:2]
assert s["webhook"]["delivered"] == 3, s["webhook"]
PY
kill -0 "$DAEMON_PID" || fail "the daemon died"
stop_daemon
[ "$RC" = 0 ] || fail "the daemon exited $RC"
echo ok
