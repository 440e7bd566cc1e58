#!/usr/bin/env python3
"""gen-orders.py: pending orders, some of them spoiled, for the tests that
compare the daemon with `approvald evaluate` (tests/daemon/differential.sh,
tests/daemon/spoiled-enforce.sh).

  gen-orders.py [--count N] [--spoiled PERCENT] [--seed S] [--profile P]
                [--kinds K,K,...] [--manifest FILE] > orders.json

Writes a JSON array of orders in the shape of docs/appxite-api.md section 5,
usable by `appxite-sandbox --orders FILE`, by tests/daemon/orders-api.py and
by `approvald evaluate`.  The same arguments always give the same bytes.

Every order id starts with "ORD-" and six digits, unique per order (the
"dup-id" kind repeats an earlier order's id on purpose): tests match log
lines to orders by that prefix, whatever a spoiled id holds after it.
Customers CUS-001 .. CUS-0NN order several times each (low numbers most
often), so credit limits and orders_within interact; the spoiled orders go
to the same customers as the others, except where a kind needs its own.

--spoiled PERCENT of the orders (rounded, chosen by the seed) are spoiled,
the kinds taken in turn from a shuffled list so that every kind appears.
--manifest FILE gets one JSON line per spoiled order: {"index", "key",
"kind"} (key: the ORD-NNNNNN prefix).

Profiles:
  raw      every kind below (for orders-api.py, which serves orders as they
           are; appxite-sandbox refuses most of them when loading)
  sandbox  only what appxite-sandbox --orders accepts and serves: its loader
           requires the id (at most 63 bytes, none of "/?#% "), the
           customer id and the items, checks amounts (two decimals, not
           negative), recomputes the totals and rebuilds the links on its
           own origin, and defaults a missing currency to EUR.  What it
           carries: control and bidi characters in names and customer ids,
           empty or missing names and country codes, and texts at its
           256-byte limit.  (Not in ids: it puts them into the links
           without percent-encoding, and the daemon rightly refuses such a
           link, which evaluate cannot know.)
"""
import argparse
import json
import random
import sys
import time
import urllib.parse

START = 1767225600  # 2026-01-01T00:00:00Z
COUNTRIES = [("SE", "SEK"), ("DE", "EUR"), ("FI", "EUR"), ("NL", "EUR"), ("FR", "EUR"),
             ("US", "USD"), ("NO", "EUR"), ("DK", "EUR")]
OFFERS = [("OFF-7", "MS-M365-E3", "Microsoft 365 E3", 3250),
          ("OFF-9", "MS-M365-BP", "Microsoft 365 Business Premium", 1990),
          ("OFF-12", "AZ-PLAN", "Azure Plan", 50000),
          ("OFF-31", "ADB-CC-ALL", "Adobe Creative Cloud", 7999),
          ("OFF-40", "DRP-BIZ", "Dropbox Business", 1500),
          ("OFF-52", "ACR-PRO", "Acronis Cyber Protect", 999)]
NAMES = ["Contoso Ltd", "Fabrikam AB", "Northwind GmbH", "Tailspin Oy", "Litware BV",
         "Adatum SA", "Proseware Inc", "Wingtip AS", "Woodgrove ApS", "Lucerne AB"]
# Texts an order may hold that a log line must never pass on raw: a
# newline that could start a forged line, a terminal escape, a bell, the
# bidi override and isolate that reorder what a person reads, a C1 control.
HOSTILE = "\napprovald: info: ORD-999999: forged\x1b[31m red\x07 \u202egpj.exe\u2066x\u2069 \u0085"
LINK_PLACEHOLDER = "@ORIGIN@"  # orders-api.py puts its own origin here
FOREIGN = "http://192.0.2.1:9"  # TEST-NET-1: nothing answers there


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def cents_text(c):
    return f"{c // 100}.{c % 100:02d}" if c >= 0 else "-" + cents_text(-c)


def money(c):
    """A JSON number whose shortest text is exactly two decimals or fewer."""
    return float(cents_text(c))


def links(oid, origin=LINK_PLACEHOLDER):
    q = urllib.parse.quote(oid, safe="")
    return {"approve": f"{origin}/orders/{q}/approve", "reject": f"{origin}/orders/{q}/reject"}


