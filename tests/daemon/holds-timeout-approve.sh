#!/bin/sh
# Issue 10, item 4: `then: approve` goes through the one approval policy
# and the credit limits.  Limit 2,500 EUR per customer:
#  - A: 800 approved by the rules, 1,500 held: 2,300 fits, approved by
#    timeout (one approve call), counted in A's exposure from then on;
#  - B: 900 approved, 1,700 held: 2,600 would pass the limit, stays held,
#    said once (not every cycle);
#  - C: 1,200 USD held: no limit in USD counts as over, stays held;
# each decision by timeout is posted as a `timeout` notification.
. "$(dirname "$0")/lib.sh"

python3 - "$T/orders.json" <<'PY'
import json, sys, time
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
def order(oid, cus, total, cur="EUR"):
    return {"id": oid, "status": "PendingApproval", "createdAt": now,
            "customer": {"id": cus, "name": "Customer " + cus, "countryCode": "SE"},
            "currency": cur, "price": {"total": total, "currency": cur},
            "items": [{"offerId": "OFF-1", "sku": "SKU-1", "name": "Seat", "quantity": 1,
                       "unitPrice": total, "total": total}]}
json.dump([order("ORD-A1", "CUS-A", 800), order("ORD-A2", "CUS-A", 1500),
           order("ORD-B1", "CUS-B", 900), order("ORD-B2", "CUS-B", 1700),
           order("ORD-C2", "CUS-C", 1200, "USD")], open(sys.argv[1], "w"))
PY
start_sandbox --orders "$T/orders.json"
start_receiver rx ok
cat >"$T/rules.yaml" <<YAML
version: 1
api:
  base_url: $URL
  token_url: $URL/oauth2/token
  credentials_dir: $T/creds
poll: {interval: 1s}
credit:
  refresh: 0
  default: {EUR: 2500}
notify:
  targets:
    - {url: "http://127.0.0.1:$(cat "$T/rx.port")/t", events: [timeout]}
rules:
  - name: big orders need a person
    when: {total_above: 1000}
    then: hold
default: approve
holds:
  timeout: {after: 1s, then: approve, reason: "Approved: nobody objected within a second"}
YAML
sed -i "/^  credentials_dir:/r $HERE/shapes/$SHAPE.yaml" "$T/rules.yaml"

run_once
[ "$RC" = 0 ] || fail "the first run exited $RC"
sleep 1.1
start_daemon
a2_approved() {
    stats
    python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["orders"]["ORD-A2"]["status"] != "Approved")' "$T/stats.json"
}
wait_until 200 "ORD-A2 was not approved by timeout" a2_approved
sleep 2.5 # two more cycles of the service, a poll a second
stop_daemon
[ "$RC" = 0 ] || fail "the service exited $RC"
[ "$(log_count 'cycle done')" -ge 3 ] || fail "fewer than three cycles ran"
stats
python3 - "$T/stats.json" <<'PY' || fail "not decided as the policy says"
import json, sys
s = json.load(open(sys.argv[1]))["orders"]
want = {"ORD-A1": "Approved", "ORD-A2": "Approved", "ORD-B1": "Approved",
        "ORD-B2": "PendingApproval", "ORD-C2": "PendingApproval"}
for i, st in want.items():
    assert s[i]["status"] == st, (i, s[i])
assert s["ORD-A2"]["approveCalls"] == 1 and s["ORD-A2"]["rejectCalls"] == 0, s["ORD-A2"]
assert s["ORD-B2"]["approveCalls"] == 0 and s["ORD-C2"]["approveCalls"] == 0
PY
"$APPROVALD" journal dump --state-dir "$T/state" | grep '"order_id":"ORD-A2"' |
    grep -q '"type":"intent".*"decision":"approve","rule":"timeout:1s","reason":"Approved: nobody objected within a second"' ||
    fail "no timeout intent for ORD-A2"
[ "$(log_count 'ORD-A2: approved by timeout')" = 1 ] || fail "ORD-A2 not logged once as approved by timeout"
grep -q 'ORD-B2: holds.timeout ran out but cannot approve it: exposure 900.00 + 1700.00 would pass the limit 2500.00 EUR; it stays held' \
    "$T/daemon.log" || fail "ORD-B2's refusal not said"
grep -q "ORD-C2: holds.timeout ran out but cannot approve it: no credit limit in USD" "$T/daemon.log" ||
    fail "ORD-C2's refusal not said"
[ "$(log_count 'ORD-B2: holds.timeout ran out')" = 1 ] || fail "ORD-B2's refusal not said exactly once"
"$APPROVALD" holds --json --state-dir "$T/state" >"$T/holds.json"
python3 -c 'import json,sys; h=json.load(open(sys.argv[1])); assert sorted(x["id"] for x in h) == ["ORD-B2", "ORD-C2"], h' \
    "$T/holds.json" || fail "holds: $(cat "$T/holds.json")"
python3 - "$T/rx.jsonl" <<'PY' || fail "the timeout notification is wrong"
import json, sys
posts = [json.loads(l)["body"] for l in open(sys.argv[1])]
assert len(posts) == 1, posts
p = posts[0]
assert p["event"] == "timeout" and p["order"] == "ORD-A2" and p["decision"] == "approve", p
assert p["rule"] == "timeout:1s" and p["total"] == "1500.00" and p["customer"] == "CUS-A", p
PY
# A's exposure now holds both orders: explain a next order of A
cat >"$T/next.json" <<JSON
{"id":"ORD-A3","status":"PendingApproval","createdAt":"$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "customer":{"id":"CUS-A","name":"x","countryCode":"SE"},"currency":"EUR",
 "price":{"total":1,"currency":"EUR"},
 "items":[{"offerId":"OFF-1","sku":"SKU-1","name":"Seat","quantity":1,"unitPrice":1,"total":1}]}
JSON
sed -i 's/^rules:$/rules:\n  - {name: limit, when: {over_credit_limit: true}, then: reject}/' "$T/rules.yaml"
"$APPROVALD" explain --json -c "$T/rules.yaml" --state-dir "$T/state" "$T/next.json" |
    grep -q 'exposure 2300.00 + 1.00' || fail "the timeout approval does not count in A's exposure"
echo ok
