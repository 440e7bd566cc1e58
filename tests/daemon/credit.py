#!/usr/bin/env python3
"""credit.py: orders and sandbox actions for the credit-exposure tests
(issue 9: approvals made elsewhere count, holds persist, two tiers).

  credit.py gen N APPROVED SEED > orders.json
      N orders of 12 customers (CUS-1..CUS-12, all EUR, country SE), one a
      minute up to now, the first APPROVED of them already Approved; each
      a single line of 1..9 seats at 50.00..190.00, so totals run from
      50.00 to 1,710.00 and credit limits bite.
  credit.py create URL N SEED            N new pending orders of the same customers
  credit.py party URL ID PARTY approve|reject    decide as PARTY (control call)
  credit.py held STATE_DUMP              ids of the orders journaled as held
  credit.py status URL ID                the order's status
"""
import json
import random
import sys
import time
import urllib.request

CUSTOMERS = 12


def order_body(rng, cus):
    return {"customer": {"id": f"CUS-{cus}", "name": f"Customer {cus}", "countryCode": "SE"},
            "currency": "EUR",
            "items": [{"offerId": "OFF-1", "sku": "SKU-1", "name": "Seat",
                       "quantity": rng.randint(1, 9),
                       "unitPrice": rng.choice([50, 75, 110, 150, 190])}]}


def gen(n, approved, seed):
    rng = random.Random(seed)
    now = int(time.time())
    out = []
    for i in range(n):
        o = order_body(rng, rng.randint(1, CUSTOMERS))
        t = now - (n - i) * 60
        it = o["items"][0]
        it["total"] = it["quantity"] * it["unitPrice"]
        o.update({"id": f"ORD-{i + 1:06d}",
                  "status": "Approved" if i < approved else "PendingApproval",
                  "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
                  "price": {"total": it["total"], "currency": "EUR"}})
        out.append(o)
    json.dump(out, sys.stdout)


def post(url, body):
    req = urllib.request.Request(url, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def create(url, n, seed):
    rng = random.Random(seed)
    for _ in range(n):
        post(url + "/_sandbox/orders", order_body(rng, rng.randint(1, CUSTOMERS)))


def party(url, oid, who, what):
    body = {"reason": "decided by a person"} if what == "reject" else {}
    post(f"{url}/_sandbox/orders/{oid}/{who}/{what}", body)


def held(dump):
    """The orders held now: a hold record with no later record deciding them."""
    ids = {}
    with open(dump) as f:
        for line in f:
            r = json.loads(line)
            if r.get("type") == "hold":
                ids[r["order_id"]] = True
            elif r.get("type") in ("intent", "external"):
                ids.pop(r.get("order_id"), None)
    print("\n".join(ids))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "gen":
        gen(int(args[0]), int(args[1]), int(args[2]))
    elif cmd == "create":
        create(args[0], int(args[1]), int(args[2]))
    elif cmd == "party":
        party(*args)
    elif cmd == "held":
        held(args[0])
    else:
        print(__doc__, file=sys.stderr)
        return 64
    return 0


if __name__ == "__main__":
    sys.exit(main())
