#!/bin/sh
# An approve call answered with a redirect: not followed (the Location
# never gets a request, so neither the token nor the subscription key goes
# there), logged as an API error naming the order, the intent left open,
# and --once exits 75.
. "$(dirname "$0")/lib.sh"

start_stub redirect
write_rules 100 4
run_once
[ "$RC" = 75 ] || fail "--once exited $RC, want 75"
grep -q '^POST /orders/ORD-1/approve 307' "$T/stub.log" || fail "no approve call"
if grep -q ' /steal ' "$T/stub.log"; then fail "the redirect was followed"; fi
grep -q 'error: ORD-1: approve call failed: HTTP 307' "$T/daemon.log" || fail "not logged"
outcomes=$("$APPROVALD" journal dump --state-dir "$T/state" | grep -c '"outcome"' || true)
[ "$outcomes" = 0 ] || fail "an outcome was journaled"
echo ok
