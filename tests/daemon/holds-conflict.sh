#!/bin/sh
# Issue 10, item 2: a manual approve that meets a 409 (someone decided
# first) makes one call, looks the order up, journals its real status
# (HTTP 409, Approved) after the manual intent, says "already decided"
# with exit 65, and a second approve is refused from the journal with no
# request at all.
. "$(dirname "$0")/lib.sh"

start_stub conflict
write_rules
set +e
"$APPROVALD" approve ORD-1 --reason "checked by phone" -c "$T/rules.yaml" \
    --state-dir "$T/state" >"$T/out" 2>"$T/err"; rc=$?
set -e
[ $rc = 65 ] && grep -q "someone decided first (HTTP 409), AppXite says Approved" "$T/out" ||
    fail "approve after a 409: exit $rc, $(cat "$T/out" "$T/err")"
[ "$(grep -c '^POST /orders/ORD-1/approve ' "$T/stub.log")" = 1 ] || fail "not one approve call"
"$APPROVALD" journal dump --state-dir "$T/state" >"$T/dump.jsonl"
grep -q '"type":"intent","order_id":"ORD-1","decision":"approve","rule":"manual:' "$T/dump.jsonl" ||
    fail "no manual intent journaled"
grep -q '"type":"outcome","order_id":"ORD-1","http_status":409,"final_status":"Approved"' \
    "$T/dump.jsonl" || fail "the 409's status not journaled: $(cat "$T/dump.jsonl")"
n=$(wc -l <"$T/stub.log")
set +e
"$APPROVALD" approve ORD-1 --reason "again" -c "$T/rules.yaml" --state-dir "$T/state" >"$T/out" 2>&1
rc=$?
set -e
[ $rc = 65 ] && grep -q "already decided" "$T/out" || fail "a second approve: $rc $(cat "$T/out")"
[ "$(wc -l <"$T/stub.log")" = "$n" ] || fail "a second approve made a request"
echo "ok: a 409 journaled as someone else's decision; nothing sent twice"
