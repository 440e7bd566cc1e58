#!/usr/bin/env python3
"""notify-receiver.py: a notification target for the daemon's integration
tests (python3 standard library only).

    notify-receiver.py --port-file F --log FILE --mode ok|500|hang [--mode-file M]

Binds 127.0.0.1 on an ephemeral port and writes the port to F (atomically,
once listening).  Appends one JSON line per request to FILE:
    {"method": ..., "path": ..., "headers": {...}, "body": <parsed JSON, or
     the raw text when it is not JSON>, "mode": <the mode it answered in>}
and answers per mode: ok -> 200, 500 -> 500, hang -> never answers and keeps
the socket open until the client gives up or the receiver stops.  Each
connection has its own thread, so a hanging one never blocks the others.
With --mode-file, the file's content (when it exists and names a mode)
replaces --mode from the next request on, to switch a running receiver.
Stops on SIGTERM or SIGINT.
"""
import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("ok", "500", "hang")
BODY_MAX = 1 << 20  # bytes of a body read; a larger one is cut
STOP = threading.Event()


class Receiver(ThreadingHTTPServer):
    daemon_threads = True  # a hanging handler does not hold up the exit
    allow_reuse_address = True


def current_mode(args):
    if args.mode_file:
        try:
            with open(args.mode_file, encoding="utf-8") as f:
                m = f.read().strip()
            if m in MODES:
                return m
        except OSError:
            pass
    return args.mode


def decode_body(raw):
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(raw)
    except ValueError:
        return text


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "notify-receiver"

    def log_message(self, fmt, *args):  # quiet: the log file says it all
        pass

    def read_body(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        length = max(0, min(length, BODY_MAX))
        return self.rfile.read(length) if length else b""

    def record(self, mode, raw):
        line = json.dumps({"method": self.command, "path": self.path,
                           "headers": {k: v for k, v in self.headers.items()},
                           "body": decode_body(raw), "mode": mode}) + "\n"
        # one write(2) on an O_APPEND descriptor: lines never interleave
        fd = os.open(self.server.args.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                     0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)

    def answer(self):
        raw = self.read_body()
        mode = current_mode(self.server.args)
        self.record(mode, raw)
        if mode == "hang":
            STOP.wait()  # never answers; the socket stays open
            self.close_connection = True
            return
        status = 500 if mode == "500" else 200
        payload = b"ok\n" if status == 200 else b"error\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = answer
    do_PUT = answer
    do_GET = answer


def write_port(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--mode", choices=MODES, default="ok")
    p.add_argument("--mode-file")
    args = p.parse_args()

    server = Receiver(("127.0.0.1", 0), Handler)
    server.args = args

    def stop(signum, frame):
        STOP.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_port(args.port_file, server.server_address[1])
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
