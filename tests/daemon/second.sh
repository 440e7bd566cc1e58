#!/bin/sh
# A second approvald on the same state directory refuses to start; SIGHUP
# reloads valid rules and keeps the old ones on a broken file; SIGTERM stops
# the daemon with exit 0.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 50
write_rules 100 8
"$APPROVALD" run -c "$T/rules.yaml" --state-dir "$T/state" 2>>"$T/daemon.log" &
DAEMON_PID=$!
i=0
until grep -q 'cycle done' "$T/daemon.log"; do
    i=$((i + 1))
    [ $i -lt 200 ] || fail "the daemon did not finish its first cycle"
    sleep 0.05
done

set +e
"$APPROVALD" run -c "$T/rules.yaml" --once --state-dir "$T/state" 2>"$T/second.log"
rc=$?
set -e
[ "$rc" = 75 ] || fail "the second instance exited $rc, not 75"
grep -q 'another approvald is running' "$T/second.log" || fail "unclear refusal: $(cat "$T/second.log")"

cp "$T/rules.yaml" "$T/rules.good"
printf 'rules:\n  - name: x\n    then: aprove\n' >>"$T/rules.yaml"
kill -HUP "$DAEMON_PID"
i=0
until grep -q 'reload of .* refused' "$T/daemon.log"; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "a broken reload was not refused"
    sleep 0.05
done
kill -0 "$DAEMON_PID" || fail "the daemon died on a broken reload"
cp "$T/rules.good" "$T/rules.yaml"
kill -HUP "$DAEMON_PID"
i=0
until grep -q 'reloaded ' "$T/daemon.log"; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "a valid reload was not applied"
    sleep 0.05
done

# after a reload, held orders are decided (and logged) again
cycles=$(grep -c 'cycle done' "$T/daemon.log")
i=0
until [ "$(grep -c 'cycle done' "$T/daemon.log")" -gt $((cycles + 1)) ]; do # a whole cycle after
    i=$((i + 1))
    [ $i -lt 200 ] || fail "no whole cycle after the reload"
    sleep 0.05
done
before=$(awk '/reloaded /{exit} /: hold by /{n++} END{print n+0}' "$T/daemon.log")
after=$(grep -c ': hold by ' "$T/daemon.log" || true)
[ "$before" -gt 0 ] && [ "$after" = $((before * 2)) ] ||
    fail "held orders: $before logged before the reload, $after after (want twice)"

kill -TERM "$DAEMON_PID"
set +e
wait "$DAEMON_PID"
rc=$?
set -e
DAEMON_PID=""
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc, not 0"
grep -q 'stopping on SIGTERM' "$T/daemon.log" || fail "no stop logged"
echo "ok: second instance refused (75), reloads, clean stop"
