#!/bin/sh
# Issue 12's acceptance for `approvald stats`: after one --once over 1,000
# seeded orders, `stats --json` agrees with the sandbox's own counts of
# approvals and rejections and with the amounts of the orders it approved
# (from its order list), with no call open; the table says the same; and a
# window that ends before the run counts nothing.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 1000
write_rules 100 8
run_once
[ "$RC" = 0 ] || fail "--once exited $RC"
stats
fetch_orders
"$APPROVALD" stats --state-dir "$T/state" --json >"$T/approvald-stats.json" ||
    fail "approvald stats --json failed"
python3 "$HERE/../stats-check.py" sandbox "$T/approvald-stats.json" "$T/stats.json" \
    "$T/orders.json" || fail "approvald stats disagrees with the sandbox"
# The journal's own recount agrees too (rules, calls).
"$APPROVALD" journal dump --state-dir "$T/state" >"$T/dump.jsonl" || fail "journal dump failed"
python3 "$HERE/../stats-check.py" journal "$T/dump.jsonl" "$T/approvald-stats.json" >/dev/null ||
    fail "approvald stats disagrees with its own journal"
# Both decisions and several rules took part, so the test means something.
python3 - "$T/approvald-stats.json" <<'PY' || fail "the run decided too little to test"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["decisions"]["approve"] >= 100 and s["decisions"]["reject"] >= 10, s["decisions"]
assert len(s["rules"]) >= 2 and len(s["approved"]) >= 2, s
PY
"$APPROVALD" stats --state-dir "$T/state" >"$T/table.txt" || fail "approvald stats failed"
total=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["decisions"]["total"])' \
    "$T/approvald-stats.json")
grep -Eq "^ +[0-9]+ +[0-9]+ +$total  \(all\)$" "$T/table.txt" ||
    fail "the table's total differs: $(cat "$T/table.txt")"
"$APPROVALD" stats --state-dir "$T/state" --json --now 2000-01-01T00:00:00Z >"$T/old.json" ||
    fail "approvald stats --now failed"
grep -q '"decisions":{"approve":0,"reject":0,"total":0}' "$T/old.json" ||
    fail "a window before the run counted: $(cat "$T/old.json")"
echo "ok: $(head -c 120 "$T/approvald-stats.json")..."
