#!/usr/bin/env python3
"""check.py: helpers for the daemon's integration tests.

  check.py fetch URL                      every order (all pages) as a JSON array
  check.py decisions EXPECTED STATS       sandbox stats agree with evaluate's lines
  check.py calls STATS                    total approve and reject calls
  check.py retry-after LOG                no request sent while a 429 pause held
  check.py call URL ID approve|reject     decide an order as a person would
  check.py get URL ID                     one order, as JSON
"""
import json
import os
import re
import sys
import urllib.parse
import urllib.request

HEADERS = {"Ocp-Apim-Subscription-Key": "demo-key", "api-version": "3.1"}


def token(url):
    body = urllib.parse.urlencode({"grant_type": "client_credentials",
                                   "client_id": "demo-client",
                                   "client_secret": "demo-secret",
                                   **({"scope": os.environ["SCOPE"]} if os.environ.get("SCOPE")
                                      else {})}).encode()
    with urllib.request.urlopen(url + "/oauth2/token", body) as r:
        return json.load(r)["access_token"]


def fetch(url):
    h = dict(HEADERS, Authorization="Bearer " + token(url))
    out, page = [], 1
    shape = os.environ.get("SHAPE", "page").replace("-token", "")
    nxt = f"{url}/orders?limit=500"
    while True:
        if shape == "offset":
            req = f"{url}/api/v3/orders?$skip={(page - 1) * 500}&$top=500"
        elif shape == "next":
            req = nxt
        else:
            req = f"{url}/orders?page={page}&pageSize=500"
        with urllib.request.urlopen(urllib.request.Request(req, headers=h)) as r:
            body = json.load(r)
        items = body[{"offset": "value", "next": "data"}.get(shape, "items")]
        out.extend(items)
        if shape == "next":
            if not body.get("nextLink"):
                break
            nxt = body["nextLink"]
        elif not items:
            break
        page += 1
    json.dump(out, sys.stdout)
    return 0


def decisions(expected_path, stats_path):
    allow_repeat = os.environ.get("CHECK_ALLOW_REPEAT") == "1"
    with open(stats_path) as f:
        orders = json.load(f)["orders"]
    want = {"approve": ("Approved", "approveCalls"), "reject": ("Rejected", "rejectCalls"),
            "hold": ("PendingApproval", None)}
    bad, counts = 0, {}
    with open(expected_path) as f:
        for line in f:
            e = json.loads(line)
            o = orders.get(e["id"])
            counts[e["decision"]] = counts.get(e["decision"], 0) + 1
            status, calls = want[e["decision"]]
            problem = None
            if o is None:
                problem = "missing from the stats"
            elif o["status"] != status:
                problem = f"status {o['status']}, evaluate says {e['decision']}"
            elif o["approveCalls"] and o["rejectCalls"]:
                problem = "called with both decisions"
            elif calls is None and (o["approveCalls"] or o["rejectCalls"]):
                problem = "held, yet called"
            elif calls and (o[calls] < 1 or (o[calls] > 1 and not allow_repeat)):
                problem = f"{o[calls]} {calls}"
            if problem:
                bad += 1
                if bad <= 10:
                    print(f"{e['id']}: {problem}", file=sys.stderr)
    print("decisions:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
          f"({bad} wrong)")
    return 1 if bad else 0


def calls(stats_path):
    with open(stats_path) as f:
        orders = json.load(f)["orders"]
    print(sum(o["approveCalls"] + o["rejectCalls"] for o in orders.values()))
    return 0


def retry_after(log_path):
    pauses, sends, bad = [], [], 0
    with open(log_path) as f:
        for line in f:
            m = re.search(r"http: 429 t=(\d+) until=(\d+)", line)
            if m:
                pauses.append((int(m.group(1)), int(m.group(2))))
            m = re.search(r"http: send \w+ t=(\d+)", line)
            if m:
                sends.append(int(m.group(1)))
    for t0, until in pauses:
        early = [t for t in sends if t0 < t < until]
        if early:
            bad += 1
            print(f"{len(early)} requests sent {(until - early[0]) / 1e6:.3f}s early",
                  file=sys.stderr)
    print(f"{len(pauses)} pauses for 429, {len(sends)} requests, {bad} pauses broken")
    if not pauses:
        print("no 429 seen: the test did not exercise Retry-After", file=sys.stderr)
        return 1
    return 1 if bad else 0


def call(url, oid, decision):
    h = dict(HEADERS, Authorization="Bearer " + token(url))
    h["Content-Type"] = "application/json"
    body = json.dumps({"reason": "decided by a person"} if decision == "reject" else {})
    req = urllib.request.Request(f"{url}/orders/{oid}/{decision}", body.encode(), headers=h)
    with urllib.request.urlopen(req) as r:
        print(r.read().decode())
    return 0


def get(url, oid):
    h = dict(HEADERS, Authorization="Bearer " + token(url))
    with urllib.request.urlopen(urllib.request.Request(f"{url}/orders/{oid}", headers=h)) as r:
        json.dump(json.load(r), sys.stdout)
    return 0


def main():
    cmd = sys.argv[1]
    if cmd == "fetch":
        return fetch(sys.argv[2])
    if cmd == "decisions":
        return decisions(sys.argv[2], sys.argv[3])
    if cmd == "calls":
        return calls(sys.argv[2])
    if cmd == "retry-after":
        return retry_after(sys.argv[2])
    if cmd == "call":
        return call(sys.argv[2], sys.argv[3], sys.argv[4])
    if cmd == "get":
        return get(sys.argv[2], sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
