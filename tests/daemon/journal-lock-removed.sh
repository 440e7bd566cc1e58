#!/bin/sh
# Removing STATE/lock under a running daemon ("cleaning a stale lock") must
# not let a second approvald start on the same state folder: the lock that
# counts is on the folder itself (issue 14, item 1).
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 51
write_rules 100 8
start_daemon
wait_until 200 "the daemon did not finish its first cycle" at_least 1 'cycle done'

rm -f "$T/state/lock"
set +e
timeout 30 "$APPROVALD" run -c "$T/rules.yaml" --once --state-dir "$T/state" 2>"$T/second.log"
rc=$?
set -e
[ "$rc" = 75 ] || fail "with the lock file removed, a second instance exited $rc, not 75: $(cat "$T/second.log")"
grep -q 'another approvald is running' "$T/second.log" || fail "unclear refusal: $(cat "$T/second.log")"
kill -0 "$DAEMON_PID" || fail "the first daemon died"

stop_daemon
[ "$RC" = 0 ] || fail "SIGTERM: exit $RC, not 0"
"$APPROVALD" journal verify --state-dir "$T/state" >"$T/verify.out" 2>&1 ||
    fail "journal verify: $(cat "$T/verify.out")"
echo "ok: a second instance is refused with the lock file removed"
