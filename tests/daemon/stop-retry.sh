#!/bin/sh
# SIGTERM while an approve call is on the wire and that call then fails
# (503): it is not sent again (no new call after a stop), and the daemon
# exits 0 at once instead of retrying until the 10 s grace runs out.  The
# intent stays open for the next start.
. "$(dirname "$0")/lib.sh"

start_stub slow-503
write_rules 100 4
start_daemon
wait_until 200 "no listing after 10 s" grep -q '^GET /orders?' "$T/stub.log"
sleep 0.5 # the approve call is now on the wire (the stub answers after 1.5 s)
stop_daemon
posts=$(grep -c '^POST /orders/ORD-1/approve' "$T/stub.log" || true)
echo "stopped in $TOOK_MS ms; approve sent $posts time(s)"
[ "$RC" = 0 ] || fail "SIGTERM: exit $RC"
[ "$posts" = 1 ] || fail "the approve call was sent $posts times"
[ "$TOOK_MS" -lt 4000 ] || fail "stopping took $TOOK_MS ms"
open=$("$APPROVALD" journal dump --state-dir "$T/state" | grep -c '"outcome"' || true)
[ "$open" = 0 ] || fail "an outcome was journaled for a call that failed"
echo ok
