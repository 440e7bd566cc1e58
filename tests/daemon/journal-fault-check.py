#!/usr/bin/env python3
"""journal-fault-check.py: the journal fault tests' invariant.

  journal-fault-check.py synced LOG
      the most bytes of the journal faultfs saw synced in LOG (0: none)
  journal-fault-check.py prefix DUMP BEFORE AFTER SYNCED
      every approve/reject call the sandbox counted between the stats
      BEFORE and AFTER is for an order whose intent (with that decision)
      starts before offset SYNCED in the journal dump DUMP: no call rests on
      an intent outside the synced prefix
"""
import json
import re
import sys


def synced(log_path):
    best = 0
    with open(log_path, errors="replace") as f:
        for line in f:
            m = re.search(r"^faultfs: f(?:data)?sync #\d+ on .*/journal: synced (\d+) bytes$",
                          line.rstrip("\n"))
            if m:
                best = max(best, int(m.group(1)))
    print(best)
    return 0


def load_orders(path):
    with open(path) as f:
        return json.load(f)["orders"]


def prefix(dump_path, before_path, after_path, synced_size):
    synced_size = int(synced_size)
    intents = {}  # order id -> decisions journaled inside the synced prefix
    with open(dump_path, errors="replace") as f:
        for line in f:
            r = json.loads(line)
            if r["type"] == "intent" and r["offset"] < synced_size:
                intents.setdefault(r["order_id"], set()).add(r["decision"])
    before, after = load_orders(before_path), load_orders(after_path)
    calls, bad = 0, 0
    for oid, o in after.items():
        b = before.get(oid, {"approveCalls": 0, "rejectCalls": 0})
        for key, decision in (("approveCalls", "approve"), ("rejectCalls", "reject")):
            n = o[key] - b[key]
            if n <= 0:
                continue
            calls += n
            if decision not in intents.get(oid, ()):
                bad += 1
                if bad <= 10:
                    print(f"{oid}: {n} {decision} call(s) without a synced intent",
                          file=sys.stderr)
    print(f"{calls} calls, {bad} outside the synced prefix ({synced_size} bytes)")
    return 1 if bad else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "synced":
        return synced(sys.argv[2])
    if len(sys.argv) == 6 and sys.argv[1] == "prefix":
        return prefix(*sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
