#!/bin/sh
# A listing that never reaches its end (every page the same full page, the
# page number ignored): the two orders are called once each, the listing
# gives up after its page limit, and --once exits 75, since it cannot claim
# that every pending order was decided.
. "$(dirname "$0")/lib.sh"

start_stub same-page
write_rules 2 4
run_once
[ "$RC" = 75 ] || fail "--once exited $RC, want 75"
grep -q 'warning: listing stopped after [0-9]* pages' "$T/daemon.log" || fail "no limit reached"
[ "$(grep -c '^POST /orders/ORD-1/approve' "$T/stub.log")" = 1 ] || fail "ORD-1 not called once"
[ "$(grep -c '^POST /orders/ORD-2/approve' "$T/stub.log")" = 1 ] || fail "ORD-2 not called once"
pages=$(grep -c '^GET /orders?' "$T/stub.log")
echo "$pages pages read"
[ "$pages" -le 40 ] || fail "$pages pages read"
echo ok
