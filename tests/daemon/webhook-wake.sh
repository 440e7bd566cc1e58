#!/bin/sh
# An order created while the daemon sleeps in a 60 s poll interval is
# decided within 1 s of its creation, through the webhook; late and
# repeated events for decided orders cost no API call; a reload leaves the
# receiver as it was started.
. "$(dirname "$0")/lib.sh"
. "$HERE/webhook-lib.sh"

start_webhook_setup
grep -q 'webhook: listening on 127.0.0.1:' "$T/daemon.log" || fail "no 'listening' line"
for i in 1 2 3; do
    sleep 0.3
    out=$($WH create-decided "$URL" 1) || fail "order $i not decided within 1 s ($out)"
    echo "order $i: $out ms"
done
[ "$(log_count 'cycle done')" -ge 4 ] || fail "three events did not give three more cycles"

# Events for decided orders: answered 202, no request to the API.
stats
before=$(python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1]))["requests"].values()))' "$T/stats.json")
cycles=$(log_count 'cycle done')
ev='{"eventType":"OrderPendingApproval","reqID":"ORD-000001","totalOrderAmount":10,"currency":"EUR"}'
for i in $(seq 20); do
    st=$($WH post "$HOOK" "$AUTH" "$ev")
    [ "$st" = 202 ] || fail "an event for a decided order got $st"
done
sleep 0.5
stats
after=$(python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1]))["requests"].values()))' "$T/stats.json")
[ "$after" = "$before" ] || fail "events for a decided order cost $((after - before)) API requests"
[ "$(log_count 'cycle done')" = "$cycles" ] || fail "events for a decided order started a cycle"
set -- $(webhook_stats)
[ "$1" = 3 ] && [ "$2" = 0 ] && [ "$3" = 0 ] || fail "sandbox webhook counters: $*"
# A reload does not move the receiver: a changed section is logged, and the
# old path still works.
sed -i 's#^  path: /hook$#  path: /other#' "$T/rules.yaml"
kill -HUP "$DAEMON_PID"
wait_until 100 "no line about the changed webhook section" at_least 1 'webhook: the section changed'
id=$($WH create "$URL") || fail "cannot create an order"
$WH decided "$URL" "$id" 1 >/dev/null || fail "after the reload, $id was not decided within 1 s"
stop_daemon
[ "$RC" = 0 ] || fail "the daemon exited $RC"
echo ok
