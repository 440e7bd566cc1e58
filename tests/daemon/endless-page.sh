#!/bin/sh
# A listing whose body never ends: the client stops reading at its 8 MiB
# cap (in the write callback, not after buffering it all), logs why, keeps
# nothing, calls nothing, and --once exits 75 (the API could not be read).
. "$(dirname "$0")/lib.sh"

start_stub endless-page
write_rules 100 4
run_once
[ "$RC" = 75 ] || fail "--once exited $RC, want 75"
grep -q 'error: listing pending orders (page 1) failed: response body over 8 MiB' \
    "$T/daemon.log" || fail "the cap was not reported"
sent=$(awk '/^GET \/orders\?status=PendingApproval/ {print $5}' "$T/stub.log" | head -n 1)
echo "the stub wrote $sent bytes before the client hung up"
[ "$sent" -lt $((16 << 20)) ] || fail "the client read $sent bytes"
if grep -q '^POST /orders/' "$T/stub.log"; then fail "a call was made"; fi
echo ok
