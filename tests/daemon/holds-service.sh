#!/bin/sh
# Issue 10, item 2 while the service runs: `approve` and `reject` find the
# journal locked and ask the daemon through its control socket
# (DIR/control); the daemon journals the manual intent (manual:LOGIN, the
# reason), makes one call in its own loop and answers with the outcome.
# `holds` reads the journal beside the running daemon.  A second approve
# and an unknown order get their exit codes; the journal verifies, and a
# restart calls nothing again.
. "$(dirname "$0")/lib.sh"

python3 "$HERE/credit.py" gen 120 0 7 >"$T/orders.json"
start_sandbox --orders "$T/orders.json"
sed -e "s#@URL@#$URL#g" -e "s#@CREDS@#$T/creds#g" -e "s#@REFRESH@#0#g" \
    "$HERE/credit-rules.yaml.in" >"$T/rules.yaml"
# What the daemon tells systemd, from a NOTIFY_SOCKET of our own
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)  # ends on its own once the daemon is gone (a failed test waits for it)
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
        f.flush()
' "$T/notify.sock" "$T/notify.log" &
NOTIFY_PID=$!
wait_until 200 "no notify listener" test -S "$T/notify.sock"
NOTIFY_SOCKET=$T/notify.sock start_daemon
wait_until 200 "no first cycle" at_least 1 'cycle done'
# STATUS=: the holds waiting and the oldest one's age (item 5)
status_has() { grep '^STATUS=Last poll' "$T/notify.log" | tail -n 1 | grep -q "$1"; }
wait_until 200 "no STATUS= with the holds: $(grep STATUS= "$T/notify.log" | tail -n 1)" \
    status_has ', 1[0-9] held (oldest [0-9]*[smhd])'
[ -S "$T/state/control" ] || fail "no control socket in the state folder"
[ "$(stat -c %a "$T/state/control")" = 600 ] || fail "the control socket is not 0600"

"$APPROVALD" holds --json --state-dir "$T/state" >"$T/holds.json" || fail "holds failed"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/holds.json")
[ "$n" -ge 2 ] || fail "$n holds: the test proves nothing"
X=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["id"])' "$T/holds.json")
Y=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[1]["id"])' "$T/holds.json")

"$APPROVALD" approve "$X" --reason "checked by phone" -c "$T/rules.yaml" \
    --state-dir "$T/state" >"$T/out" 2>&1 || fail "approve through the service failed: $(cat "$T/out")"
grep -q "$X: approve done (HTTP 200): now Approved (through the running service)" "$T/out" ||
    fail "approve said: $(cat "$T/out")"
grep -q "$X: approve by $(id -un) (manual decision): checked by phone" "$T/daemon.log" ||
    fail "the daemon did not log the manual decision"
stats
python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))["orders"][sys.argv[2]]; assert o["status"] == "Approved" and o["approveCalls"] == 1, o' \
    "$T/stats.json" "$X" || fail "not one approve call"

set +e
"$APPROVALD" approve "$X" --reason "again" -c "$T/rules.yaml" --state-dir "$T/state" >"$T/out" 2>&1; rc=$?
[ $rc = 65 ] && grep -q "already decided" "$T/out" || fail "a second approve: $rc $(cat "$T/out")"
"$APPROVALD" approve ORD-NOSUCH --reason "x" -c "$T/rules.yaml" --state-dir "$T/state" >"$T/out" 2>&1; rc=$?
[ $rc = 66 ] && grep -q "unknown order" "$T/out" || fail "an unknown order: $rc $(cat "$T/out")"
set -e
"$APPROVALD" reject "$Y" --reason "no answer from the customer" -c "$T/rules.yaml" \
    --state-dir "$T/state" >"$T/out" 2>&1 || fail "reject through the service failed: $(cat "$T/out")"
stats
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["orders"]; assert s[sys.argv[2]]["approveCalls"] == 1 and s[sys.argv[3]]["rejectCalls"] == 1 and s[sys.argv[3]]["status"] == "Rejected", s[sys.argv[3]]' \
    "$T/stats.json" "$X" "$Y" || fail "not one reject call, or the approve called again"
"$APPROVALD" holds --json --state-dir "$T/state" | grep -q "\"$X\"\|\"$Y\"" && fail "decided orders still listed"

wait_until 200 "no cycle after the decisions" at_least 3 'cycle done'
held_now=$(grep '^STATUS=Last poll' "$T/notify.log" | tail -n 1 | sed -n 's/.*, \([0-9]*\) held (oldest.*/\1/p')
[ "$held_now" = $((n - 2)) ] || fail "STATUS= says $held_now held after 2 of $n were decided"
kill "$NOTIFY_PID"
stop_daemon
[ "$RC" = 0 ] || fail "the daemon exited $RC"
[ ! -e "$T/state/control" ] || fail "the control socket was left behind"
"$APPROVALD" journal dump --state-dir "$T/state" >"$T/dump.jsonl"
grep -q "\"type\":\"intent\",\"order_id\":\"$X\",\"decision\":\"approve\",\"rule\":\"manual:$(id -un)\",\"reason\":\"checked by phone\"" "$T/dump.jsonl" ||
    fail "no manual intent for $X"
grep -q "\"type\":\"intent\",\"order_id\":\"$Y\",\"decision\":\"reject\",\"rule\":\"manual:" "$T/dump.jsonl" ||
    fail "no manual intent for $Y"
[ "$(grep -c "\"type\":\"intent\",\"order_id\":\"$X\"" "$T/dump.jsonl")" = 1 ] || fail "$X journaled twice"
"$APPROVALD" journal verify --state-dir "$T/state" >/dev/null || fail "journal verify failed"
run_once
[ "$RC" = 0 ] || fail "the restart exited $RC"
stats
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["orders"]; assert s[sys.argv[2]]["approveCalls"] == 1 and s[sys.argv[3]]["rejectCalls"] == 1' \
    "$T/stats.json" "$X" "$Y" || fail "a restart called a manually decided order again"
echo "ok: $X approved and $Y rejected through the running service, once each"
