#!/bin/sh
# A second approvald on the same state directory refuses to start; SIGHUP
# reloads valid rules and keeps the old ones on a broken file; SIGTERM stops
# the daemon with exit 0.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 50
write_rules 100 8
start_daemon
wait_until 200 "the daemon did not finish its first cycle" at_least 1 'cycle done'

set +e
"$APPROVALD" run -c "$T/rules.yaml" --once --state-dir "$T/state" 2>"$T/second.log"
rc=$?
set -e
[ "$rc" = 75 ] || fail "the second instance exited $rc, not 75"
grep -q 'another approvald is running' "$T/second.log" || fail "unclear refusal: $(cat "$T/second.log")"

cp "$T/rules.yaml" "$T/rules.good"
printf 'rules:\n  - name: x\n    then: aprove\n' >>"$T/rules.yaml"
kill -HUP "$DAEMON_PID"
wait_until 100 "a broken reload was not refused" at_least 1 'reload of .* refused'
kill -0 "$DAEMON_PID" || fail "the daemon died on a broken reload"
cp "$T/rules.good" "$T/rules.yaml"
kill -HUP "$DAEMON_PID"
wait_until 100 "a valid reload was not applied" at_least 1 'reloaded '

# after a reload of the same rules, held orders are not decided (nor
# logged) again: their journaled holds carry the same rules' digest
# (tests/daemon/credit-holds.sh reloads other rules)
cycles=$(log_count 'cycle done')
# a whole cycle after the reload
wait_until 200 "no whole cycle after the reload" at_least $((cycles + 2)) 'cycle done'
before=$(awk '/reloaded /{exit} /: hold by /{n++} END{print n+0}' "$T/daemon.log")
after=$(grep -c ': hold by ' "$T/daemon.log" || true)
[ "$before" -gt 0 ] && [ "$after" = "$before" ] ||
    fail "held orders: $before logged before the reload, $after in all (want no more)"
grep -q 'reloaded .* 0 journaled holds will be decided again' "$T/daemon.log" ||
    fail "the reload did not say the holds stand"

stop_daemon
[ "$RC" = 0 ] || fail "SIGTERM: exit $RC, not 0"
grep -q 'stopping on SIGTERM' "$T/daemon.log" || fail "no stop logged"
echo "ok: second instance refused (75), reloads, clean stop"
