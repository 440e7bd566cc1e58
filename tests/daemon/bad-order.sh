#!/bin/sh
# Reconciling an open intent when GET /orders/{id} answers 200 with
# something that is not an order: the error names the order and says what
# was wrong with the answer (not a bare "HTTP 200"), nothing is sent, the
# intent stays open, and --once exits 75.
. "$(dirname "$0")/lib.sh"
INTENT_WRITE=$3

start_stub bad-order
write_rules 100 4
"$INTENT_WRITE" "$T/state" ORD-1 approve "journaled before a crash" || fail "cannot write the intent"
run_once
[ "$RC" = 75 ] || fail "--once exited $RC, want 75"
grep -q 'error: ORD-1: order lookup failed: the answer is not an order' "$T/daemon.log" ||
    fail "no clear error naming ORD-1"
if grep -q '^POST /orders/ORD-1' "$T/stub.log"; then fail "ORD-1 was called"; fi
outcomes=$("$APPROVALD" journal dump --state-dir "$T/state" | grep -c '"outcome"' || true)
[ "$outcomes" = 0 ] || fail "an outcome was journaled"
echo ok
