#!/bin/sh
# Token expiry mid-run (--token-ttl 2), 503 at 20% (--fail-rate 0.2) and 429
# bursts (--rate-limit 20): every order still decided exactly once, and no
# request sent while a Retry-After pause held.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 200 --rng-seed 5 --token-ttl 2 --fail-rate 0.2 --rate-limit 20
write_rules 50 8
fetch_orders
expected
for attempt in 1 2 3; do
    APPROVALD_DEBUG=1 run_once
    [ "$RC" = 0 ] && break
    echo "run $attempt exited $RC (calls left to retry); running again"
done
[ "$RC" = 0 ] || fail "--once still exits $RC after 3 runs"
CHECK_ALLOW_REPEAT=0 check_decisions
python3 "$HERE/check.py" retry-after "$T/daemon.log" || fail "Retry-After not honoured"
tokens=$(grep -c 'http: send token' "$T/daemon.log" || true)
[ "$tokens" -ge 3 ] || fail "only $tokens token requests: the token never expired mid-run"
echo "$tokens token requests (ttl 2 s)"
stats
python3 - "$T/stats.json" <<'PY' || fail "the faults did not happen"
import json, sys
r = json.load(open(sys.argv[1]))["requests"]
print("sandbox answers:", r)
assert int(r.get("503", 0)) > 0 and int(r.get("429", 0)) > 0
PY
echo ok
