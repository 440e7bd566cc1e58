#!/bin/sh
# --dry-run, and mode: dry-run: orders decided and logged, zero approve or
# reject calls, and no intent written to the journal.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 300
write_rules 100 8
run_once --dry-run
[ "$RC" = 0 ] || fail "--dry-run exited $RC"
write_rules 100 8 dry-run
run_once
[ "$RC" = 0 ] || fail "mode: dry-run exited $RC"
stats
calls=$(python3 "$HERE/check.py" calls "$T/stats.json")
[ "$calls" = 0 ] || fail "$calls approve/reject calls in dry-run"
grep -q 'dry run: not sent' "$T/daemon.log" || fail "no dry-run decision logged"
records=$("$APPROVALD" journal dump --state-dir "$T/state" | wc -l)
[ "$records" = 0 ] || fail "$records journal records written in dry-run"
echo "ok: $(grep -c 'dry run: not sent' "$T/daemon.log") decisions logged, no call, no record"
