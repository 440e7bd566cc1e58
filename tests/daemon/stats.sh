#!/bin/sh
# Issue 12's acceptance for `approvald stats`: after one --once over 1,000
# seeded orders, `stats --json` agrees with the sandbox's own counts of
# approvals, rejections and orders left pending (held), and with the
# amounts of the orders it approved (from its order list), with no call
# open.  Then a person decides two held orders in the portal and a second
# --once learns it: they count as manual decisions, the holds waiting
# drop by two, and the rest is unchanged.  The table says the same, and a
# window that ends before the run counts nothing.
. "$(dirname "$0")/lib.sh"

# check [MANUAL]: approvald stats --json against the sandbox
check() {
    stats
    fetch_orders
    "$APPROVALD" stats --state-dir "$T/state" --json >"$T/approvald-stats.json" ||
        fail "approvald stats --json failed"
    python3 "$HERE/../stats-check.py" sandbox "$T/approvald-stats.json" "$T/stats.json" \
        "$T/orders.json" "$@" || fail "approvald stats disagrees with the sandbox"
}

start_sandbox --seed 1000
write_rules 100 8
run_once
[ "$RC" = 0 ] || fail "--once exited $RC"
check
# Both decisions, holds and several rules took part, so the test means something.
python3 - "$T/approvald-stats.json" <<'PY' || fail "the run decided too little to test"
import json, sys
s = json.load(open(sys.argv[1]))
d = s["decisions"]
assert d["approve"] >= 100 and d["reject"] >= 10 and d["hold"] >= 2, d
assert len(s["rules"]) >= 3 and len(s["approved"]) >= 2, s
PY

# A person approves one held order and rejects another in the portal.
held=$(python3 -c 'import json,sys
o = json.load(open(sys.argv[1]))["orders"]
print(" ".join(sorted(i for i, v in o.items() if v["status"] == "PendingApproval")[:2]))' \
    "$T/stats.json")
set -- $held
python3 "$HERE/check.py" call "$URL" "$1" approve >/dev/null || fail "cannot approve $1"
python3 "$HERE/check.py" call "$URL" "$2" reject >/dev/null || fail "cannot reject $2"
printf '%s approve\n%s reject\n' "$1" "$2" >"$T/manual.txt"
run_once
[ "$RC" = 0 ] || fail "second --once exited $RC"
check "$T/manual.txt"

"$APPROVALD" stats --state-dir "$T/state" >"$T/table.txt" || fail "approvald stats failed"
total=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["decisions"]["total"])' \
    "$T/approvald-stats.json")
grep -Eq "^ +[0-9]+ +[0-9]+ +[0-9]+ +$total  \(all\)$" "$T/table.txt" ||
    fail "the table's total differs: $(cat "$T/table.txt")"
grep -Eq '^ +2  1 approved, 1 rejected, 0 not found$' "$T/table.txt" ||
    fail "the table's manual decisions: $(cat "$T/table.txt")"
"$APPROVALD" stats --state-dir "$T/state" --json --now 2000-01-01T00:00:00Z >"$T/old.json" ||
    fail "approvald stats --now failed"
grep -q '"decisions":{"approve":0,"reject":0,"hold":0,"total":0}' "$T/old.json" ||
    fail "a window before the run counted: $(cat "$T/old.json")"
echo "ok: $(head -c 160 "$T/approvald-stats.json")..."
