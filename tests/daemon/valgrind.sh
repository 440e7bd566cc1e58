#!/bin/sh
# Valgrind over a --once run of 1,000 orders: no leak, no error.
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed"; exit 77; }
start_sandbox --seed 1000
write_rules 100 8
set +e
valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
    --error-exitcode=99 --log-file="$T/valgrind.log" \
    "$APPROVALD" run -c "$T/rules.yaml" --once --state-dir "$T/state" 2>>"$T/daemon.log"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/valgrind.log" >&2; fail "approvald under valgrind exited $rc"; }
grep -q 'cycle done: 1000 pending listed' "$T/daemon.log" || fail "the run did not list 1000 orders"
grep -E 'ERROR SUMMARY|definitely|indirectly' "$T/valgrind.log" | sed 's/^==[0-9]*== //'
echo ok
