#!/usr/bin/env python3
"""notify-socket.py SOCKET LOG: a NOTIFY_SOCKET of our own for the daemon's
tests.  Binds the datagram socket SOCKET and appends every message it gets
to LOG, one line per field (READY=1, STATUS=...), flushed at once, until
SIGTERM or SIGINT."""
import signal
import socket
import sys

sock_path, log_path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with open(log_path, "a", encoding="utf-8") as log:
    while True:
        msg = s.recv(65536).decode("utf-8", "replace")
        log.write(msg.rstrip("\n") + "\n")
        log.flush()
