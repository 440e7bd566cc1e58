#!/bin/sh
# The state folder on a tiny tmpfs fills up mid-run: the run stops with no
# call resting on an intent that was not synced; with room again, a restart
# decides every order exactly once.  Needs a mount namespace (root, or
# unshare allowed); elsewhere the faultfs shim's ENOSPC stands in for the
# full file system, and the test says so.
if [ -z "${IN_MOUNT_NS:-}" ] && [ "$(id -u)" = 0 ] && unshare --mount true 2>/dev/null; then
    exec env IN_MOUNT_NS=1 unshare --mount sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$HERE/journal-fault-lib.sh"

start_sandbox --seed 300
write_rules 50 8
fetch_orders
expected
if [ -n "${IN_MOUNT_NS:-}" ]; then
    mount -t tmpfs -o size=16k,mode=0700 approvald-test "$T/state" || fail "cannot mount a tmpfs"
    trap 'umount "$T/state" 2>/dev/null; cleanup' EXIT
    faulty_run full
    grep -q 'No space left on device' "$T/full.log" || fail "full: no ENOSPC reported"
    mount -o remount,size=4m "$T/state" || fail "cannot grow the tmpfs"
else
    echo "no mount namespace here (not root, or unshare refused): ENOSPC from the faultfs shim"
    faulty_run full FAULT_WRITE_ENOSPC_FROM=100
    expect_fault full 'write #100 .*No space left on device'
fi
[ "$RC" != 0 ] || fail "full: exit 0 with the file system full"
clean_runs
echo "ok: no space left"
