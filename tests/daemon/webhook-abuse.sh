#!/bin/sh
# Bad JSON, 10 MiB bodies, 40 slow-loris connections and 1,000 events for
# one (held) order, all at once, do not stop or slow the decisions of other
# orders: each is still decided within 1 s of its creation.
. "$(dirname "$0")/lib.sh"
. "$HERE/webhook-lib.sh"

start_webhook_setup
held=$($WH create "$URL" C9 30000) || fail "cannot create the big order"
wait_until 100 "the big order was not held" at_least 1 "$held: hold"
$WH abuse "$HOOK" "$AUTH" "$held" 6 >"$T/abuse.json" 2>"$T/abuse.err" &
ABUSE=$!
curl -sf -H 'Content-Type: application/json' -d '{"kind":"bad-json","count":20}' \
    "$URL/_sandbox/webhook" >/dev/null || fail "cannot queue bad-json events"
sleep 1
for i in 1 2 3 4 5; do
    out=$($WH create-decided "$URL" 1) || fail "order $i not decided within 1 s under abuse ($out)"
    echo "order $i: $out ms"
    sleep 0.5
done
wait $ABUSE || fail "the abuse helper failed: $(cat "$T/abuse.err")"
cat "$T/abuse.json"
python3 - "$T/abuse.json" <<'PY' || fail "the receiver's answers"
import json, sys
c = json.load(open(sys.argv[1]))
assert c.get("dup:202") == 1000, c
assert c.get("badjson:400", 0) > 0 and not any(k.startswith("badjson:") and k != "badjson:400" for k in c), c
assert any(k in c for k in ("10MiB:413", "10MiB:reset")), c
assert not any(k.startswith("10MiB:2") for k in c), c
assert c.get("loris-held", 0) + c.get("loris-closed", 0) == 40, c
PY
kill -0 "$DAEMON_PID" || fail "the daemon died"
# the held order's 1,000 events started no cycle: one per created order,
# and the first one
[ "$(log_count 'cycle done')" -le 8 ] || fail "$(log_count 'cycle done') cycles: the duplicate events started some"
[ "$(log_count 'webhook: refused')" = 1 ] || fail "refusals logged $(log_count 'webhook: refused') times"
stop_daemon
[ "$RC" = 0 ] || fail "the daemon exited $RC"
echo ok
