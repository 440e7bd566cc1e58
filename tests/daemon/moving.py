#!/usr/bin/env python3
"""moving.py: changes the sandbox's list while approvald reads it.

  moving.py URL PID OUT: while process PID lives, every 40 ms either decides
  a seeded order in the portal (from the last third of the list, so that the
  listing has not reached it yet; approve and reject in turn) or creates a
  new order.  Writes to OUT one JSON object: {"decided": [ids the portal
  decided], "created": [ids created], "during": n actions while PID lived}.
"""
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request


def post(url, body):
    req = urllib.request.Request(url, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # a zombie (exited, not yet waited for) no longer lists
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def main():
    url, pid, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    n_seeded = int(os.environ.get("SEEDED", "600"))
    rng = random.Random(5)
    ids = [f"ORD-{i:06d}" for i in range(n_seeded * 2 // 3, n_seeded + 1)]
    rng.shuffle(ids)
    decided, created, step = [], [], 0
    while alive(pid) and ids:
        step += 1
        if step % 2:
            oid, what = ids.pop(), ("approve" if step % 4 == 1 else "reject")
            body = {"reason": "decided by a person"} if what == "reject" else {}
            try:
                post(f"{url}/_sandbox/orders/{oid}/seller/{what}", body)
                decided.append(oid)
            except urllib.error.HTTPError:
                pass  # approvald decided it first
        else:
            o = post(url + "/_sandbox/orders", {
                "customer": {"id": f"CUS-{rng.randint(1, 300)}"}, "currency": "EUR",
                "items": [{"offerId": "O", "sku": "S", "quantity": 1,
                           "unitPrice": rng.choice([100, 900, 30000])}]})
            created.append(o["id"])
        time.sleep(0.04)
    with open(out, "w") as f:
        json.dump({"decided": decided, "created": created, "during": step}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
