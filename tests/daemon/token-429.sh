#!/bin/sh
# The token endpoint answering 429 with Retry-After: 2: the next token
# request waits those 2 s (not a short backoff), then the cycle succeeds;
# no secret and no token reaches the log, debug lines included.
. "$(dirname "$0")/lib.sh"

start_stub token-429
write_rules 100 4
APPROVALD_DEBUG=1 run_once
[ "$RC" = 0 ] || fail "--once exited $RC"
# debug lines included: no secret and no token anywhere in the log
if grep -q 'stub-token\|demo-secret\|demo-key\|demo-client' "$T/daemon.log"; then
    fail "a secret or the token in the log"
fi
python3 - "$T/stub.log" <<'PY' || fail "Retry-After of the token endpoint not honoured"
import sys
t = [float(l.split()[3]) for l in open(sys.argv[1]) if l.startswith("POST /oauth2/token")]
print("token requests at", t)
assert len(t) == 2 and t[1] - t[0] >= 1.9, t
PY
grep -q '^POST /orders/ORD-1/approve 200' "$T/stub.log" || fail "ORD-1 not approved"
echo ok
