#!/bin/sh
# Issue 10, items 1 and 2 with no service running: `approvald holds` lists
# the journaled holds (fields, oldest first, JSON keys); `approve` and
# `reject` decide one by hand with one call each, journaled first with the
# operator's login and the reason; the manual approval counts in the
# customer's exposure; a second decision of the same order, an unknown
# order and a bad reason are refused with their own exit codes, no call.
. "$(dirname "$0")/lib.sh"

python3 "$HERE/credit.py" gen 120 0 7 >"$T/orders.json"
start_sandbox --orders "$T/orders.json"
sed -e "s#@URL@#$URL#g" -e "s#@CREDS@#$T/creds#g" -e "s#@REFRESH@#0#g" \
    "$HERE/credit-rules.yaml.in" >"$T/rules.yaml"

# no journal yet: nothing waits
[ "$("$APPROVALD" holds --json --state-dir "$T/state")" = "[]" ] || fail "holds without a journal"

run_once
[ "$RC" = 0 ] || fail "the run exited $RC"
"$APPROVALD" journal dump --state-dir "$T/state" >"$T/dump.jsonl"
python3 "$HERE/credit.py" held "$T/dump.jsonl" >"$T/held.txt"
[ -s "$T/held.txt" ] || fail "nothing held: the test proves nothing"
"$APPROVALD" holds --json --state-dir "$T/state" >"$T/holds.json" || fail "holds --json failed"
python3 - "$T/holds.json" "$T/held.txt" "$T/orders.json" <<'PY' || fail "holds --json is wrong"
import json, re, sys
holds = json.load(open(sys.argv[1]))
held = open(sys.argv[2]).read().split()
orders = {o["id"]: o for o in json.load(open(sys.argv[3]))}
keys = {"id", "customer", "customerName", "total", "currency", "rule", "reason", "heldSince"}
assert sorted(h["id"] for h in holds) == sorted(held), "not the journal's holds"
for h in holds:
    assert set(h) == keys, h
    o = orders[h["id"]]
    assert h["customer"] == o["customer"]["id"] and h["customerName"] == o["customer"]["name"], h
    assert re.fullmatch(r"\d+\.\d\d", h["total"]) and float(h["total"]) == o["price"]["total"], h
    assert h["currency"] == "EUR" and h["rule"] == "big orders need a person", h
    assert h["reason"] == "over 1,000 EUR", h
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", h["heldSince"]), h
since = [(h["heldSince"], h["id"]) for h in holds]
assert since == sorted(since), "not oldest first"
PY
"$APPROVALD" holds --state-dir "$T/state" >"$T/holds.txt" || fail "holds (table) failed"
grep -q "$(head -n 1 "$T/held.txt").*big orders need a person: over 1,000 EUR" "$T/holds.txt" ||
    fail "the table lacks a hold"

X=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["id"])' "$T/holds.json")
Y=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[1]["id"])' "$T/holds.json")
CUS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["customer"])' "$T/holds.json")
TOTAL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["total"])' "$T/holds.json")

# the exposure a next order of the customer sees, before and after
cat >"$T/next.json" <<JSON
{"id":"ORD-NEXT","status":"PendingApproval","createdAt":"$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "customer":{"id":"$CUS","name":"x","countryCode":"SE"},"currency":"EUR",
 "price":{"total":1,"currency":"EUR"},
 "items":[{"offerId":"OFF-1","sku":"SKU-1","name":"Seat","quantity":1,"unitPrice":1,"total":1}]}
JSON
exposure() {
    "$APPROVALD" explain --json -c "$T/rules.yaml" --state-dir "$T/state" "$T/next.json" |
        sed -n 's/.*"exposure \([0-9.]*\) + .*/\1/p'
}
before=$(exposure)
[ -n "$before" ] || fail "explain shows no exposure"

# bad reasons: refused before anything
set +e
"$APPROVALD" approve "$X" -c "$T/rules.yaml" --state-dir "$T/state" 2>"$T/err"; rc=$?
[ $rc = 64 ] || fail "approve without --reason exited $rc"
"$APPROVALD" approve "$X" --reason "" -c "$T/rules.yaml" --state-dir "$T/state" 2>"$T/err"; rc=$?
[ $rc = 64 ] && grep -q '1 to 500 characters' "$T/err" || fail "an empty reason: $rc"
long=$(python3 -c 'print("é" * 501)')
"$APPROVALD" approve "$X" --reason "$long" -c "$T/rules.yaml" --state-dir "$T/state" 2>"$T/err"; rc=$?
[ $rc = 64 ] || fail "a 501-character reason exited $rc"
ok500=$(python3 -c 'print("checked by phone " + "é" * 483)')
set -e
stats
calls_before=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["orders"]; print(sum(o["approveCalls"]+o["rejectCalls"] for o in s.values()))' "$T/stats.json")

