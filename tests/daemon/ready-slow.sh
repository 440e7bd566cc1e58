#!/bin/sh
# READY=1 comes once the configuration is valid and the journal recovered,
# not after the open intents are reconciled: with an API that takes its
# time (here the lookup of an open intent hangs), waiting for it would
# outlast systemd's start timeout (90 s by default; a lookup may take 6
# attempts of api.timeout each) and get a healthy daemon killed and
# restarted over and over.
. "$(dirname "$0")/lib.sh"
INTENT_WRITE=$3

start_stub hang-lookup
write_rules 100 4
"$INTENT_WRITE" "$T/state" ORD-1 approve "journaled before a crash" || fail "cannot write the intent"
python3 - "$APPROVALD" "$T" <<'PY' || fail "READY=1 did not come while reconciling"
import os, signal, socket, subprocess, sys, time
approvald, t = sys.argv[1], sys.argv[2]
path = os.path.join(t, "notify.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.1)
env = dict(os.environ, NOTIFY_SOCKET=path)
p = subprocess.Popen([approvald, "run", "-c", t + "/rules.yaml", "--state-dir", t + "/state"],
                     env=env, stderr=open(t + "/daemon.log", "a"))
start, ready = time.time(), None
while time.time() - start < 5 and ready is None:
    try:
        if "READY=1" in s.recv(4096).decode():
            ready = time.time() - start
    except socket.timeout:
        pass
# the first cycle (the bootstrap's listing, then the reconciliation that
# hangs) goes on after READY=1: give it the time to reach the lookup
deadline = time.time() + 5
while time.time() < deadline and "reconciling" not in open(t + "/daemon.log").read():
    time.sleep(0.05)
p.send_signal(signal.SIGTERM)
rc = p.wait(timeout=15)
print("READY=1 after", ready, "s; exit", rc)
assert ready is not None and ready < 3, ready
assert rc == 0, rc
PY
grep -q 'reconciling 1 decision without an outcome' "$T/daemon.log" || fail "no reconciliation"
echo ok
