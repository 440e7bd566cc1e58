#!/bin/sh
# Issue 12's acceptance for the metrics file (`metrics: {textfile: PATH}`):
# after a --once over 1,000 seeded orders the file is valid exposition
# format (tests/promtext.py, and promtool when installed), no PATH.tmp is
# left, and its counters agree with the sandbox's counts and with what
# `approvald evaluate` decides, rule by rule: approvals and rejections with
# the orders the sandbox saw approved and rejected, holds with the orders
# left pending.  A dry run first counts the same decisions under
# mode="dry-run" and none under mode="enforce".
. "$(dirname "$0")/lib.sh"

PROMTEXT="$HERE/../promtext.py"

# with_metrics FILE: the rules, with the metrics key
with_metrics() {
    write_rules 100 8
    printf 'metrics:\n  textfile: %s\n' "$1" >>"$T/rules.yaml"
}

# check_file FILE MODE: the file parses and its decision counters of MODE
# are evaluate's decisions (rule by rule); the other mode's are all zero
check_file() {
    [ -f "$1" ] || fail "no metrics file $1"
    [ ! -e "$1.tmp" ] || fail "$1.tmp left behind"
    python3 "$PROMTEXT" "$1" || fail "the metrics file is not valid exposition format"
    if command -v promtool >/dev/null; then
        promtool check metrics <"$1" || fail "promtool check metrics refuses $1"
    fi
    python3 "$PROMTEXT" --json "$1" >"$T/metrics.json" || fail "promtext.py --json"
    python3 - "$T/metrics.json" "$T/expected.jsonl" "$2" <<'PY' || fail "the $2 counters differ"
import collections, json, sys
fam = json.load(open(sys.argv[1]))
mode = sys.argv[3]
want = collections.Counter()
for line in open(sys.argv[2]):
    e = json.loads(line)
    want[(e["rule"] if e["rule"] is not None else "(default)", e["decision"])] += 1
got, other = collections.Counter(), 0
for name, labels, value in fam["approvald_decisions_total"]["samples"]:
    if labels["mode"] == mode:
        if value:
            got[(labels["rule"], labels["decision"])] += int(value)
    else:
        other += value
bad = 0
for k in sorted(set(want) | set(got)):
    if want[k] != got[k]:
        bad += 1
        print(f"rule {k[0]!r} {k[1]}: {got[k]} in the file, evaluate decides {want[k]}",
              file=sys.stderr)
if other:
    bad += 1
    print(f"{other} decisions counted in the other mode", file=sys.stderr)
print(f"metrics: {sum(got.values())} {mode} decisions in {len(got)} (rule, decision) pairs agree"
      if not bad else f"metrics: {bad} differences")
sys.exit(1 if bad else 0)
PY
}

# gauge NAME: the value of a sample-less-label family in $T/metrics.json
gauge() {
    python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))[sys.argv[2]]["samples"][0][2]))' \
        "$T/metrics.json" "approvald_$1"
}

start_sandbox --seed 1000
mkdir "$T/textfile"
write_rules 100 8
fetch_orders
expected

# A dry run: decided and counted, nothing sent.
with_metrics "$T/textfile/dry.prom"
start=$(date +%s)
run_once --dry-run
[ "$RC" = 0 ] || fail "--once --dry-run exited $RC"
check_file "$T/textfile/dry.prom" dry-run

# Enforced: the counters agree with the sandbox as well.
rm -rf "$T/state" && mkdir "$T/state"
with_metrics "$T/textfile/approvald.prom"
run_once
[ "$RC" = 0 ] || fail "--once exited $RC"
end=$(date +%s)
check_decisions
check_file "$T/textfile/approvald.prom" enforce
python3 - "$T/metrics.json" "$T/stats.json" <<'PY' || fail "the counters differ from the sandbox's"
import json, sys
fam = json.load(open(sys.argv[1]))
orders = json.load(open(sys.argv[2]))["orders"].values()
n = {"approve": 0, "reject": 0, "hold": 0}
for name, labels, value in fam["approvald_decisions_total"]["samples"]:
    if labels["mode"] == "enforce":
        n[labels["decision"]] += int(value)
sb = {"approve": sum(o["status"] == "Approved" and o["approveCalls"] > 0 for o in orders),
      "reject": sum(o["status"] == "Rejected" and o["rejectCalls"] > 0 for o in orders),
      "hold": sum(o["status"] == "PendingApproval" for o in orders)}
assert n == sb, f"metrics {n}, sandbox {sb}"
assert n["approve"] >= 100 and n["reject"] >= 10 and n["hold"] >= 1, n
calls = {labels["status"]: value for _, labels, value in fam["approvald_calls_total"]["samples"]}
assert calls.get("200", 0) >= n["approve"] + n["reject"], calls
print(f"sandbox agrees: {n}; calls by status {calls}")
PY
[ "$(gauge cycles_total)" = 1 ] || fail "cycles_total is $(gauge cycles_total)"
last=$(gauge last_successful_poll_timestamp_seconds)
[ "$last" -ge "$start" ] && [ "$last" -le "$end" ] ||
    fail "last successful poll $last, not between $start and $end"
held=$(grep -c '"decision": *"hold"' "$T/expected.jsonl" || true)
[ "$(gauge holds_waiting)" = "$held" ] || fail "holds_waiting $(gauge holds_waiting), want $held"
size=$(wc -c <"$T/state/journal")
[ "$(gauge journal_bytes)" = "$size" ] || fail "journal_bytes $(gauge journal_bytes), file $size"
echo "ok: metrics file agrees with the sandbox"
