#!/bin/sh
# SIGTERM while an approve call is on the wire and that call then fails
# (503): it is not sent again (no new call after a stop), and the daemon
# exits 0 at once instead of retrying until the 10 s grace runs out.  The
# intent stays open for the next start.
. "$(dirname "$0")/lib.sh"

start_stub slow-503
write_rules 100 4
"$APPROVALD" run -c "$T/rules.yaml" --state-dir "$T/state" 2>>"$T/daemon.log" &
DAEMON_PID=$!
i=0
until grep -q '^GET /orders?' "$T/stub.log"; do
    i=$((i + 1))
    [ $i -lt 200 ] || fail "no listing after 10 s"
    sleep 0.05
done
sleep 0.5 # the approve call is now on the wire (the stub answers after 1.5 s)
start=$(date +%s%N)
kill -TERM "$DAEMON_PID"
set +e
wait "$DAEMON_PID"
rc=$?
set -e
DAEMON_PID=""
took=$(( ($(date +%s%N) - start) / 1000000 ))
posts=$(grep -c '^POST /orders/ORD-1/approve' "$T/stub.log" || true)
echo "stopped in $took ms; approve sent $posts time(s)"
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc"
[ "$posts" = 1 ] || fail "the approve call was sent $posts times"
[ "$took" -lt 4000 ] || fail "stopping took $took ms"
open=$("$APPROVALD" journal dump --state-dir "$T/state" | grep -c '"outcome"' || true)
[ "$open" = 0 ] || fail "an outcome was journaled for a call that failed"
echo ok
