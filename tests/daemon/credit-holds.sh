#!/bin/sh
# Holds persist (issue 9): a hold is journaled with the order's facts and
# the digest of the rules that held it.  A restart with the same rules
# decides no held order again and logs none again (a comment in the file
# changes nothing); a reload whose rules differ decides every hold again
# and logs each new outcome once.  `journal dump` shows the holds.
. "$(dirname "$0")/lib.sh"

credit_start 120 0 7 0
run_once
[ "$RC" = 0 ] || fail "first run exited $RC"
held=$(grep -c 'hold by rule "big orders need a person"' "$T/daemon.log" || true)
[ "$held" -gt 0 ] || fail "nothing held: the test proves nothing"
"$APPROVALD" journal dump --state-dir "$T/state" >"$T/dump.jsonl"
n=$(grep -c '"type":"hold"' "$T/dump.jsonl" || true)
[ "$n" = "$held" ] || fail "$n hold records for $held holds"
grep '"type":"hold"' "$T/dump.jsonl" | head -n 1 | grep -q '"customer_id":"CUS-' ||
    fail "a hold record lacks the order's facts"

printf '# a comment changes no decision\n' >>"$T/rules.yaml"
: >"$T/daemon.log"
run_once
[ "$RC" = 0 ] || fail "restart exited $RC"
again=$(grep -c 'hold by' "$T/daemon.log" || true)
[ "$again" = 0 ] || fail "a restart with the same rules logged $again holds again"
[ "$(grep -c '"type":"hold"' "$("$APPROVALD" journal dump --state-dir "$T/state" >"$T/dump2.jsonl"; echo "$T/dump2.jsonl")")" = "$n" ] ||
    fail "a restart with the same rules journaled holds again"

# the service, reloaded with a rule that decides differently
: >"$T/daemon.log"
start_daemon
wait_until 200 "no first cycle" at_least 1 'cycle done'
[ "$(log_count 'hold by')" = 0 ] || fail "the service logged holds its journal has"
sed -i 's/total_above: 1000/total_above: 1500/' "$T/rules.yaml"
kill -HUP "$DAEMON_PID"
wait_until 200 "no reload" at_least 1 'reloaded .*journaled holds will be decided again'
wait_until 200 "the holds were not decided again" at_least 2 'cycle done'
sleep 1.5 # another cycle: nothing is logged twice
stop_daemon
redecided=$(grep -c 'ORD-[0-9]*: \(approve\|reject\|hold\) by' "$T/daemon.log" || true)
[ "$redecided" = "$held" ] || fail "$redecided decisions after the reload for $held holds"
dups=$(grep -o 'ORD-[0-9]*: \(approve\|reject\|hold\) by' "$T/daemon.log" | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "$dups orders logged twice after the reload"
echo "ok: $held holds kept across a restart, decided again once after a reload"
