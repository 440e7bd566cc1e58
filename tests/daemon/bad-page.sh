#!/bin/sh
# A listing full of bad items (not objects, ids that are not strings,
# amounts of the wrong type or absurd size, a link that is a number, a
# forged log line in an id) and one good order, with a totalCount that
# lies: the good order is approved once, each bad one is held with one
# order-problem line naming it (or its place in the page), nothing else is
# called, no forged line reaches the log, and the cycle ends.
. "$(dirname "$0")/lib.sh"

start_stub bad-page
write_rules 100 4
run_once
[ "$RC" = 0 ] || fail "--once exited $RC"
[ "$(grep -c '^POST /orders/' "$T/stub.log")" = 1 ] || fail "calls: $(grep '^POST' "$T/stub.log")"
grep -q '^POST /orders/ORD-7/approve 200' "$T/stub.log" || fail "ORD-7 not approved"
for i in 1 2 3 4 5; do
    grep -q "warning: listing page 1, item $i: held: .* instead of an id string" \
        "$T/daemon.log" || fail "item $i not logged as held"
done
grep -q 'item 4: held: an order, with a number at /id' "$T/daemon.log" || fail "item 4 unclear"
for id in ORD-2 ORD-3 ORD-5; do
    grep -q "warning: order $id: held: order has " "$T/daemon.log" || fail "$id not held"
done
grep -q 'error: ORD-4: approve link (missing)' "$T/daemon.log" || fail "ORD-4 not refused"
if grep -q '^approvald: info: ORD-9' "$T/daemon.log"; then fail "a forged line was logged"; fi
grep -q 'cycle done: 6 pending listed, 1 approved, 0 rejected, 10 held' "$T/daemon.log" ||
    fail "cycle summary"
echo ok