"$APPROVALD" approve "$X" --reason "$ok500" -c "$T/rules.yaml" \
    --state-dir "$T/state" >"$T/out" 2>>"$T/daemon.log" || fail "approve failed: $(cat "$T/out")"
grep -q "$X: approve done (HTTP 200): now Approved" "$T/out" || fail "approve said: $(cat "$T/out")"
stats
python3 - "$T/stats.json" "$X" "$calls_before" <<'PY' || fail "not one approve call"
import json, sys
s = json.load(open(sys.argv[1]))["orders"]
o = s[sys.argv[2]]
assert o["status"] == "Approved" and o["approveCalls"] == 1 and o["rejectCalls"] == 0, o
assert sum(v["approveCalls"] + v["rejectCalls"] for v in s.values()) == int(sys.argv[3]) + 1
PY
me=$(id -un)
"$APPROVALD" journal dump --state-dir "$T/state" | grep "\"order_id\":\"$X\"" >"$T/x.jsonl"
grep -q "\"type\":\"intent\",\"order_id\":\"$X\",\"decision\":\"approve\",\"rule\":\"manual:$me\",\"reason\":\"checked by phone " "$T/x.jsonl" ||
    fail "no manual intent journaled: $(cat "$T/x.jsonl")"
grep -q '"type":"outcome".*"final_status":"Approved"' "$T/x.jsonl" || fail "no outcome journaled"
"$APPROVALD" holds --json --state-dir "$T/state" | grep -q "\"$X\"" && fail "$X still listed as held"

after=$(exposure)
python3 -c 'import sys; b, a, t = map(float, sys.argv[1:]); assert abs(a - b - t) < 0.001, (b, a, t)' \
    "$before" "$after" "$TOTAL" || fail "exposure $before -> $after, not + $TOTAL"

# a second approve: explained, exit 65, no call
set +e
"$APPROVALD" approve "$X" --reason "again" -c "$T/rules.yaml" --state-dir "$T/state" >"$T/out" 2>&1; rc=$?
set -e
[ $rc = 65 ] && grep -q "already decided" "$T/out" || fail "a second approve: $rc $(cat "$T/out")"
stats
python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))["orders"][sys.argv[2]]; assert o["approveCalls"] == 1, o' \
    "$T/stats.json" "$X" || fail "a second approve made a call"

# reject: the reason goes to AppXite
"$APPROVALD" reject "$Y" --reason "no answer from the customer" -c "$T/rules.yaml" \
    --state-dir "$T/state" >"$T/out" 2>>"$T/daemon.log" || fail "reject failed: $(cat "$T/out")"
stats
python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))["orders"][sys.argv[2]]; assert o["status"] == "Rejected" and o["rejectCalls"] == 1, o' \
    "$T/stats.json" "$Y" || fail "not one reject call"

# an unknown order: exit 66, nothing journaled
n=$("$APPROVALD" journal dump --state-dir "$T/state" | wc -l)
set +e
"$APPROVALD" approve ORD-NOSUCH --reason "x" -c "$T/rules.yaml" --state-dir "$T/state" 2>"$T/err"; rc=$?
set -e
[ $rc = 66 ] && grep -q "unknown order" "$T/err" || fail "an unknown order: $rc $(cat "$T/err")"
[ "$("$APPROVALD" journal dump --state-dir "$T/state" | wc -l)" = "$n" ] || fail "an unknown order was journaled"

# the next cycle sees the manual decisions and calls nothing again
run_once
[ "$RC" = 0 ] || fail "the run after the manual decisions exited $RC"
stats
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["orders"]; assert s[sys.argv[2]]["approveCalls"] == 1 and s[sys.argv[3]]["rejectCalls"] == 1' \
    "$T/stats.json" "$X" "$Y" || fail "the daemon called a manually decided order again"
"$APPROVALD" journal verify --state-dir "$T/state" >/dev/null || fail "journal verify failed"
echo "ok: holds listed; $X approved and $Y rejected by hand, once each; exposure $before -> $after"