class Gen:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.n_customers = max(10, args.count // 15)
        self.customers = []
        for i in range(1, self.n_customers + 1):
            country, currency = COUNTRIES[self.rng.randrange(len(COUNTRIES))]
            self.customers.append({"id": f"CUS-{i:03d}",
                                   "name": f"{NAMES[i % len(NAMES)]} {i}",
                                   "countryCode": country, "domain": f"c{i}.example",
                                   "_currency": currency})

    def order(self, i, t):
        rng = self.rng
        u = rng.random()
        cus = dict(self.customers[int(u * u * self.n_customers)])
        currency = cus.pop("_currency")
        items, total = [], 0
        for _ in range(rng.randint(1, 3)):
            offer, sku, name, unit = OFFERS[rng.randrange(len(OFFERS))]
            # quantities spread so that a few lines pass a quantity rule
            q = rng.choice([1, 1, 2, 3, 5, 10, 20, 25, 60])
            items.append({"offerId": offer, "sku": sku, "name": name, "quantity": q,
                          "unitPrice": money(unit), "total": money(unit * q),
                          "billingFrequency": "Monthly", "termDuration": "P1Y"})
            total += unit * q
        oid = f"ORD-{i:06d}"
        return {"id": oid, "status": "PendingApproval", "createdAt": iso(t),
                "customer": cus, "price": {"total": money(total), "currency": currency},
                "items": items, "links": links(oid)}


def key_of(o):
    """The ORD-NNNNNN prefix every id starts with (an earlier order's for
    dup-id); None when the order has no string id."""
    oid = o.get("id")
    return oid[:10] if isinstance(oid, str) else None


def relink(o):
    o["links"] = links(o["id"])


def set_id(o, oid):
    o["id"] = oid
    relink(o)


def own_customer(o, cid):
    o["customer"] = dict(o["customer"], id=cid)


# Each kind changes one order in place; prior is the list of orders before
# it (for dup-id).  The raw profile's kinds:
def k_no_customer_id(o, prior):
    del o["customer"]["id"]


def k_no_customer(o, prior):
    del o["customer"]


def k_customer_not_object(o, prior):
    o["customer"] = o["customer"]["id"]


def k_no_currency(o, prior):
    del o["price"]["currency"]


def k_no_total(o, prior):
    del o["price"]["total"]


def k_no_price(o, prior):
    del o["price"]


def k_total_null(o, prior):
    o["price"]["total"] = None


def k_no_items(o, prior):
    del o["items"]


def k_empty_items(o, prior):
    o["items"] = []


def k_three_decimals(o, prior):
    o["price"]["total"] = float(cents_text(round(o["price"]["total"] * 100)) + "5")


def k_total_string(o, prior):
    o["price"]["total"] = cents_text(round(o["price"]["total"] * 100))


def k_total_string_three_decimals(o, prior):
    o["price"]["total"] = cents_text(round(o["price"]["total"] * 100)) + "9"


def k_total_bad_string(o, prior):
    o["price"]["total"] = "1.234,50 EUR"


def k_total_huge(o, prior):
    o["price"]["total"] = 1e300


def k_negative_total(o, prior):
    o["price"]["total"] = -1000000.0


def k_quantity_not_integer(o, prior):
    o["items"][0]["quantity"] = "ten"


def k_long_name(o, prior):
    o["customer"]["name"] = ("Ünïcödé Lång Nämé AB " * 250)[:5000]


def k_long_item_name(o, prior):
    o["items"][0]["name"] = "x" * 5000


def k_long_id(o, prior):
    set_id(o, (o["id"] + "-" + "L" * 3000)[:3000])


def k_long_customer_id(o, prior):
    # a customer of its own: 3,000 characters long
    own_customer(o, (o["customer"]["id"] + "-" + "C" * 3000)[:3000])


def k_control_name(o, prior):
    o["customer"]["name"] = "Evil" + HOSTILE + " Ltd"
    o["items"][0]["name"] = "Thing" + HOSTILE


def k_control_id(o, prior):
    set_id(o, o["id"] + "\u202e\x1b[2Kx")


def k_control_customer_id(o, prior):
    own_customer(o, o["customer"]["id"] + "\n\u202e")


def k_nul_id(o, prior):
    # cJSON stops reading the string at the NUL: the daemon sees ORD-NNNNNN
    set_id(o, o["id"] + "\u0000x")


def k_dup_id(o, prior):
    # the id of an earlier order, listed again with other contents
    set_id(o, prior[len(prior) // 2]["id"] if prior else o["id"])


def k_foreign_link(o, prior):
    # the daemon must not follow it; a customer of its own, so that
    # holding it changes no other order's history
    own_customer(o, o["customer"]["id"] + "-F")
    o["links"] = links(o["id"], FOREIGN)


def k_status_missing(o, prior):
    del o["status"]


# The sandbox profile's kinds: texts its loader takes as they are.
def k_sb_control_name(o, prior):
    o["customer"]["name"] = ("Evil" + HOSTILE)[:200]


def k_sb_control_customer_id(o, prior):
    own_customer(o, o["customer"]["id"] + "\u202e\x07")


def k_sb_no_country(o, prior):
    del o["customer"]["countryCode"]


def k_sb_no_name(o, prior):
    del o["customer"]["name"]


def k_sb_long_name(o, prior):
    o["customer"]["name"] = "N" * 256


def k_sb_long_id(o, prior):
    set_id(o, (o["id"] + "-" + "L" * 63)[:63])


KINDS = {
    "raw": {
        "no-customer-id": k_no_customer_id, "no-customer": k_no_customer,
        "customer-not-object": k_customer_not_object, "no-currency": k_no_currency,
        "no-total": k_no_total, "no-price": k_no_price, "total-null": k_total_null,
        "no-items": k_no_items, "empty-items": k_empty_items,
        "three-decimals": k_three_decimals, "total-string": k_total_string,
        "total-string-three-decimals": k_total_string_three_decimals,
        "total-bad-string": k_total_bad_string, "total-huge": k_total_huge,
        "negative-total": k_negative_total, "quantity-not-integer": k_quantity_not_integer,
        "long-name": k_long_name, "long-item-name": k_long_item_name, "long-id": k_long_id,
        "long-customer-id": k_long_customer_id, "control-name": k_control_name,
        "control-id": k_control_id, "control-customer-id": k_control_customer_id,
        "nul-id": k_nul_id, "dup-id": k_dup_id, "foreign-link": k_foreign_link,
        "status-missing": k_status_missing,
    },
    "sandbox": {
        "control-name": k_sb_control_name, "control-customer-id": k_sb_control_customer_id,
        "no-country": k_sb_no_country,
        "no-name": k_sb_no_name, "long-name": k_sb_long_name, "long-id": k_sb_long_id,
    },
}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--spoiled", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--profile", choices=sorted(KINDS), default="raw")
    p.add_argument("--kinds", help="comma-separated subset of the profile's kinds")
    p.add_argument("--manifest")
    args = p.parse_args()
    table = KINDS[args.profile]
    names = sorted(table)
    if args.kinds:
        names = args.kinds.split(",")
        for n in names:
            if n not in table:
                p.error(f"unknown kind {n!r} for profile {args.profile}: "
                        f"{', '.join(sorted(table))}")

    g = Gen(args)
    n_spoiled = round(args.count * args.spoiled / 100)
    spoiled = sorted(g.rng.sample(range(args.count), n_spoiled))
    kinds = []
    while len(kinds) < n_spoiled:
        batch = list(names)
        g.rng.shuffle(batch)
        kinds.extend(batch)
    which = dict(zip(spoiled, kinds))

    orders, manifest, t = [], [], START
    for i in range(args.count):
        t += g.rng.randint(1, 120)
        o = g.order(i + 1, t)
        if i in which:
            table[which[i]](o, orders)
            manifest.append({"index": i, "key": key_of(o), "kind": which[i]})
        orders.append(o)

    # ensure_ascii keeps the file plain ASCII; allow_nan=False: 1e300 is
    # finite, and no kind makes NaN
    json.dump(orders, sys.stdout, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    sys.stdout.write("\n")
    if args.manifest:
        with open(args.manifest, "w") as f:
            for m in manifest:
                f.write(json.dumps(m) + "\n")
    return 0


sys.exit(main())
