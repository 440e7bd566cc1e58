#!/bin/sh
# --foreign-links 0.1: orders whose links point to another origin are held
# and logged with their id; the foreign listener records zero requests.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 300 --foreign-links 0.1 --rng-seed 11
[ -n "$FOREIGN" ] || fail "the sandbox started no foreign listener"
write_rules 100 8
fetch_orders
run_once
[ "$RC" = 0 ] || fail "--once exited $RC"
stats
python3 - "$T/orders.json" "$T/stats.json" "$T/daemon.log" "$URL" <<'PY' || fail "foreign links"
import json, sys
orders = json.load(open(sys.argv[1]))
stats = json.load(open(sys.argv[2]))
log = open(sys.argv[3]).read()
url = sys.argv[4]
foreign = [o["id"] for o in orders if not o["links"]["approve"].startswith(url + "/")]
assert foreign, "no order with foreign links"
for oid in foreign:
    s = stats["orders"][oid]
    assert s["status"] == "PendingApproval" and s["approveCalls"] == 0 and s["rejectCalls"] == 0, oid
refused = [oid for oid in foreign if f"{oid}: " in log and "not on api.base_url's origin" in log]
assert stats["foreignRequests"] == [], stats["foreignRequests"][:3]
n = sum(1 for line in log.splitlines() if "not on api.base_url's origin" in line)
print(f"{len(foreign)} orders with foreign links, {n} refused in the log (holds are not), "
      "0 foreign requests")
assert n > 0
PY
echo ok
