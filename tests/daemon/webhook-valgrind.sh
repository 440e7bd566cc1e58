#!/bin/sh
# Valgrind over the service with its webhook receiver: events, refusals,
# a body past the cap, a connection dropped mid-request, a reload and a
# stop; no leak, no error.
. "$(dirname "$0")/lib.sh"
. "$HERE/webhook-lib.sh"

command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed"; exit 77; }
start_daemon() {
    valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
        --log-file="$T/valgrind.log" \
        "$APPROVALD" run -c "$T/rules.yaml" --state-dir "$T/state" 2>>"$T/daemon.log" &
    DAEMON_PID=$!
}
start_webhook_setup
for i in 1 2 3; do
    id=$($WH create "$URL") || fail "cannot create an order"
    $WH decided "$URL" "$id" 20 >/dev/null || fail "$id not decided under valgrind"
done
[ "$($WH post "$HOOK" - '{}')" = 401 ] || fail "no 401"
[ "$($WH post "$HOOK" "$AUTH" '{"eventType":')" = 400 ] || fail "no 400"
[ "$($WH post "$HOOK" "$AUTH" '{"eventType":"OrderPendingApproval","reqID":""}')" = 202 ] || fail "odd id not 202"
[ "$($WH post "$HOOK" "$AUTH" '{}' text/plain)" = 400 ] || fail "text/plain not 400"
python3 - "$PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: x\r\nContent-Length: 100\r\n\r\n{\"a\"")
s.close()
PY
head -c 200000 /dev/zero | curl -s -o /dev/null -H "Authorization: $AUTH" -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary @- "$HOOK" || true
kill -HUP "$DAEMON_PID"
sleep 1
stop_daemon
[ "$RC" = 0 ] || { cat "$T/valgrind.log" >&2; fail "approvald under valgrind exited $RC"; }
grep -E 'ERROR SUMMARY|definitely|indirectly' "$T/valgrind.log" | sed 's/^==[0-9]*== //'
echo ok
