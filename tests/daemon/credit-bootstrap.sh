#!/bin/sh
# Credit exposure from the source of truth (issue 9): 150 orders were
# approved before approvald's first start, 450 are pending.  The first run
# journals the 150 as external approvals (the bootstrap), then decides
# every pending order exactly as `approvald evaluate` decides the whole
# list, the 150 counted.  A second run lists nothing new and calls nothing.
. "$(dirname "$0")/lib.sh"

python3 "$HERE/credit.py" gen 600 150 9 >"$T/orders.json"
start_sandbox --orders "$T/orders.json"
sed -e "s#@URL@#$URL#g" -e "s#@CREDS@#$T/creds#g" -e "s#@REFRESH@#1h#g" \
    "$HERE/credit-rules.yaml.in" >"$T/rules.yaml"
sed -i "/^  credentials_dir:/r $HERE/shapes/$SHAPE.yaml" "$T/rules.yaml" # SHAPE: lib.sh
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
run_once
[ "$RC" = 0 ] || fail "--once exited $RC"
"$APPROVALD" evaluate -c "$T/rules.yaml" --now "$now" <"$T/orders.json" >"$T/expected.jsonl" ||
    fail "approvald evaluate failed"
[ "$(wc -l <"$T/expected.jsonl")" = 450 ] || fail "evaluate decided $(wc -l <"$T/expected.jsonl") orders, want 450"
check_decisions
"$APPROVALD" journal dump --state-dir "$T/state" >"$T/dump.jsonl"
n=$(grep -c '"type":"external".*"source":"bootstrap"' "$T/dump.jsonl" || true)
[ "$n" = 150 ] || fail "$n external approvals journaled by the bootstrap, want 150"
grep -q '"type":"mark".*"bootstrap"' "$T/dump.jsonl" || fail "no bootstrap mark"
grep -q 'bootstrap done: 150 approved orders' "$T/daemon.log" || fail "no bootstrap summary line"
rejects=$(grep -c '"decision":"reject"' "$T/expected.jsonl" || true)
[ "$rejects" -gt 0 ] || fail "the test's orders never reach a limit: it proves nothing"
stats
before=$(python3 "$HERE/check.py" calls "$T/stats.json")
run_once
[ "$RC" = 0 ] || fail "second --once exited $RC"
stats
after=$(python3 "$HERE/check.py" calls "$T/stats.json")
[ "$before" = "$after" ] || fail "the second run made $((after - before)) calls"
n=$(grep -c 'bootstrap done' "$T/daemon.log" || true)
[ "$n" = 1 ] || fail "bootstrapped $n times"
echo "ok: 150 counted, 450 decided as evaluate decides them ($rejects rejected)"
