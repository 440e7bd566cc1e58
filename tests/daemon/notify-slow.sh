#!/bin/sh
# Issue 10, item 3: a receiver that answers 500 and one that never answers
# do not hold up a decision.  Over 1,000 orders, with the targets asking
# for every hold and rejection: every order is decided exactly as
# `approvald evaluate` decides it, the first cycle ends (and is logged)
# before any notification gives up, the 500 receiver gets each post at
# most 5 times and some exactly 5 (retries with backoff), the hanging one
# gets retries after each attempt times out, and what the bounded queue
# could not take, and what failed, is counted, logged and shown in STATUS=.  The
# times (not asserted here) are in docs/performance.md from
# tests/bench/run-notify.sh.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 1000 --latency-ms 5
write_rules 100 8
fetch_orders
expected
start_receiver failing 500
start_receiver hanging hang
# three targets (the hanging receiver twice) for every hold and rejection:
# more notifications than the queue holds, so some are dropped at once
cat >>"$T/rules.yaml" <<YAML
metrics: {textfile: $T/approvald.prom}
notify:
  targets:
    - url: http://127.0.0.1:$(cat "$T/failing.port")/hook
      events: [hold, reject]
    - url: http://127.0.0.1:$(cat "$T/hanging.port")/hook
      events: [hold, reject]
    - url: http://127.0.0.1:$(cat "$T/hanging.port")/other
      events: [hold, reject]
YAML

# the service, its STATUS= read from a NOTIFY_SOCKET of our own, until it
# shows notifications dropped (the queue) and failed (the 500 receiver's
# give-ups); the backoff starts at 50 ms and an attempt gives up after 300
python3 - "$APPROVALD" "$T" <<'PY' || fail "the service run failed"
import os, signal, socket, subprocess, sys, time
approvald, t = sys.argv[1], sys.argv[2]
path = os.path.join(t, "notify.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.1)
env = dict(os.environ, NOTIFY_SOCKET=path, APPROVALD_TEST_NOTIFY_TIMING="50,300")
p = subprocess.Popen([approvald, "run", "-c", t + "/rules.yaml", "--state-dir", t + "/state"],
                     env=env, stderr=open(t + "/daemon.log", "a"))
status = []
end = time.time() + 60
while time.time() < end:
    try:
        status += [l for l in s.recv(65536).decode().split("\n") if l.startswith("STATUS=")]
    except socket.timeout:
        pass
    if any("dropped, " in l and " failed" in l for l in status):
        break
p.send_signal(signal.SIGTERM)
rc = p.wait(60)
open(t + "/status.txt", "w").write("\n".join(status) + "\n")
sys.exit(rc)
PY
check_decisions
python3 - "$T/daemon.log" <<'PY' || fail "the decisions waited for the notifications"
import sys
lines = open(sys.argv[1]).read().split("\n")
done = next(i for i, l in enumerate(lines) if "cycle done:" in l)
gave_up = next(i for i, l in enumerate(lines) if "not sent after" in l)
assert done < gave_up, ("the first cycle ended after a notification gave up", done, gave_up)
PY
grep -q '^STATUS=Last poll.*; notifications: [0-9]* dropped, [0-9]* failed' "$T/status.txt" ||
    fail "STATUS= does not show the dropped notifications: $(grep STATUS= "$T/status.txt")"
grep -q 'notify: .*dropped' "$T/daemon.log" || fail "the dropped notifications were not logged"
python3 "$HERE/../promtext.py" "$T/approvald.prom" || fail "the metrics file is not valid"
python3 - "$T/approvald.prom" <<'PY' || fail "the metrics do not count the notifications"
import re, sys
text = open(sys.argv[1]).read()
n = {k: int(v) for k, v in re.findall(r'approvald_notifications_total\{outcome="(\w+)"\} (\d+)', text)}
assert n["dropped"] > 0 and n["failed"] > 0, n
print("metrics:", n)
PY
python3 - "$T/failing.jsonl" "$T/hanging.jsonl" <<'PY' || fail "no retries as documented"
import collections, json, sys
def attempts(path):
    c = collections.Counter()
    for l in open(path):
        b = json.loads(l)["body"]
        c[(b["event"], b["order"])] += 1
    return c
failing, hanging = attempts(sys.argv[1]), attempts(sys.argv[2])
assert failing and max(failing.values()) == 5, ("5 attempts at most, some all 5", failing.most_common(3))
assert hanging and max(hanging.values()) >= 2, ("a timed-out post is retried", hanging.most_common(3))
print(f"500 receiver: {len(failing)} notifications, {sum(failing.values())} posts;",
      f"hanging receiver: {len(hanging)} notifications, {sum(hanging.values())} posts")
PY
grep -q 'not sent after 5 attempts' "$T/daemon.log" || fail "no give-up line after 5 attempts"
grep 'waiting up to\|stopping with' "$T/daemon.log" | sed 's/^approvald: //'
echo ok
