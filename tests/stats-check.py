#!/usr/bin/env python3
"""stats-check.py: checks `approvald stats --json` against an independent count.

  stats-check.py journal DUMP.jsonl STATS.json
      recounts the records of `approvald journal dump` over the window that
      STATS.json states (from, to) and compares every number
  stats-check.py sandbox STATS.json SANDBOX_STATS.json ORDERS.json
      after a run against appxite-sandbox: the approvals and rejections, the
      calls and the amounts approved per currency agree with the sandbox's
      own counts (/_sandbox/stats) and its order list (check.py fetch)

Exits 0 when everything agrees, 1 naming each difference.
"""
import json
import sys
from datetime import datetime, timezone
from decimal import Decimal


def epoch(ts):
    return int(datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=timezone.utc).timestamp())


def recount(dump_path, t_from, t_to):
    """The statistics as docs/operation.md defines them, from the dump."""
    orders = {}
    with open(dump_path) as f:
        for line in f:
            r = json.loads(line)
            if r["type"] == "intent":
                if r["decision"] not in ("approve", "reject"):
                    continue
                if not t_from <= r["time"] <= t_to or r["order_id"] in orders:
                    continue
                orders[r["order_id"]] = dict(r, fate="open")
            elif r["type"] == "outcome" and r["order_id"] in orders:
                o = orders[r["order_id"]]
                want = "Approved" if o["decision"] == "approve" else "Rejected"
                o["fate"] = ("not_found" if r["final_status"] == "NotFound" else
                             "as_decided" if r["final_status"] == want else "conflict")
    dec = {"approve": 0, "reject": 0}
    rules, amounts = {}, {}
    calls = {"as_decided": 0, "conflict": 0, "not_found": 0, "open": 0}
    for o in orders.values():
        dec[o["decision"]] += 1
        rule = rules.setdefault(o["rule"], {"approve": 0, "reject": 0})
        rule[o["decision"]] += 1
        calls[o["fate"]] += 1
        if o["decision"] == "approve" and o["fate"] in ("open", "as_decided"):
            a = amounts.setdefault(o["currency"], [0, 0])
            a[0] += o["total"]
            a[1] += 1
    calls["done"] = calls["as_decided"] + calls["conflict"] + calls["not_found"]
    return dec, rules, amounts, calls


def check_journal(dump_path, stats_path):
    with open(stats_path) as f:
        s = json.load(f)
    dec, rules, amounts, calls = recount(dump_path, epoch(s["from"]), epoch(s["to"]))
    bad = []
    want_dec = dict(dec, total=dec["approve"] + dec["reject"])
    if s["decisions"] != want_dec:
        bad.append(f"decisions {s['decisions']}, want {want_dec}")
    got_rules = {r["rule"]: {"approve": r["approve"], "reject": r["reject"]}
                 for r in s["rules"]}
    if len(got_rules) != len(s["rules"]):
        bad.append("a rule is listed twice")
    if got_rules != rules:
        bad.append(f"rules {got_rules}, want {rules}")
    for r in s["rules"]:
        if r["total"] != r["approve"] + r["reject"]:
            bad.append(f"rule {r['rule']!r}: total {r['total']}")
    got_amounts = {a["currency"]: [a["minor_units"], a["orders"]] for a in s["approved"]}
    if got_amounts != amounts:
        bad.append(f"approved {got_amounts}, want {amounts}")
    for a in s["approved"]:
        if Decimal(a["amount"]) * 100 != a["minor_units"]:
            bad.append(f"{a['currency']}: amount {a['amount']} is not {a['minor_units']}")
    if s["calls"] != calls:
        bad.append(f"calls {s['calls']}, want {calls}")
    return report(bad, f"{want_dec['total']} decisions, {len(rules)} rules, "
                       f"{len(amounts)} currencies")


def check_sandbox(stats_path, sandbox_path, orders_path):
    with open(stats_path) as f:
        s = json.load(f)
    with open(sandbox_path) as f:
        sb = json.load(f)["orders"]
    with open(orders_path) as f:
        listed = {o["id"]: o for o in json.load(f)}
    approved = [i for i, o in sb.items() if o["approveCalls"] > 0 and o["status"] == "Approved"]
    rejected = [i for i, o in sb.items() if o["rejectCalls"] > 0 and o["status"] == "Rejected"]
    calls = sum(1 for o in sb.values() if o["approveCalls"] or o["rejectCalls"])
    bad = []
    if s["decisions"]["approve"] != len(approved):
        bad.append(f"{s['decisions']['approve']} approvals, the sandbox approved {len(approved)}")
    if s["decisions"]["reject"] != len(rejected):
        bad.append(f"{s['decisions']['reject']} rejections, the sandbox rejected {len(rejected)}")
    if s["calls"]["done"] != calls or s["calls"]["as_decided"] != calls:
        bad.append(f"calls {s['calls']}, the sandbox was called on {calls} orders")
    if s["calls"]["open"] or s["calls"]["conflict"] or s["calls"]["not_found"]:
        bad.append(f"calls {s['calls']}: none should be open, in conflict or not found")
    want = {}
    for i in approved:
        price = listed[i]["price"]
        a = want.setdefault(price["currency"], [0, 0])
        a[0] += int(Decimal(str(price["total"])) * 100)
        a[1] += 1
    got = {a["currency"]: [a["minor_units"], a["orders"]] for a in s["approved"]}
    if got != want:
        bad.append(f"approved {got}, the sandbox's orders give {want}")
    return report(bad, f"{len(approved)} approved, {len(rejected)} rejected, "
                       f"amounts in {len(want)} currencies")


def report(bad, summary):
    for b in bad:
        print("stats-check:", b, file=sys.stderr)
    print("stats-check:", summary, "(agree)" if not bad else f"({len(bad)} differences)")
    return 1 if bad else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "journal":
        return check_journal(sys.argv[2], sys.argv[3])
    if len(sys.argv) == 5 and sys.argv[1] == "sandbox":
        return check_sandbox(sys.argv[2], sys.argv[3], sys.argv[4])
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
