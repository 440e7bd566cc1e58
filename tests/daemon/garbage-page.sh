#!/bin/sh
# A listing answered 200 with something that is not JSON (a maintenance
# page): the error says so rather than "no items array", nothing is
# called, and --once exits 75.
. "$(dirname "$0")/lib.sh"

start_stub garbage-page
write_rules 100 4
run_once
[ "$RC" = 75 ] || fail "--once exited $RC, want 75"
grep -q 'error: listing pending orders (page 1) failed: the answer is not JSON' \
    "$T/daemon.log" || fail "unclear error"
if grep -q '^POST /orders/' "$T/stub.log"; then fail "a call was made"; fi
echo ok
