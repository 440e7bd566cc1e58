#!/bin/sh
# One odd order never stops approvald (issue 8): a page of orders with odd
# data, then 20 good ones.  --once exits 0; every good order is approved;
# an order a rule rejects is rejected even without a customer id (the
# journal keeps it empty); one without the currency that the first rule
# reads is held by the rules; an approval without what it
# needs (an over-long customer id, a negative total, no customer id) and
# ids the journal or a URL cannot carry are held, each with exactly one
# order-problem line naming it; the journal verifies.
. "$(dirname "$0")/lib.sh"

start_stub odd-orders
write_rules 100 4
run_once
[ "$RC" = 0 ] || fail "--once exited $RC, want 0"
approved=$(grep -c '^POST /orders/GOOD-[0-9]*/approve 200' "$T/stub.log" || true)
[ "$approved" = 20 ] || fail "$approved of 20 good orders approved"
grep -q "^POST /orders/ODD-NOCUS-NO/reject 200" "$T/stub.log" || fail "ODD-NOCUS-NO not rejected"
calls=$(grep -c '^POST /orders/' "$T/stub.log" || true)
[ "$calls" = 21 ] || fail "$calls calls, want 22: $(grep '^POST' "$T/stub.log")"
one_problem() { # ID PATTERN: exactly one order-problem line for ID, saying PATTERN
    n=$(grep -c "warning: order $1: held: .*$2" "$T/daemon.log" || true)
    [ "$n" = 1 ] || fail "$n order-problem lines for $1 saying '$2', want 1"
}
one_problem ODD-LONGCUS "over-long (over 1024 bytes) 'customer_id'"
one_problem ODD-NEG "negative 'total'"
one_problem ODD-NOCUS "has no 'customer_id', which rule 'credit limit' reads"
one_problem ODD-NOCUR-NO "has no 'currency', which rule 'big orders need a person' reads"
one_problem '\.' "dot segment"
one_problem '\.\.' "dot segment"
n=$(grep -c "warning: order ODD-LLLL.*: held: the order id is longer than 1024 bytes" \
    "$T/daemon.log" || true)
[ "$n" = 1 ] || fail "the 3000-character id: $n lines"
if grep -q 'cannot append\|cannot decide\|Argument list too long\|Invalid argument' \
    "$T/daemon.log"; then
    fail "a per-order problem reached the journal's error path"
fi
"$APPROVALD" journal verify --state-dir "$T/state" >/dev/null || fail "journal verify failed"
dump=$("$APPROVALD" journal dump --state-dir "$T/state")
printf '%s\n' "$dump" | grep '"ODD-NOCUS-NO"' | grep -q '"customer_id":""' ||
    fail "the rejection without a customer id is not journaled with an empty one"
echo ok
