#!/bin/sh
# What the daemon tells systemd, read from a NOTIFY_SOCKET of our own:
# READY=1 after start, STATUS= after each cycle, WATCHDOG=1 from the loop
# (WATCHDOG_USEC set), RELOADING=1 with MONOTONIC_USEC= then READY=1 on
# SIGHUP, STOPPING=1 on SIGTERM.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 10
write_rules 100 8
python3 - "$APPROVALD" "$T" <<'PY' || fail "notifications"
import os, signal, socket, subprocess, sys, time
approvald, t = sys.argv[1], sys.argv[2]
path = os.path.join(t, "notify.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.1)
env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="400000")
env.pop("WATCHDOG_PID", None)
p = subprocess.Popen([approvald, "run", "-c", t + "/rules.yaml", "--state-dir", t + "/state"],
                     env=env, stderr=open(t + "/daemon.log", "a"))
msgs = []
def until(pred, what, limit=10):
    end = time.time() + limit
    while time.time() < end:
        try:
            msgs.append(s.recv(4096).decode())
        except socket.timeout:
            pass
        if pred():
            return
    sys.exit(f"no {what} within {limit}s; got {msgs}")
has = lambda key: lambda: any(key in m.split("\n") or any(l.startswith(key) for l in m.split("\n")) for m in msgs)
until(has("READY=1"), "READY=1")
until(has("STATUS=Last poll"), "STATUS= after a cycle")
until(has("WATCHDOG=1"), "WATCHDOG=1")
status = [l for m in msgs for l in m.split("\n") if l.startswith("STATUS=Last poll")][0]
print(status)
assert "10 pending" in status and "next in 1s" in status, status
n = len(msgs)
p.send_signal(signal.SIGHUP)
until(lambda: any("RELOADING=1" in m for m in msgs[n:]), "RELOADING=1")
reload = [m for m in msgs[n:] if "RELOADING=1" in m][0]
assert "MONOTONIC_USEC=" in reload, reload
until(lambda: any("READY=1" in m for m in msgs[n + 1:]), "READY=1 after the reload")
p.send_signal(signal.SIGTERM)
until(lambda: any("STOPPING=1" in m for m in msgs), "STOPPING=1")
assert p.wait(10) == 0
print("READY, STATUS, WATCHDOG, RELOADING+MONOTONIC_USEC, READY, STOPPING: all sent")
PY
echo ok
