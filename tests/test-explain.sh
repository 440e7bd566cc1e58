#!/bin/sh
# test-explain.sh: `approvald explain` end to end through the built
# program: the rule-by-rule text with the values compared, the same trace
# as JSON, --now, stdin, the missing-field hold, and the exit codes.
#   usage: test-explain.sh APPROVALD DATA_DIR
set -eu

approvald=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
. "$(dirname "$0")/cli-lib.sh"

# 1. Text: every rule down to the one that decides, with the values compared.
rc=0
"$approvald" explain -c "$data/rules.yaml" "$data/order-cus42.json" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "text" 0 "$rc"
cat >"$tmp/expected" <<'END'
order ORD-000123, evaluated at 2026-11-26T10:00:00Z (createdAt), with an empty history
rule 'blocked customers': does not hold
  customer 'CUS-42' in @blocked? no
rule 'embargoed countries': does not hold
  country 'SE' in @embargoed? no
rule 'big orders need a person': does not hold
  total 3100.00 EUR > 25000.00? no
rule 'trusted customers': does not hold
  customer 'CUS-42' in @trusted? no
rule 'credit limit': does not hold
  exposure 0.00 + 3100.00 = 3100.00 > limit 50000.00 EUR: no
rule 'first big order': holds -> hold
  customer 'CUS-42' has no approved order in history? yes
  total 3100.00 EUR > 1000.00? yes
decision: hold by rule 'first big order': Held for a person to decide
END
check "text trace" "$tmp/expected" "$tmp/out"

# 2. The same order from stdin, in JSON, at a fixed time.
rc=0
"$approvald" explain -c "$data/rules.yaml" --json --now 2026-12-01T00:00:00Z - \
        <"$data/order-cus42.json" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "json" 0 "$rc"
tr -d ' \t\n' <"$tmp/out" >"$tmp/flat"
has "json: id and --now" "$tmp/flat" '{"id":"ORD-000123","now":"2026-12-01T00:00:00Z","rules":[{"rule":"blockedcustomers","held":false,"missing":null,'
has "json: credit line" "$tmp/flat" '"text":"exposure0.00+3100.00=3100.00>limit50000.00EUR:no"'
has "json: decision" "$tmp/flat" '"decision":"hold","rule":"firstbigorder","reason":"Heldforapersontodecide","history":null,"historyBeforeThisOrder":false}'
n=$(grep -o '"rule":' "$tmp/flat" | wc -l)
[ "$n" -eq 7 ] && echo "ok: json: six rules and the decision" || { echo "FAIL: json: $n rule keys"; fail=1; }

# 3. Over the limit: a bigger order for a customer with the default limit.
sed -e 's/CUS-42/CUS-5/' -e 's/"total": 3100/"total": 10000.01/' "$data/order-cus42.json" >"$tmp/over.json"
"$approvald" explain -c "$data/rules.yaml" "$tmp/over.json" >"$tmp/out" 2>"$tmp/err"
has "over the limit" "$tmp/out" "  exposure 0.00 + 10000.01 = 10000.01 > limit 10000.00 EUR: yes"
has "over the limit: decision" "$tmp/out" "decision: reject by rule 'credit limit': Order exceeds the customer's credit limit"

# 4. A missing field: held, no rule named, in text and JSON.
sed -e 's/"CUS-42"/null/' "$data/order-cus42.json" >"$tmp/nocust.json"
"$approvald" explain -c "$data/rules.yaml" "$tmp/nocust.json" >"$tmp/out" 2>"$tmp/err"
has "missing field: text" "$tmp/out" "decision: hold: order has no 'customer_id', which rule 'blocked customers' reads"
"$approvald" explain -c "$data/rules.yaml" --json "$tmp/nocust.json" >"$tmp/out" 2>"$tmp/err"
tr -d ' \t\n' <"$tmp/out" >"$tmp/flat"
has "missing field: json" "$tmp/flat" '"missing":"customer_id"'
has "missing field: json rule null" "$tmp/flat" '"decision":"hold","rule":null,'

# 5. Errors: usage 64, not an order 65, no such file 66, bad rules 78.
rc=0
"$approvald" explain -c "$data/rules.yaml" >/dev/null 2>"$tmp/err" || rc=$?
expect_rc "no order argument" 64 "$rc"
rc=0
echo '[1]' | "$approvald" explain -c "$data/rules.yaml" - >/dev/null 2>"$tmp/err" || rc=$?
expect_rc "not an order" 65 "$rc"
has "not an order: says what it is" "$tmp/err" "approvald explain: -: a JSON array, not one order"
# Something that parses but is no order: an API error body, a List
# response, an empty object.  Exit 65 with a message saying what it is,
# nothing on stdout (it used to be decided as an order missing every field).
printf '{"error":"invalid_token","error_description":"expired"}\n' >"$tmp/api-error.json"
rc=0
"$approvald" explain -c "$data/rules.yaml" "$tmp/api-error.json" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "API error body" 65 "$rc"
has "API error body: message" "$tmp/err" "approvald explain: $tmp/api-error.json: not an order but an API error (\"invalid_token\"): none of the order's fields is there"
[ -s "$tmp/out" ] && { echo "FAIL: API error body: output on stdout"; fail=1; }
printf '{"items":[],"page":1}\n' >"$tmp/list.json"
rc=0
"$approvald" explain -c "$data/rules.yaml" "$tmp/list.json" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "List response" 65 "$rc"
has "List response: message" "$tmp/err" "approvald explain: $tmp/list.json: a List response, not one order (approvald evaluate takes those)"
rc=0
echo '{}' | "$approvald" explain -c "$data/rules.yaml" - >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "empty object" 65 "$rc"
has "empty object: message" "$tmp/err" "approvald explain: -: not an order: none of the order's fields is there"
rc=0
echo '[]' | "$approvald" explain -c "$data/rules.yaml" - >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "empty array" 65 "$rc"
has "empty array: message" "$tmp/err" "approvald explain: -: a JSON array, not one order"
rc=0
echo '{"id": ' | "$approvald" explain -c "$data/rules.yaml" - >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "invalid JSON" 65 "$rc"
has "invalid JSON: message" "$tmp/err" "approvald explain: -: not valid JSON"
rc=0
"$approvald" explain -c "$data/rules.yaml" "$tmp/nonexistent.json" >/dev/null 2>"$tmp/err" || rc=$?
expect_rc "no such order file" 66 "$rc"
rc=0
"$approvald" explain -c "$data/bad-rules.yaml" "$data/order-cus42.json" >/dev/null 2>"$tmp/err" || rc=$?
expect_rc "bad rules file" 78 "$rc"

exit $fail
