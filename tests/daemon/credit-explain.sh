#!/bin/sh
# `approvald explain --state-dir` (issue 9): for every order the daemon
# decided, explain with the daemon's journal, at the daemon's time of
# decision (--now), gives the daemon's decision: the history it reads is
# the daemon's as it stood then (the 150 approvals of the bootstrap
# included, the order's own and later ones left out).  Without
# --state-dir it says the history is empty.
. "$(dirname "$0")/lib.sh"

credit_start 600 150 21 1h
run_once
[ "$RC" = 0 ] || fail "--once exited $RC"
"$APPROVALD" journal dump --state-dir "$T/state" >"$T/dump.jsonl"
python3 - "$APPROVALD" "$T" <<'PY' || fail "explain --state-dir disagrees with the daemon"
import json, subprocess, sys, time
approvald, t = sys.argv[1], sys.argv[2]
orders = {o["id"]: o for o in json.load(open(t + "/orders.json"))}
decided = {}
for line in open(t + "/dump.jsonl"):
    r = json.loads(line)
    if r["type"] == "intent" and r["order_id"] not in decided:
        decided[r["order_id"]] = (r["decision"], r["time"])
    elif r["type"] == "hold" and r["order_id"] not in decided:
        decided[r["order_id"]] = ("hold", r["time"])
bad, kinds = 0, {}
for oid, (want, when) in decided.items():
    with open(t + "/order.json", "w") as f:
        json.dump(orders[oid], f)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
    out = subprocess.run([approvald, "explain", "-c", t + "/rules.yaml", "--json", "--now", now,
                          "--state-dir", t + "/state", t + "/order.json"],
                         capture_output=True, text=True)
    got = json.loads(out.stdout)
    kinds[want] = kinds.get(want, 0) + 1
    if got["decision"] != want or got["history"] != t + "/state" or not got["historyBeforeThisOrder"]:
        bad += 1
        if bad <= 5:
            print(oid, "daemon:", want, "explain:", got["decision"], got["reason"], file=sys.stderr)
print(f"{len(decided)} decisions explained ({kinds}), {bad} differ")
assert kinds.get("reject", 0) > 0 and kinds.get("approve", 0) > 0, "nothing to tell apart"
sys.exit(1 if bad else 0)
PY
first=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[400]))' "$T/orders.json")
printf '%s\n' "$first" >"$T/one.json"
"$APPROVALD" explain -c "$T/rules.yaml" "$T/one.json" | head -n 1 | grep -q 'with an empty history' ||
    fail "without --state-dir, explain does not say the history is empty"
"$APPROVALD" explain -c "$T/rules.yaml" --state-dir "$T/state" "$T/one.json" | head -n 1 |
    grep -q "with the daemon's history from the journal in $T/state" ||
    fail "with --state-dir, explain does not say whose history it used"
echo ok
