#!/bin/sh
# 1,000 pending orders with page_size 50: all decided in one --once, although
# every approval and rejection shifts the later pages.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 1000 --rng-seed 7
write_rules 50 8
fetch_orders
expected
run_once
[ "$RC" = 0 ] || fail "--once exited $RC"
check_decisions
grep -q 'cycle done: 1000 pending listed' "$T/daemon.log" || fail "not all 1000 orders listed"
echo ok
