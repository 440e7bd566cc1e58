#!/bin/sh
# Every listed order's status goes through api.statuses: with the status
# filter taken out of api.list.query, the sandbox lists decided orders
# too, and the daemon decides none of them again (SHAPE=next: lower-case
# names).
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 40
write_rules 10 4
run_once
[ "$RC" = 0 ] || fail "first --once exited $RC"
stats
calls=$(python3 "$HERE/check.py" calls "$T/stats.json")
rm -rf "$T/state" && mkdir "$T/state" # nothing journaled: only the status can tell
if grep -q '^  list:' "$T/rules.yaml"; then
    sed -i 's/^  list:/  list:\n    query: {}/' "$T/rules.yaml"
else
    sed -i 's/^  max_parallel:.*/&\n  list: {query: {}}/' "$T/rules.yaml"
fi
"$APPROVALD" check -c "$T/rules.yaml" >/dev/null 2>&1 || fail "check refuses the rules"
run_once
[ "$RC" = 0 ] || fail "second --once exited $RC"
stats
again=$(python3 "$HERE/check.py" calls "$T/stats.json")
[ "$calls" = "$again" ] || fail "decided orders were called again: $((again - calls)) calls"
grep -q 'cycle done: 40 pending listed' "$T/daemon.log" || fail "the 40 orders were not listed"
echo "ok ($SHAPE): $calls calls, none again"
