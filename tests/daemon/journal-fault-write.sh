#!/bin/sh
# write() to the journal fails with EIO, and in another run with ENOSPC,
# part-way through: each run stops with no call resting on an intent that
# was not synced (the failed record is cut off again), and a restart
# without faults decides every order exactly once.
. "$(dirname "$0")/lib.sh"
. "$HERE/journal-fault-lib.sh"

start_sandbox --seed 300
write_rules 50 8
fetch_orders
expected
faulty_run eio FAULT_WRITE_EIO_FROM=130
expect_fault eio 'write #130 .*Input/output error'
[ "$RC" != 0 ] || fail "eio: exit 0 with writes failing"
faulty_run enospc FAULT_WRITE_ENOSPC_FROM=60
expect_fault enospc 'write #60 .*No space left on device'
[ "$RC" != 0 ] || fail "enospc: exit 0 with writes failing"
clean_runs
echo "ok: write EIO and ENOSPC"
