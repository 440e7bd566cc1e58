#!/bin/sh
# A token the server no longer knows (here: the sandbox restarted on the same
# port, forgetting its tokens) is answered 401 invalid_token: the daemon
# fetches a new token and sends the requests again; the cycle succeeds.
# The cycle begins with the lookups of the held orders, sent in parallel,
# so each request out with the old token gets its own 401 (at most
# api.max_parallel of them), and none after the new token.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 30
write_rules 100 8
start_daemon
wait_cycles() {
    wait_until 300 "fewer than $1 cycles after 15 s" at_least "$1" 'cycle done'
}
wait_cycles 1
port=${URL##*:}
kill "$SB_PID"
wait "$SB_PID" 2>/dev/null || true
"$SANDBOX" --listen "127.0.0.1:$port" --seed 30 >"$T/sandbox.out" 2>"$T/sandbox.err" &
SB_PID=$!
wait_cycles 3
stats
python3 - "$T/stats.json" <<'PY' || fail "not a round of 401s then success"
import json, sys
r = json.load(open(sys.argv[1]))["requests"]
print("restarted sandbox answered:", r)
assert 1 <= r.get("401", 0) <= 8 and r.get("200", 0) >= 2
PY
if grep -q ': error: ' "$T/daemon.log"; then fail "an error was logged"; fi
# three cycles, held orders among them: each order's decision logged once
held=$(grep -c ': hold by ' "$T/daemon.log" || true)
[ "$held" -gt 0 ] || fail "no held order to check"
dups=$(sed -n 's/^approvald: info: \(ORD-[0-9]*\): [a-z]* by .*/\1/p' "$T/daemon.log" | sort | uniq -d)
[ -z "$dups" ] || fail "decisions logged more than once: $dups"
stop_daemon
[ "$RC" = 0 ] || fail "SIGTERM: exit $RC"
echo ok
