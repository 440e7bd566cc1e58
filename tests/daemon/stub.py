#!/usr/bin/env python3
"""stub.py: a deliberately misbehaving AppXite API for the daemon's tests,
for what the sandbox does not do on purpose.

  stub.py SCENARIO LOG

Listens on 127.0.0.1, port 0; prints "listening on URL" once ready; appends
"METHOD PATH STATUS MONOTONIC_SECONDS" to LOG for every request answered.
One order, ORD-1 (100.00 EUR, approved by the tests' rules), is pending.

Scenarios:
  slow-503    approve/reject calls answer 503 after 1.5 s (stop while one is
              on the wire: it must not be sent again)
  token-429   the first token request answers 429 with Retry-After: 2
  bad-order   GET /orders/ORD-1 answers 200 with something that is not an
              order (reconcile must say so, naming ORD-1, and keep the intent)
  endless-page  the listing's body never ends (stops at 64 MiB; the
              client must hang up at its 8 MiB cap long before)
  redirect    approve/reject calls answer 307 to /steal (never to be followed)
  hang-lookup GET /orders/ORD-1 answers only after 30 s
  same-page   every page of the listing is the same two orders (the page
              number ignored), and totalCount claims 1000
  garbage-page  the listing answers 200 with HTML
  bad-page    the listing holds items of the wrong types, absurd numbers, a
              forged line in an id, and one good order, ORD-7; totalCount lies
  hang-list   the listing answers only after 30 s
  conflict    approve/reject calls answer 409 (someone decided first), and
              ORD-1 reads as Approved once one came
  odd-orders  one page of orders with odd data (over-long ids and customer
              ids, no customer id or currency on orders a rule rejects, a
              negative total, dot-segment ids), then 20 good ones GOOD-1..20
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCENARIO, LOG = sys.argv[1], sys.argv[2]
LOCK = threading.Lock()
STATE = {"token_requests": 0}


def order(base):
    return {
        "id": "ORD-1", "status": "PendingApproval", "createdAt": "2026-11-26T10:00:00Z",
        "customer": {"id": "CUS-1", "name": "Stub Ltd", "countryCode": "SE"},
        "price": {"total": 100.0, "currency": "EUR"},
        "items": [{"offerId": "OFF-1", "sku": "SKU-1", "name": "Thing", "quantity": 1,
                   "unitPrice": 100.0, "total": 100.0}],
        "links": {"approve": base + "/orders/ORD-1/approve",
                  "reject": base + "/orders/ORD-1/reject"},
    }


def bad_items(base):
    def o(i, **change):
        d = order(base)
        d["id"] = i
        d["links"] = {"approve": f"{base}/orders/{i}/approve",
                      "reject": f"{base}/orders/{i}/reject"}
        for k, v in change.items():
            d[k] = v
        return d
    return [5, None, "ORD-X", o(7), o(["ORD-L"]),
            o("ORD-2", price={"total": "abc", "currency": "EUR"}),
            o("ORD-3", price={"total": 1e300, "currency": "EUR"}),
            o("ORD-4", links={"approve": 12, "reject": None}),
            o("ORD-5", customer="nobody", items={"a": 1}),
            o("ORD-6\napprovald: info: ORD-9: forged"),
            o("ORD-7")]


def odd_items(base):
    def o(i, **change):
        d = order(base)
        d["id"] = i
        d["links"] = {"approve": f"{base}/orders/{i}/approve",
                      "reject": f"{base}/orders/{i}/reject"}
        for k, v in change.items():
            d[k] = v
        return d
    no = {"id": "CUS-2", "name": "Nordic", "countryCode": "NO"}
    return [o("ODD-LONGCUS", customer={"id": "C" * 3000, "countryCode": "SE"}),
            o("ODD-NOCUS-NO", customer={"name": "no id", "countryCode": "NO"}),
            o("ODD-NOCUR-NO", customer=no, price={"total": 10.0}),
            o("ODD-NEG", price={"total": -1000000.0, "currency": "EUR"}),
            o("ODD-" + "L" * 3000),
            o("."), o(".."),
            o("ODD-NOCUS", customer={"countryCode": "SE"})] + \
        [o(f"GOOD-{i}") for i in range(1, 21)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        with LOCK, open(LOG, "a") as f:
            f.write(f"{self.command} {self.path} {status} {time.monotonic():.3f}\n")

    def endless(self):
        # no length, no end: the body runs until the client hangs up
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b'{"items":[' + b" " * 65536
        sent = 0
        try:
            while sent < 64 << 20:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        self.close_connection = True
        with LOCK, open(LOG, "a") as f:
            f.write(f"{self.command} {self.path} 200 {time.monotonic():.3f} {sent}\n")

    def base(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        if self.path == "/oauth2/token":
            with LOCK:
                STATE["token_requests"] += 1
                first = STATE["token_requests"] == 1
            if SCENARIO == "token-429" and first:
                return self.reply(429, {"statusCode": 429, "message": "slow down"},
                                  [("Retry-After", "2")])
            return self.reply(200, {"access_token": "stub-token", "token_type": "Bearer",
                                    "expires_in": 3600})
        if SCENARIO == "redirect" and self.path != "/steal":
            return self.reply(307, {}, [("Location", self.base() + "/steal")])
        if SCENARIO == "slow-503":
            time.sleep(1.5)
            return self.reply(503, {"error": "service_unavailable"})
        if SCENARIO == "conflict":
            with LOCK:
                STATE["decided"] = True
            return self.reply(409, {"error": "conflict"})
        return self.reply(200, {"id": "ORD-1", "status": "Approved"})

    def do_GET(self):
        if self.path.startswith("/orders?") and ("status=Approved" in self.path or
                                                 "status=Rejected" in self.path):
            # the bootstrap's and refresh's listings: nothing was approved
            # or rejected before (a scenario here is about pending orders)
            return self.reply(200, {"items": [], "page": 1, "pageSize": 100, "totalCount": 0})
        if self.path.startswith("/orders?") and SCENARIO == "endless-page":
            return self.endless()
        if self.path.startswith("/orders?") and SCENARIO == "same-page":
            items = [order(self.base())]
            items.append(dict(order(self.base()), id="ORD-2",
                              links={"approve": self.base() + "/orders/ORD-2/approve",
                                     "reject": self.base() + "/orders/ORD-2/reject"}))
            return self.reply(200, {"items": items, "page": 1, "pageSize": 2,
                                    "totalCount": 1000})
        if self.path.startswith("/orders?") and SCENARIO == "garbage-page":
            return self.reply(200, "<html>maintenance</html>")
        if self.path.startswith("/orders?") and SCENARIO == "bad-page":
            return self.reply(200, {"items": bad_items(self.base()), "page": 1,
                                    "pageSize": 100, "totalCount": 999999})
        if self.path.startswith("/orders?") and SCENARIO == "hang-list":
            time.sleep(30)
        if self.path.startswith("/orders?") and SCENARIO == "odd-orders":
            return self.reply(200, {"items": odd_items(self.base()), "page": 1,
                                    "pageSize": 100, "totalCount": 28})
        if self.path.startswith("/orders?"):
            return self.reply(200, {"items": [order(self.base())], "page": 1,
                                    "pageSize": 100, "totalCount": 1})
        if self.path == "/orders/ORD-1":
            if SCENARIO == "hang-lookup":
                time.sleep(30)
            if SCENARIO == "bad-order":
                return self.reply(200, ["not", "an", "order"])
            if SCENARIO == "conflict" and STATE.get("decided"):
                return self.reply(200, dict(order(self.base()), status="Approved"))
            return self.reply(200, order(self.base()))
        return self.reply(404, {"error": "not_found"})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
