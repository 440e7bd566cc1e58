#!/bin/sh
# Reconciliation on start: every intent without an outcome is looked up.
# Still pending: the same decision is sent again (reason included).  Already
# in the intended status: recorded done, not called.  Decided otherwise by
# someone else: recorded as such, never called.
. "$(dirname "$0")/lib.sh"
INTENT_WRITE=$3

start_sandbox --seed 5
write_rules 100 8
"$INTENT_WRITE" "$T/state" \
    ORD-000001 approve "journaled before a crash" \
    ORD-000002 reject "journaled reject" \
    ORD-000003 approve "journaled approve" \
    ORD-000004 reject "the journaled reason" || fail "cannot write the intents"
# a person decides two of them in the portal meanwhile
python3 "$HERE/check.py" call "$URL" ORD-000002 approve >/dev/null || fail "approve ORD-000002"
python3 "$HERE/check.py" call "$URL" ORD-000003 approve >/dev/null || fail "approve ORD-000003"
run_once
[ "$RC" = 0 ] || fail "--once exited $RC"
stats
python3 - "$T/stats.json" "$T/daemon.log" <<'PY' || fail "reconciliation"
import json, sys
o = json.load(open(sys.argv[1]))["orders"]
log = open(sys.argv[2]).read()
def calls(i): return (o[i]["status"], o[i]["approveCalls"], o[i]["rejectCalls"])
assert calls("ORD-000001") == ("Approved", 1, 0), calls("ORD-000001")   # sent again
assert calls("ORD-000002") == ("Approved", 1, 0), calls("ORD-000002")   # the person's; ours not sent
assert calls("ORD-000003") == ("Approved", 1, 0), calls("ORD-000003")   # the person's only
assert calls("ORD-000004") == ("Rejected", 0, 1), calls("ORD-000004")   # sent again
assert "ORD-000002: decided by someone else: now Approved" in log
assert "reconciling 4 decisions without an outcome" in log
print("reconciled: resent 2, done 1, decided by someone else 1")
PY
python3 "$HERE/check.py" get "$URL" ORD-000004 | grep -q '"rejectionReason": "the journaled reason"' ||
    fail "the reject was not sent again with the journaled reason"
outcomes=$("$APPROVALD" journal dump --state-dir "$T/state" | grep -c '"outcome"' || true)
[ "$outcomes" -ge 4 ] || fail "only $outcomes outcomes journaled"
run_once
[ "$RC" = 0 ] || fail "second --once exited $RC"
grep -c 'reconciling' "$T/daemon.log" | grep -qx 1 || fail "the second run reconciled again"
echo ok
