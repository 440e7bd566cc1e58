#!/usr/bin/env python3
"""stats-check.py: checks `approvald stats --json` against an independent count.

  stats-check.py journal DUMP.jsonl STATS.json
      recounts the records of `approvald journal dump` over the window that
      STATS.json states (from, to) and compares every number
  stats-check.py sandbox STATS.json SANDBOX_STATS.json ORDERS.json [MANUAL]
      after a run against appxite-sandbox: the approvals and rejections, the
      calls, the holds and the amounts approved per currency agree with the
      sandbox's own counts (/_sandbox/stats) and its order list (check.py
      fetch); MANUAL lists the orders decided by hand, "ID approve|reject"
      a line

Exits 0 when everything agrees, 1 naming each difference.
"""
import json
import sys
from datetime import datetime, timezone
from decimal import Decimal


def epoch(ts):
    return int(datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=timezone.utc).timestamp())


def status_of(text):
    return {"Approved": "approved", "PendingApproval": "pending",
            "NotFound": "not_found"}.get(text, "rejected")


def replay(dump_path, t_from, t_to):
    """Reads the dump as the daemon's state does (docs/operation.md): the
    first decision of an order stands, unless it was a hold; a hold after a
    decision is ignored; what the API said updates the status.  Returns the
    final state and the window's decisions, holds and portal decisions."""
    state, orders, held, manual = {}, {}, {}, {}
    with open(dump_path) as f:
        for line in f:
            r = json.loads(line)
            oid, t = r.get("order_id"), r["time"]
            inside = t_from <= t <= t_to
            e = state.get(oid)
            if r["type"] == "intent":
                if e and e["kind"] != "hold":
                    continue
                state[oid] = {"kind": r["decision"], "status": None}
                if inside and r["decision"] in ("approve", "reject") and oid not in orders:
                    orders[oid] = r
            elif r["type"] == "outcome" and e:
                e["status"] = status_of(r["final_status"])
            elif r["type"] == "hold":
                if e and e["kind"] != "hold":
                    continue
                state[oid] = {"kind": "hold", "status": None}
                if inside and oid not in held:
                    held[oid] = r.get("rule")
            elif r["type"] == "external":
                if not e or e["kind"] == "hold":
                    e = state[oid] = {"kind": "external"}
                e["status"] = status_of(r["status"])
                if r["source"] == "portal" and inside and e["status"] != "pending":
                    manual[oid] = e["status"]
    return state, orders, held, manual


def recount(dump_path, t_from, t_to):
    """The statistics as docs/operation.md defines them, from the dump."""
    state, orders, held, manual = replay(dump_path, t_from, t_to)
    dec = {"approve": 0, "reject": 0, "hold": len(held)}
    rules, amounts = {}, {}
    calls = {"as_decided": 0, "conflict": 0, "not_found": 0, "waiting_others": 0, "open": 0}
    for oid, o in orders.items():
        dec[o["decision"]] += 1
        rules.setdefault(o.get("rule"), {"approve": 0, "reject": 0, "hold": 0})[o["decision"]] += 1
        st = state[oid]["status"]
        want = "approved" if o["decision"] == "approve" else "rejected"
        calls[{None: "open", "pending": "waiting_others", "not_found": "not_found",
               want: "as_decided"}.get(st, "conflict")] += 1
        if o["decision"] == "approve" and st not in ("rejected", "not_found"):
            a = amounts.setdefault(o["currency"], [0, 0])
            a[0] += o["total"]
            a[1] += 1
    for oid, rule in held.items():
        rules.setdefault(rule, {"approve": 0, "reject": 0, "hold": 0})["hold"] += 1
    calls["done"] = sum(v for k, v in calls.items() if k != "open")
    fates = [state[oid]["kind"] for oid in held]
    holds = {"held": len(held), "waiting": fates.count("hold"),
             "decided_by_rules": sum(k in ("approve", "reject") for k in fates),
             "decided_in_portal": fates.count("external")}
    waiting = sum(e["kind"] == "hold" and e["status"] is None for e in state.values())
    m = list(manual.values())
    man = {"approved": m.count("approved"), "rejected": m.count("rejected"),
           "not_found": m.count("not_found"), "total": len(m)}
    return dec, rules, amounts, calls, holds, waiting, man


