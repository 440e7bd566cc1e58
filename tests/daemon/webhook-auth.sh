#!/bin/sh
# A wrong or missing Authorization gets 401 and decides nothing; refusals
# are counted and logged at most once a minute, and counted in STATUS=;
# the value never reaches the log.
. "$(dirname "$0")/lib.sh"
. "$HERE/webhook-lib.sh"

python3 "$HERE/notify-socket.py" "$T/notify.sock" "$T/notify.log" &
NS_PID=$!
trap 'kill $NS_PID 2>/dev/null; cleanup' EXIT
wait_until 100 "the notify socket did not appear" test -S "$T/notify.sock"
NOTIFY_SOCKET=$T/notify.sock
export NOTIFY_SOCKET
start_webhook_setup "Bearer not-the-secret"
id=$($WH create "$URL") || fail "cannot create an order"
# The sandbox's event (wrong value) and its no-auth one for the same order.
curl -sf -H 'Content-Type: application/json' -d "{\"kind\":\"no-auth\",\"id\":\"$id\",\"count\":3}" \
    "$URL/_sandbox/webhook" >/dev/null || fail "cannot queue no-auth events"
ev="{\"eventType\":\"OrderPendingApproval\",\"reqID\":\"$id\"}"
for auth in - "Bearer" "Bearer wh-$$-secreT" "Bearer wh-$$-secret-and-more" "$AUTH "; do
    st=$($WH post "$HOOK" "$auth" "$ev")
    [ "$st" = 401 ] || fail "Authorization '$auth' got $st, not 401"
done
wait_until 100 "the sandbox did not give up its events" sh -c \
    "[ \"\$(curl -sf $URL/_sandbox/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"webhook\"][\"refused\"])')\" = 4 ]"
sleep 1
[ "$(python3 "$HERE/webhook-check.py" decided "$URL" "$id" 0)" = timeout ] ||
    fail "order $id was decided without a valid event"
[ "$(log_count 'cycle done')" = 1 ] || fail "a refused event started a cycle"
[ "$(log_count 'webhook: refused')" = 1 ] || fail "refusals were logged $(log_count 'webhook: refused') times, not once"
grep -q 'wrong or missing Authorization, 401' "$T/daemon.log" || fail "the refusal line does not say why"
! grep -q "not-the-secret\|wh-$$-secret" "$T/daemon.log" || fail "an Authorization value reached the log"

# The right value: decided at once.
st=$($WH post "$HOOK" "$AUTH" "$ev")
[ "$st" = 202 ] || fail "the right Authorization got $st"
ms=$($WH decided "$URL" "$id" 1) || fail "order $id not decided within 1 s of a valid event"
echo "decided $ms ms after the valid event"
status_counts() { grep -qE '^STATUS=Last poll .*; webhook: 1 event, [1-9][0-9]* refused' "$T/notify.log"; }
wait_until 100 "STATUS= does not count the event and the refusals" status_counts
grep '^STATUS=Last poll' "$T/notify.log" | tail -n 1
stop_daemon
echo ok
