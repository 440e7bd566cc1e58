#!/usr/bin/env python3
"""orders-api.py: an AppXite API that serves orders exactly as a file gives
them, spoiled ones included, for the tests that appxite-sandbox cannot
serve (its --orders loader refuses ids over 63 bytes, missing customer ids
or items, three-decimal or negative amounts, and rebuilds totals and links).

  orders-api.py ORDERS LOG [--junk-page N]

ORDERS: a JSON array (tests/gen-orders.py).  "@ORIGIN@" in any string is
replaced by this server's origin when served, so links point here (or
elsewhere, when the file says so).  Orders are listed in file order; an
order without a "status" is pending.  Approve and reject calls change the
status of every entry with that id (an id listed twice is one order).

Listens on 127.0.0.1, port 0; prints "listening on URL" once ready;
appends "METHOD PATH STATUS MONOTONIC_SECONDS" to LOG per answer (PATH cut
at 200 characters).

  GET  /orders?status=&page=&pageSize=   the orders of that status (default
                                        pending), paged
  GET  /orders/{id}                     one order (the first with that id)
  POST /orders/{id}/approve|reject      as docs/appxite-api.md 6.4, 6.5
  POST /oauth2/token                    any client gets a token
  GET  /_sandbox/stats                  {"orders": {id: {status,
                                         approveCalls, rejectCalls}}}, as the
                                         sandbox's (only orders with a string id)

--junk-page N: every listing answers page 1 with N items that are the
number 1 (not orders), whatever pageSize asked for (issue 14 item 4: the
client must call such a page an API error, not log each item).
"""
import argparse
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "orders-api-token"
LOCK = threading.RLock()


def load(path):
    with open(path) as f:
        orders = json.load(f)
    status = {}
    for o in orders:
        oid = o.get("id") if isinstance(o, dict) else None
        if isinstance(oid, str) and oid not in status:
            status[oid] = {"status": o.get("status", "PendingApproval"),
                           "approveCalls": 0, "rejectCalls": 0}
    return orders, status


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with LOCK, open(ARGS.log, "a") as f:
            f.write(f"{self.command} {self.path[:200]} {code} {time.monotonic():.3f}\n")

    def origin(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def served(self, o):
        """The order as listed now: current status, links on our origin."""
        oid = o.get("id") if isinstance(o, dict) else None
        if isinstance(oid, str) and "status" in o:
            o = dict(o, status=STATUS[oid]["status"])
        return json.loads(json.dumps(o).replace("@ORIGIN@", self.origin()))

    def pending(self, o):
        oid = o.get("id") if isinstance(o, dict) else None
        if not isinstance(oid, str):
            return o.get("status", "PendingApproval") == "PendingApproval" \
                if isinstance(o, dict) else True
        return STATUS[oid]["status"] == "PendingApproval"

    def authorized(self):
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            self.reply(401, {"error": "invalid_token", "message": "no or bad token"})
            return False
        return True

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_sandbox/stats":
            with LOCK:
                return self.reply(200, {"orders": STATUS})
        if not self.authorized():
            return None
        if url.path == "/orders":
            return self.listing(urllib.parse.parse_qs(url.query))
        if url.path.startswith("/orders/"):
            oid = urllib.parse.unquote(url.path[len("/orders/"):])
            for o in ORDERS:
                if isinstance(o, dict) and o.get("id") == oid:
                    with LOCK:
                        return self.reply(200, self.served(o))
        return self.reply(404, {"error": "not_found", "message": "no such order"})

    def listing(self, q):
        try:
            page = int(q.get("page", ["1"])[0])
            size = int(q.get("pageSize", ["50"])[0])
        except ValueError:
            return self.reply(400, {"error": "bad_request", "message": "page, pageSize"})
        if page < 1 or not 1 <= size <= 500:
            return self.reply(400, {"error": "bad_request", "message": "page, pageSize"})
        want = q.get("status", ["PendingApproval"])[0]
        if want != "PendingApproval":  # the daemon's bootstrap and refresh
            with LOCK:
                done = [o for o in ORDERS if isinstance(o, dict) and isinstance(o.get("id"), str)
                        and STATUS[o["id"]]["status"] == want]
                items = [self.served(o) for o in done[(page - 1) * size:page * size]]
            return self.reply(200, {"items": items, "page": page, "pageSize": size,
                                    "totalCount": len(done)})
        if ARGS.junk_page:
            body = b'{"items":[' + b",".join([b"1"] * ARGS.junk_page) + \
                b'],"page":1,"pageSize":%d,"totalCount":%d}' % (size, ARGS.junk_page)
            return self.reply(200, body)
        with LOCK:
            pend = [o for o in ORDERS if self.pending(o)]
            items = [self.served(o) for o in pend[(page - 1) * size:page * size]]
        return self.reply(200, {"items": items, "page": page, "pageSize": size,
                                "totalCount": len(pend)})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        path = urllib.parse.urlsplit(self.path).path
        if path == "/oauth2/token":
            return self.reply(200, {"access_token": TOKEN, "token_type": "Bearer",
                                    "expires_in": 3600})
        if not self.authorized():
            return None
        parts = path.split("/")
        if len(parts) != 4 or parts[1] != "orders" or parts[3] not in ("approve", "reject"):
            return self.reply(404, {"error": "not_found", "message": "no such path"})
        oid, what = urllib.parse.unquote(parts[2]), parts[3]
        with LOCK:
            s = STATUS.get(oid)
            if s is None:
                return self.reply(404, {"error": "not_found", "message": "no such order"})
            if what == "reject":
                try:
                    reason = json.loads(body)["reason"]
                    assert isinstance(reason, str) and 1 <= len(reason) <= 500
                except Exception:
                    return self.reply(400, {"error": "bad_request", "message": "reason"})
            s[what + "Calls"] += 1
            if s["status"] != "PendingApproval":
                return self.reply(409, {"error": "conflict", "status": s["status"],
                                        "message": "order is " + s["status"]})
            s["status"] = "Approved" if what == "approve" else "Rejected"
            return self.reply(200, {"id": oid, "status": s["status"]})


p = argparse.ArgumentParser()
p.add_argument("orders")
p.add_argument("log")
p.add_argument("--junk-page", type=int, default=0)
ARGS = p.parse_args()
ORDERS, STATUS = load(ARGS.orders)
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
