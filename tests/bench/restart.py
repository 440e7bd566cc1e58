#!/usr/bin/env python3
"""restart.py: how long `approvald run` takes from its start to READY=1,
and its memory then, over a state folder that already holds a journal
(tests/bench/run-restart.sh).

  restart.py APPROVALD RULES STATE_DIR [ROUNDS]

Each round starts `approvald run -c RULES --state-dir STATE_DIR` with
NOTIFY_SOCKET pointing at a datagram socket of its own, takes the time
when READY=1 arrives (monotonic, from just before the fork), reads VmRSS
and VmHWM from /proc/PID/status at that moment, then stops the daemon with
SIGTERM.  Prints one line per round and a summary: the median and range of
the time, and the largest RSS and peak.
"""
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def one_round(approvald, rules, state):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(600)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        env.pop("JOURNAL_STREAM", None)
        with open(os.path.join(d, "log"), "w") as log:
            t0 = time.monotonic()
            p = subprocess.Popen([approvald, "run", "-c", rules, "--state-dir", state],
                                 env=env, stdout=subprocess.DEVNULL, stderr=log)
            try:
                while True:
                    msg = sock.recv(4096).decode(errors="replace")
                    if "READY=1" in msg.split("\n"):
                        break
                took = time.monotonic() - t0
                rss, hwm = status_kib(p.pid, "VmRSS"), status_kib(p.pid, "VmHWM")
            finally:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=600)
        if p.returncode != 0:
            with open(os.path.join(d, "log")) as f:
                sys.stderr.write(f.read()[-2000:])
            raise SystemExit(f"approvald exited {p.returncode}")
        return took, rss, hwm


def main():
    approvald, rules, state = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    results = []
    for i in range(rounds):
        took, rss, hwm = one_round(approvald, rules, state)
        results.append((took, rss, hwm))
        print(f"  round {i + 1}: ready after {took * 1000:.0f} ms, "
              f"RSS {rss / 1024:.1f} MiB, peak {hwm / 1024:.1f} MiB", flush=True)
    times = [r[0] * 1000 for r in results]
    print(f"ready: median {statistics.median(times):.0f} ms "
          f"({min(times):.0f}..{max(times):.0f}); "
          f"RSS at ready {max(r[1] for r in results) / 1024:.1f} MiB, "
          f"peak {max(r[2] for r in results) / 1024:.1f} MiB")
    return 0


sys.exit(main())
