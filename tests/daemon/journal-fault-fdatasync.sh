#!/bin/sh
# fdatasync() on the journal fails from its 4th call: the run stops with no
# call resting on an unsynced intent.  A second run with every sync failing
# must not act on what it reads from the journal (journal_open syncs first:
# issue 14, item 2): no call at all.  A restart without faults then decides
# every order exactly once.
. "$(dirname "$0")/lib.sh"
. "$HERE/journal-fault-lib.sh"

start_sandbox --seed 300
write_rules 50 8
fetch_orders
expected
faulty_run run1 FAULT_FDATASYNC_FROM=4
expect_fault run1 'fdatasync #4 .*Input/output error'
[ "$RC" != 0 ] || fail "run1: exit 0 with fdatasync failing"
faulty_run run2 FAULT_FDATASYNC_FROM=1
expect_fault run2 'fdatasync #1 .*Input/output error'
[ "$RC" = 75 ] || fail "run2: exit $RC with fdatasync failing at open, want 75"
cmp -s "$T/run2.before.json" "$T/run2.after.json" || fail "run2 changed the sandbox's orders"
clean_runs
echo "ok: fdatasync failures"
