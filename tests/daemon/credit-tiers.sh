#!/bin/sh
# Two approving parties (issue 9): distributor and seller.
# - Our approve while the distributor has not decided leaves the order
#   pending: it is journaled as waiting on other parties, never called
#   again in later cycles, and counts in the exposure meanwhile.
# - The distributor rejects it after our approve: the exposure drops, and
#   the next order of that customer that fits only without it is approved.
# - The distributor approves first: our approve leaves the order Approved.
. "$(dirname "$0")/lib.sh"

printf '[]\n' >"$T/none.json"
start_sandbox --orders "$T/none.json" --tiers distributor,seller
cat >"$T/rules.yaml" <<YAML
version: 1
api:
  base_url: $URL
  token_url: $URL/oauth2/token
  credentials_dir: $T/creds
poll:
  interval: 1s
credit:
  window: 30d
  default: {EUR: 3000}
rules:
  - name: credit limit
    when: {over_credit_limit: true}
    then: reject
    reason: over the credit limit
default: approve
YAML
# the request shape under test (SHAPE, lib.sh): nothing for the default
sed -i "/^  credentials_dir:/r $HERE/shapes/$SHAPE.yaml" "$T/rules.yaml"
# new CUSTOMER PRICE: creates an order of one line, prints its id
new() {
    curl -sf -H 'Content-Type: application/json' -d "{\"customer\":{\"id\":\"$1\"},
        \"currency\":\"EUR\",\"items\":[{\"offerId\":\"O\",\"sku\":\"S\",\"quantity\":1,
        \"unitPrice\":$2}]}" "$URL/_sandbox/orders" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
field() { # ID FIELD: the order's FIELD in the sandbox's stats
    stats
    python3 -c 'import json,sys
o=json.load(open(sys.argv[1]))["orders"][sys.argv[2]]
print(o[sys.argv[3]] if sys.argv[3] in o else o["approvals"][sys.argv[3]])' "$T/stats.json" "$1" "$2"
}

A=$(new CUS-1 2000)
run_once
[ "$RC" = 0 ] || fail "run 1 exited $RC"
[ "$(field "$A" status)" = PendingApproval ] || fail "$A is $(field "$A" status) after our approve"
[ "$(field "$A" seller)" = Approved ] || fail "our approve of $A did not reach the sandbox"
"$APPROVALD" journal dump --state-dir "$T/state" | grep "\"order_id\":\"$A\"" |
    grep -q '"final_status":"PendingApproval"' || fail "$A not journaled as waiting on others"

B=$(new CUS-1 1500)  # 2000 + 1500 > 3000: rejected while A counts
run_once
run_once
[ "$(field "$A" approveCalls)" = 1 ] || fail "$A called $(field "$A" approveCalls) times"
[ "$(field "$B" status)" = Rejected ] || fail "$B is $(field "$B" status): A's pending approval did not count"

python3 "$HERE/credit.py" party "$URL" "$A" distributor reject || fail "the distributor cannot reject $A"
C=$(new CUS-1 1500)  # fits only without A
run_once
[ "$RC" = 0 ] || fail "run 4 exited $RC"
[ "$(field "$C" seller)" = Approved ] || fail "$C: our decision is $(field "$C" seller): A's rejection did not drop it from the exposure"
"$APPROVALD" journal dump --state-dir "$T/state" | grep "\"order_id\":\"$A\"" |
    grep -q '"final_status":"Rejected"\|"status":"Rejected"' || fail "A's final rejection is not journaled"

D=$(new CUS-2 100)
python3 "$HERE/credit.py" party "$URL" "$D" distributor approve || fail "the distributor cannot approve $D"
run_once
[ "$(field "$D" status)" = Approved ] || fail "$D is $(field "$D" status) after both approved"
"$APPROVALD" journal dump --state-dir "$T/state" | grep "\"order_id\":\"$D\"" |
    grep -q '"final_status":"Approved"' || fail "$D's outcome is not Approved"
echo ok