def check_journal(dump_path, stats_path):
    with open(stats_path) as f:
        s = json.load(f)
    dec, rules, amounts, calls, holds, waiting, man = recount(
        dump_path, epoch(s["from"]), epoch(s["to"]))
    bad = []
    want_dec = dict(dec, total=sum(dec.values()))
    if s["decisions"] != want_dec:
        bad.append(f"decisions {s['decisions']}, want {want_dec}")
    got_rules = {r["rule"]: {"approve": r["approve"], "reject": r["reject"], "hold": r["hold"]}
                 for r in s["rules"]}
    if len(got_rules) != len(s["rules"]):
        bad.append("a rule is listed twice")
    if got_rules != rules:
        bad.append(f"rules {got_rules}, want {rules}")
    for r in s["rules"]:
        if r["total"] != r["approve"] + r["reject"] + r["hold"]:
            bad.append(f"rule {r['rule']!r}: total {r['total']}")
    got_amounts = {a["currency"]: [a["minor_units"], a["orders"]] for a in s["approved"]}
    if got_amounts != amounts:
        bad.append(f"approved {got_amounts}, want {amounts}")
    for a in s["approved"]:
        if Decimal(a["amount"]) * 100 != a["minor_units"]:
            bad.append(f"{a['currency']}: amount {a['amount']} is not {a['minor_units']}")
    for key, want in (("calls", calls), ("holds", holds), ("holds_waiting", waiting),
                      ("manual_decisions", man)):
        if s[key] != want:
            bad.append(f"{key} {s[key]}, want {want}")
    return report(bad, f"{want_dec['total']} decisions, {len(rules)} rules, "
                       f"{len(amounts)} currencies")


def check_sandbox(stats_path, sandbox_path, orders_path, manual_path=None):
    with open(stats_path) as f:
        s = json.load(f)
    with open(sandbox_path) as f:
        sb = json.load(f)["orders"]
    with open(orders_path) as f:
        listed = {o["id"]: o for o in json.load(f)}
    manual = {}
    if manual_path:
        with open(manual_path) as f:
            manual = dict(line.split() for line in f if line.strip())
    ours = {i: o for i, o in sb.items() if i not in manual}
    approved = [i for i, o in ours.items() if o["approveCalls"] > 0 and o["status"] == "Approved"]
    rejected = [i for i, o in ours.items() if o["rejectCalls"] > 0 and o["status"] == "Rejected"]
    pending = [i for i, o in sb.items() if o["status"] == "PendingApproval"]
    calls = sum(1 for o in ours.values() if o["approveCalls"] or o["rejectCalls"])
    bad = []
    if s["decisions"]["approve"] != len(approved):
        bad.append(f"{s['decisions']['approve']} approvals, the sandbox approved {len(approved)}")
    if s["decisions"]["reject"] != len(rejected):
        bad.append(f"{s['decisions']['reject']} rejections, the sandbox rejected {len(rejected)}")
    if s["calls"]["done"] != calls or s["calls"]["as_decided"] != calls:
        bad.append(f"calls {s['calls']}, the sandbox was called on {calls} orders")
    if s["calls"]["open"] or s["calls"]["conflict"] or s["calls"]["not_found"]:
        bad.append(f"calls {s['calls']}: none should be open, in conflict or not found")
    want_holds = {"held": len(pending) + len(manual), "waiting": len(pending),
                  "decided_by_rules": 0, "decided_in_portal": len(manual)}
    if s["decisions"]["hold"] != len(pending) + len(manual) or s["holds"] != want_holds:
        bad.append(f"holds {s['holds']}, the sandbox has {len(pending)} pending and "
                   f"{len(manual)} decided by hand")
    if s["holds_waiting"] != len(pending):
        bad.append(f"holds_waiting {s['holds_waiting']}, the sandbox has {len(pending)} pending")
    m = list(manual.values())
    want_manual = {"approved": m.count("approve"), "rejected": m.count("reject"),
                   "not_found": 0, "total": len(m)}
    if s["manual_decisions"] != want_manual:
        bad.append(f"manual_decisions {s['manual_decisions']}, want {want_manual}")
    want = {}
    for i in approved:
        price = listed[i]["price"]
        a = want.setdefault(price["currency"], [0, 0])
        a[0] += int(Decimal(str(price["total"])) * 100)
        a[1] += 1
    got = {a["currency"]: [a["minor_units"], a["orders"]] for a in s["approved"]}
    if got != want:
        bad.append(f"approved {got}, the sandbox's orders give {want}")
    return report(bad, f"{len(approved)} approved, {len(rejected)} rejected, {len(pending)} "
                       f"held, {len(manual)} decided by hand, amounts in {len(want)} currencies")


def report(bad, summary):
    for b in bad:
        print("stats-check:", b, file=sys.stderr)
    print("stats-check:", summary, "(agree)" if not bad else f"({len(bad)} differences)")
    return 1 if bad else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "journal":
        return check_journal(sys.argv[2], sys.argv[3])
    if len(sys.argv) in (5, 6) and sys.argv[1] == "sandbox":
        return check_sandbox(*sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
