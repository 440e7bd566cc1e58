#!/bin/sh
# Issue 8, acceptance 9: one enforcing `run --once` over 800 orders, 8 % of
# them spoiled in every way tests/gen-orders.py knows (fields missing,
# three-decimal, string, negative and absurd amounts, texts of 5,000
# characters, ids and customer ids of 3,000, control and bidi characters,
# a NUL in an id, an id listed twice, links on another origin), served as
# they are by orders-api.py:
# - the run exits 0;
# - every well-formed order ends as `approvald evaluate --now` decides it
#   (Approved, Rejected, or still pending for a hold), called once at most;
# - each spoiled order is held (left pending) or decided as evaluate
#   decides it, and exactly one log line matching PROBLEM_LINE names it
#   (at most one for the QUIET kinds);
# - no line forged by a newline in a text reaches the log.
# evaluate reads the orders without the spoiled ones the daemon held: a
# held order never counts in the history, so the rest must agree.
. "$(dirname "$0")/lib.sh"
. "$HERE/orders-lib.sh"

# The lines that report a per-order problem (a regular expression, as
# Python's re reads it): the "order problem" line of a hold, a decision
# line marked "odd order", a refused link; all warnings or errors.
PROBLEM_LINE='^approvald: (warning|error): '
# Kinds the daemon may decide without a problem line: odd but valid by
# docs/rules.md and docs/appxite-api.md (a total as a decimal string, an
# empty items array, no status, long texts and control characters in
# names, which are escaped and cut), and an id listed twice (orders-api.py
# keeps one status per id, so once the first is decided the second leaves
# the listing unseen; and reading an id again is normal paging).  Every
# other kind needs exactly one line.
QUIET=total-string,empty-items,status-missing,long-name,long-item-name,control-name,dup-id

# SPOILED_KINDS=k1,k2 (gen-orders.py's names) narrows it down by hand
N=800
SEED=9
export DECISIONS_ORDERS="$T/orders.json" # decisions.py: name the likely cause

python3 "$GEN" --count $N --spoiled 8 --seed $SEED ${SPOILED_KINDS:+--kinds "$SPOILED_KINDS"} \
    --manifest "$T/manifest.jsonl" >"$T/orders.json"
start_orders_api "$T/orders.json"
write_spoiled_rules 100 8 enforce
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
run_once
[ "$RC" = 0 ] || problem "--once exited $RC"
stats
python3 "$DECISIONS" held-spoiled "$T/stats.json" "$T/manifest.jsonl" "$T/orders.json" \
    >"$T/evaluate-in.json"
evaluate_at "$now" "$T/evaluate-in.json" "$T/expected.jsonl"
python3 "$DECISIONS" stats-vs-evaluate "$T/stats.json" "$T/expected.jsonl" "$T/manifest.jsonl" \
    "$T/daemon.log" "$PROBLEM_LINE" "$QUIET" || problem "orders decided wrongly, or not reported"
if grep -q '^approvald: [a-z]*: ORD-999999' "$T/daemon.log"; then
    problem "a line forged by a newline in an order reached the log"
fi
pending=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["orders"].values()
print(sum(1 for o in s if o["status"] == "PendingApproval"))' "$T/stats.json")
echo "$pending of the $N orders are still pending"
finish
