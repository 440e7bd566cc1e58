#!/usr/bin/env python3
"""decisions.py: compares the daemon's decisions with `approvald evaluate`'s
over orders made by tests/gen-orders.py (whose ids all start with a unique
ORD-NNNNNN, the key used here: a log line cuts and escapes a long or odd
id, and cJSON cuts one at a NUL).

  decisions.py log-vs-evaluate LOG EXPECTED MANIFEST
      differential.sh: the decision logged for each order (dry run) equals
      evaluate's, for every order, spoiled or not.  Exit 1 on any
      difference, each printed with the order's kind and both decisions.

  decisions.py stats-vs-evaluate STATS EXPECTED MANIFEST LOG PATTERN QUIET
      spoiled-enforce.sh: every well-formed order ends as evaluate decides
      it (Approved, Rejected, or still pending for hold) and is called at
      most once; a spoiled order may be decided (as evaluate decides it) or
      left pending, and the log has exactly one line matching PATTERN (a
      regular expression) that names it; at most one for the kinds listed
      in QUIET (comma-separated: odd but valid orders).

  decisions.py apply-stats STATS ORDERS
      prints ORDERS with the status of each order the daemon decided.

  decisions.py two-runs-input JOURNAL FIRST_LOG ORDERS
      evaluate's input for a daemon that ran once enforcing (JOURNAL: its
      `journal dump`; FIRST_LOG: its log) and then, restarted, over what
      was left: the orders the first run journaled or held, then those it
      never decided or held without journaling the hold (the second run
      decides them again; a journaled hold stands while the rules do), in
      ORDERS' order each time.

  decisions.py two-runs JOURNAL FIRST_LOG LOG EXPECTED MANIFEST
      differential.sh: what the first run decided (journaled intents, and
      holds) equals evaluate's first decision of each order; the second
      run's logged decision (dry run) equals evaluate's last decision for
      every order it had to decide.

  decisions.py held-spoiled STATS MANIFEST ORDERS
      prints ORDERS without the spoiled orders the daemon left pending: a
      held order never counts in the history, so evaluate over this list
      must agree with what the daemon did with the rest.

EXPECTED is evaluate's output (one JSON line per order); MANIFEST is
gen-orders.py's (one line per spoiled order: index, key, kind).  With
$DECISIONS_ORDERS naming the generated orders, each difference also lists
the spoiled orders of the same customer before it (the likely cause).
"""
import json
import os
import re
import sys

KEY = re.compile(r"ORD-\d{6}")
# The daemon's lines that decide an order: the decision (a warning when
# something about the order is odd), a hold for what the order holds (the
# "order problem" line), a link refused.
DECISION = re.compile(r"^approvald: (?:info|warning): (.*?): (approve|reject|hold)"
                      r"(?: \(dry run: not sent\))? by (?:default|rule \")")
PROBLEM = re.compile(r"^approvald: warning: order (.*?): held: ")
REFUSED = re.compile(r"^approvald: error: (.*?): (?:approve|reject) link .* not followed, "
                     r"order held")
STATUS = {"Approved": "approve", "Rejected": "reject", "PendingApproval": "hold"}


def key(oid):
    m = KEY.match(oid) if isinstance(oid, str) else None
    return m.group(0) if m else None


def read_expected(path):
    """key -> evaluate's first line for it, and the keys seen twice."""
    first, twice = {}, set()
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            k = key(e["id"])
            if k in first:
                twice.add(k)
            else:
                first[k] = e
    return first, twice


def read_manifest(path):
    kinds = {}
    with open(path) as f:
        for line in f:
            m = json.loads(line)
            kinds.setdefault(m["key"], []).append(m["kind"])
    load_earlier(kinds)
    return kinds


