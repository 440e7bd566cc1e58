#!/bin/sh
# The list changes while approvald reads it (SHAPE=page, offset or next):
# a person decides orders in the portal and new orders arrive during the
# listing.  The first --once still decides every seeded order the portal
# left alone exactly as evaluate does (nothing skipped although the pages
# shift), no order is called twice or with both decisions, and a second
# --once decides the orders created meanwhile.  Rules without the credit
# rule, so that each order's decision is its own.
. "$(dirname "$0")/lib.sh"

SEEDED=600
export SEEDED
start_sandbox --seed $SEEDED --latency-ms 15 --rng-seed 11
write_rules 25 4
sed -i '/- name: credit limit/,/reason: Order exceeds/d' "$T/rules.yaml"
fetch_orders
expected
start_daemon --once
python3 "$HERE/moving.py" "$URL" "$DAEMON_PID" "$T/moved.json" &
MOVER=$!
set +e
wait "$DAEMON_PID"
RC=$?
wait "$MOVER" || fail "moving.py failed"
set -e
DAEMON_PID=""
[ "$RC" = 0 ] || fail "the first --once exited $RC"
stats
python3 - "$T/expected.jsonl" "$T/stats.json" "$T/moved.json" <<'PY' || fail "first run"
import json, sys
want = {"approve": "Approved", "reject": "Rejected", "hold": "PendingApproval"}
orders = json.load(open(sys.argv[2]))["orders"]
moved = json.load(open(sys.argv[3]))
portal = set(moved["decided"])
if len(portal) < 3 or len(moved["created"]) < 3:
    sys.exit(f"the list hardly moved during the listing: {moved}")
bad = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    o = orders[e["id"]]
    if e["id"] not in portal and o["status"] != want[e["decision"]]:
        print(f"{e['id']}: {o['status']}, evaluate says {e['decision']}")
        bad += 1
for oid, o in orders.items():
    if o["approveCalls"] + o["rejectCalls"] > 1:
        print(f"{oid}: called {o['approveCalls']} + {o['rejectCalls']} times")
        bad += 1
print(f"first run: {len(portal)} decided in the portal and {len(moved['created'])} created "
      f"mid-listing; {bad} wrong")
sys.exit(1 if bad else 0)
PY
run_once
[ "$RC" = 0 ] || fail "the second --once exited $RC"
fetch_orders
python3 - "$T/orders.json" "$T/moved.json" >"$T/created.json" <<'PY'
import json, sys
created = set(json.load(open(sys.argv[2]))["created"])
out = [dict(o, status="PendingApproval") for o in json.load(open(sys.argv[1]))
       if o["id"] in created]
json.dump(out, sys.stdout)
PY
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$APPROVALD" evaluate -c "$T/rules.yaml" --now "$now" <"$T/created.json" >"$T/expected.jsonl" ||
    fail "approvald evaluate failed"
check_decisions
echo "ok ($SHAPE)"
