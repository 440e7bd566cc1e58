#!/bin/sh
# Holds decided in the portal count (issue 9): a first run holds the big
# orders; a person approves every one of them in the portal; 80 new orders
# of the same customers arrive.  A single `run --once` looks the holds up
# before deciding anything, journals each one's final status, and decides
# the 80 exactly as `approvald evaluate` decides them with those approvals
# counted.  Then the same with a running service: a person approves its
# holds between two cycles, and the next cycle counts them.
. "$(dirname "$0")/lib.sh"

credit_start 200 0 4 0

# portal_round NEW SEED: a person approves every held order, NEW orders arrive
portal_round() {
    "$APPROVALD" journal dump --state-dir "$T/state" >"$T/dump.jsonl"
    python3 "$HERE/credit.py" held "$T/dump.jsonl" >"$T/held.txt"
    [ -s "$T/held.txt" ] || fail "nothing was held: the test proves nothing"
    while read -r id; do
        python3 "$HERE/credit.py" party "$URL" "$id" seller approve >/dev/null ||
            fail "cannot approve $id in the portal"
    done <"$T/held.txt"
    python3 "$HERE/credit.py" create "$URL" "$1" "$2"
}

# expect_like_evaluate: every pending order decided as evaluate decides the
# current list, where the orders approved so far (by us or in the portal)
# count as history and rejected ones are left out
expect_like_evaluate() {
    fetch_orders
    python3 -c 'import json,sys
o=[x for x in json.load(open(sys.argv[1])) if x["status"].lower() != "rejected"]
json.dump(o, open(sys.argv[1], "w"))' "$T/orders.json"
}

run_once
[ "$RC" = 0 ] || fail "first --once exited $RC"
portal_round 80 5
expect_like_evaluate
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$APPROVALD" evaluate -c "$T/rules.yaml" --now "$now" <"$T/orders.json" >"$T/expected.jsonl" ||
    fail "approvald evaluate failed"
[ "$(wc -l <"$T/expected.jsonl")" = 80 ] || fail "evaluate sees $(wc -l <"$T/expected.jsonl") pending orders, want 80"
run_once
[ "$RC" = 0 ] || fail "second --once exited $RC"
check_decisions
"$APPROVALD" journal dump --state-dir "$T/state" >"$T/dump.jsonl"
while read -r id; do
    grep -q "\"order_id\":\"$id\".*\"status\":\"Approved\".*\"source\":\"portal\"\|\"order_id\":\"$id\".*\"source\":\"portal\".*\"status\":\"Approved\"" \
        "$T/dump.jsonl" || fail "$id: its approval in the portal is not journaled"
done <"$T/held.txt"
n=$(grep -c 'was approved in the portal' "$T/daemon.log" || true)
[ "$n" = "$(wc -l <"$T/held.txt")" ] || fail "$n portal lines for $(wc -l <"$T/held.txt") holds"

# the same with a running service, between two cycles
: >"$T/daemon.log"
sed -i 's/^  interval: 1s/  interval: 5s/' "$T/rules.yaml"
start_daemon
wait_until 200 "no first cycle" at_least 1 'cycle done'
portal_round 60 6
expect_like_evaluate
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$APPROVALD" evaluate -c "$T/rules.yaml" --now "$now" <"$T/orders.json" >"$T/expected.jsonl" ||
    fail "approvald evaluate failed"
wait_until 300 "the service did not decide the new orders" at_least 3 'cycle done'
stop_daemon
[ "$RC" = 0 ] || fail "the service exited $RC"
check_decisions
echo "ok: $(wc -l <"$T/held.txt") holds approved in the portal, counted before the new orders"