def read_log(path):
    """key -> [(decision, line)] for every decision the daemon logged."""
    out = {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = DECISION.match(line)
            if m:
                out.setdefault(key(m.group(1)), []).append((m.group(2), line))
                continue
            m = PROBLEM.match(line)
            if m:
                out.setdefault(key(m.group(1)), []).append(("hold (order problem)", line))
                continue
            m = REFUSED.match(line)
            if m:
                out.setdefault(key(m.group(1)), []).append(("hold (link refused)", line))
    return out


def show(bad, most=int(os.environ.get("DECISIONS_SHOW", "60"))):
    """Prints the first differences (the first ones cause the others)."""
    for b in bad[:most]:
        print(b, file=sys.stderr)
    if len(bad) > most:
        print(f"... and {len(bad) - most} more", file=sys.stderr)


# Set from $DECISIONS_ORDERS (the generated orders) to say, for each order
# that differs, which spoiled orders of its customer came before it: the
# usual cause is one of them counted in the history by one side only.
EARLIER = {}


def load_earlier(kinds):
    path = os.environ.get("DECISIONS_ORDERS")
    if not path:
        return
    cus_spoiled = {}
    for o in read_orders(path):
        c = o.get("customer")
        c = c.get("id") if isinstance(c, dict) else None
        k = key(o.get("id"))
        if not isinstance(c, str) or k is None:
            continue
        EARLIER[k] = (c[:20], list(cus_spoiled.get(c, [])))
        if k in kinds:
            cus_spoiled.setdefault(c, []).append(f"{k} [{kinds[k][0]}]")


def describe(k, kinds, e, got):
    want = f"{e['decision']} by {e['rule'] or 'default'}: {e['reason']!r}" if e else \
        "nothing (not asked: held by the daemon)" if k in kinds else "nothing"
    text = (f"{k} [{', '.join(kinds.get(k, ['well-formed']))}]: evaluate says {want}; "
            f"the daemon {got}")
    if k in EARLIER and EARLIER[k][1]:
        text += f" (spoiled orders of {EARLIER[k][0]} before it: {', '.join(EARLIER[k][1])})"
    return text


def log_vs_evaluate(log_path, expected_path, manifest_path):
    expected, _ = read_expected(expected_path)
    kinds = read_manifest(manifest_path)
    logged = read_log(log_path)
    bad = []
    for k, e in expected.items():
        got = logged.get(k)
        if not got:
            bad.append(describe(k, kinds, e, "logged no decision"))
        elif len(got) > 1:
            bad.append(describe(k, kinds, e, f"logged {len(got)} decisions"))
        elif got[0][0].split(" ")[0] != e["decision"]:
            bad.append(describe(k, kinds, e, f"logged: {got[0][1][:300]}"))
    for k in logged:
        if k not in expected:
            bad.append(describe(k, kinds, None, f"logged: {logged[k][0][1][:300]}"))
    show(bad)
    spoiled = sum(1 for k in expected if k in kinds)
    print(f"{len(expected)} orders ({spoiled} spoiled): {len(bad)} differ")
    return 1 if bad else 0


def read_all_expected(path):
    """key -> every line evaluate wrote for it, in order."""
    out = {}
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            out.setdefault(key(e["id"]), []).append(e)
    return out


def read_orders(path):
    with open(path) as f:
        return json.load(f)


def stats_by_key(path):
    with open(path) as f:
        return {key(oid): o for oid, o in json.load(f)["orders"].items()}


def apply_stats(stats_path, orders_path):
    stats = stats_by_key(stats_path)
    out = []
    for o in read_orders(orders_path):
        s = stats.get(key(o.get("id")))
        if s and s["status"] != "PendingApproval":
            o = dict(o, status=s["status"])
        out.append(o)
    json.dump(out, sys.stdout)
    return 0


def first_decisions(journal_path, log_path):
    """key -> what the first run decided, for the orders it got through:
    the journaled intents (a call not made yet is sent by the next
    enforcing run) and the holds it logged.  An order it logged as decided
    but could not journal counts as never decided: its decision died with
    the process."""
    out = {k: d[0][0] for k, d in read_log(log_path).items() if d[0][0].startswith("hold")}
    with open(journal_path) as f:
        for line in f:
            r = json.loads(line)
            if r["type"] == "intent":
                out[key(r["order_id"])] = r["decision"]
    return out


def journaled_holds(journal_path):
    """The keys of the orders the first run journaled as held: with the same
    rules in force, the second run neither decides nor logs them again."""
    out = set()
    with open(journal_path) as f:
        for line in f:
            r = json.loads(line)
            if r["type"] == "hold":
                out.add(key(r["order_id"]))
    return out


def two_runs_input(journal_path, log_path, orders_path):
    first, orders = first_decisions(journal_path, log_path), read_orders(orders_path)
    kept = journaled_holds(journal_path)
    done = [o for o in orders if key(o.get("id")) in first]
    again = [o for o in orders if first.get(key(o.get("id")), "hold").startswith("hold") and
             key(o.get("id")) not in kept]
    json.dump(done + again, sys.stdout)
    return 0


def two_runs(journal_path, first_log, log_path, expected_path, manifest_path):
    first, expected = first_decisions(journal_path, first_log), read_all_expected(expected_path)
    kinds, logged = read_manifest(manifest_path), read_log(log_path)
    bad = []
    for k, d in first.items():
        e = expected[k][0]
        if d.split(" ")[0] != e["decision"]:
            bad.append("first run: " + describe(k, kinds, e, f"decided {d}"))
    second = [k for k, es in expected.items() if k not in first or len(es) == 2]
    for k in second:
        e, got = expected[k][-1], logged.get(k)
        if not got:
            bad.append("second run: " + describe(k, kinds, e, "logged no decision"))
        elif len(got) > 1:
            bad.append("second run: " + describe(k, kinds, e, f"logged {len(got)}"))
        elif got[0][0].split(" ")[0] != e["decision"]:
            bad.append("second run: " + describe(k, kinds, e, f"logged: {got[0][1][:300]}"))
    for k in set(logged) - set(second):
        bad.append("second run: " + describe(k, kinds, None, f"logged: {logged[k][0][1][:300]}"))
    show(bad)
    spoiled = sum(1 for k in expected if k in kinds)
    print(f"{len(expected)} orders ({spoiled} spoiled), {len(first)} decided by the first run, "
          f"{len(second)} by the second: {len(bad)} differ")
    return 1 if bad else 0


def stats_vs_evaluate(stats_path, expected_path, manifest_path, log_path, pattern, quiet):
    with open(stats_path) as f:
        orders = json.load(f)["orders"]
    expected, _ = read_expected(expected_path)
    kinds = read_manifest(manifest_path)
    problem, quiet = re.compile(pattern), set(quiet.split(","))
    lines = {}
    with open(log_path, errors="replace") as f:
        for line in f:
            if problem.search(line):
                for k in set(KEY.findall(line)):
                    lines[k] = lines.get(k, 0) + 1
    by_key = {}
    for oid, o in orders.items():
        by_key.setdefault(key(oid), []).append(o)
    bad, counts = [], {}
    for k in sorted(set(expected) | set(kinds)):
        e, os_ = expected.get(k), by_key.get(k, [])
        if len(os_) != 1:
            bad.append(describe(k, kinds, e, f"has {len(os_)} orders in the stats"))
            continue
        o = os_[0]
        got = STATUS[o["status"]]
        counts[got] = counts.get(got, 0) + 1
        if o["approveCalls"] + o["rejectCalls"] > 1:
            bad.append(describe(k, kinds, e, f"was called {o['approveCalls']} times to approve, "
                                             f"{o['rejectCalls']} to reject"))
        if k in kinds:  # held, or decided as evaluate decides it; one line
            if got != "hold" and (not e or got != e["decision"]):
                bad.append(describe(k, kinds, e, f"made it {o['status']}"))
            # one line per spoiled order (an id listed twice is two orders)
            must = sum(1 for kind in kinds[k] if kind not in quiet)
            want = tuple(range(must, len(kinds[k]) + 1))
            if lines.get(k, 0) not in want:
                bad.append(describe(k, kinds, e, f"logged {lines.get(k, 0)} lines matching "
                                                 f"/{pattern}/ that name it (want "
                                                 f"{' or '.join(map(str, want))})"))
        elif not e or got != e["decision"]:
            bad.append(describe(k, kinds, e, f"left it {o['status']}"))
    show(bad)
    print(f"{len(by_key)} orders ({len(kinds)} spoiled): "
          f"{', '.join(f'{v} {k}' for k, v in sorted(counts.items()))}; {len(bad)} wrong")
    return 1 if bad else 0


def held_spoiled(stats_path, manifest_path, orders_path):
    with open(stats_path) as f:
        stats = json.load(f)["orders"]
    pending = {key(oid) for oid, o in stats.items() if o["status"] == "PendingApproval"}
    drop = set()
    with open(manifest_path) as f:
        for line in f:
            m = json.loads(line)
            # an id listed again is never decided a second time: evaluate
            # would count a second approval
            if m["key"] in pending or m["kind"] == "dup-id":
                drop.add(m["index"])
    with open(orders_path) as f:
        orders = json.load(f)
    json.dump([o for i, o in enumerate(orders) if i not in drop], sys.stdout)
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "log-vs-evaluate" and len(args) == 3:
        return log_vs_evaluate(*args)
    if cmd == "stats-vs-evaluate" and len(args) == 6:
        return stats_vs_evaluate(*args)
    if cmd == "apply-stats" and len(args) == 2:
        return apply_stats(*args)
    if cmd == "two-runs-input" and len(args) == 3:
        return two_runs_input(*args)
    if cmd == "two-runs" and len(args) == 5:
        return two_runs(*args)
    if cmd == "held-spoiled" and len(args) == 3:
        return held_spoiled(*args)
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
