#!/usr/bin/env python3
"""Helpers of the webhook tests (webhook-*.sh):

  free-port                     a free TCP port on 127.0.0.1
  decided URL ID TIMEOUT_S      waits until the sandbox says ID is no longer
                                pending; prints the milliseconds; exit 1 past
                                TIMEOUT_S
  create URL [CUSTOMER] [PRICE] creates an order through /_sandbox/orders
                                (webhook event included); prints its id
  create-decided URL TIMEOUT_S  create, then decided: prints "ID MS"
  post HOOK AUTH BODY [CTYPE]   one POST to the receiver; prints the status
                                (AUTH "-" sends no Authorization)
  abuse HOOK AUTH ID SECONDS    for SECONDS: 40 slow-loris connections,
                                10 MiB bodies, bad JSON, and 1,000 valid
                                events for order ID, from threads; prints
                                what the receiver answered, by status
"""
import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request


def post_json(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def status_of(url, oid):
    with urllib.request.urlopen(url + "/_sandbox/stats", timeout=10) as r:
        return json.load(r)["orders"].get(oid, {}).get("status")


def create(url, customer="C1", price=10):
    o = post_json(url + "/_sandbox/orders", {
        "customer": {"id": customer}, "currency": "EUR",
        "items": [{"offerId": "O", "sku": "S", "quantity": 1, "unitPrice": price}]})
    return o["id"]


def decided(url, oid, start, timeout_s):
    while True:
        if status_of(url, oid) not in (None, "PendingApproval"):
            return (time.monotonic() - start) * 1000
        if time.monotonic() - start > timeout_s:
            return None
        time.sleep(0.01)


def post(hook, auth, body, ctype="application/json"):
    u = urllib.parse.urlsplit(hook)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    headers = {"Content-Type": ctype}
    if auth != "-":
        headers["Authorization"] = auth
    try:
        c.request("POST", u.path, body=body, headers=headers)
        return c.getresponse().status
    except (ConnectionError, OSError):
        return "reset"  # a 413 may close before the whole body is sent
    finally:
        c.close()


def abuse(hook, auth, oid, seconds):
    u = urllib.parse.urlsplit(hook)
    end = time.monotonic() + seconds
    counts = {}
    lock = threading.Lock()

    def count(k):
        with lock:
            counts[k] = counts.get(k, 0) + 1

    def loris():
        try:
            s = socket.create_connection((u.hostname, u.port), timeout=5)
            s.sendall(b"POST " + u.path.encode() + b" HTTP/1.1\r\nHost: x\r\n")
            while time.monotonic() < end:
                time.sleep(2)
                s.sendall(b"X-a: b\r\n")
            s.close()
            count("loris-held")
        except OSError:
            count("loris-closed")

    def big():
        body = b"{" + b" " * (10 * 1024 * 1024) + b"}"
        while time.monotonic() < end:
            count(f"10MiB:{post(hook, auth, body)}")

    def bad():
        while time.monotonic() < end:
            count(f"badjson:{post(hook, auth, b'{not json')}")
            time.sleep(0.01)

    def dup():
        ev = json.dumps({"eventType": "OrderPendingApproval", "reqID": oid,
                         "totalOrderAmount": 10, "currency": "EUR"}).encode()
        for _ in range(250):
            count(f"dup:{post(hook, auth, ev)}")

    threads = [threading.Thread(target=loris) for _ in range(40)]
    threads += [threading.Thread(target=big), threading.Thread(target=bad)]
    threads += [threading.Thread(target=dup) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(counts, sort_keys=True))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "free-port":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
    elif cmd == "create":
        print(create(args[0], *(args[1:2] or ["C1"]), *[float(a) for a in args[2:3]]))
    elif cmd == "decided":
        ms = decided(args[0], args[1], time.monotonic(), float(args[2]))
        print("timeout" if ms is None else f"{ms:.0f}")
        sys.exit(ms is None)
    elif cmd == "create-decided":
        start = time.monotonic()
        oid = create(args[0])
        ms = decided(args[0], oid, start, float(args[1]))
        print(oid, "timeout" if ms is None else f"{ms:.0f}")
        sys.exit(ms is None)
    elif cmd == "post":
        print(post(args[0], args[1], args[2].encode(), *args[3:4]))
    elif cmd == "abuse":
        abuse(args[0], args[1], args[2], float(args[3]))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
