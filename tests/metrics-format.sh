#!/bin/sh
# metrics-format.sh: the metrics file the module writes (test-metrics
# --sample: escaped seller text, invalid UTF-8, the rule and status caps,
# every family) is valid exposition format by tests/promtext.py, whose own
# self-test first shows that it refuses what is bad, and by `promtool check
# metrics` when Prometheus's promtool is installed (Debian 12: apt-get
# install prometheus).
#   metrics-format.sh TEST_METRICS
set -u
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

python3 "$here/promtext.py" --self-test || fail "promtext.py's self-test"
"$1" --sample "$dir/approvald.prom" || fail "test-metrics --sample"
python3 "$here/promtext.py" "$dir/approvald.prom" || fail "promtext.py refuses the file"
python3 "$here/promtext.py" --json "$dir/approvald.prom" >"$dir/samples.json" ||
        fail "promtext.py --json"
python3 - "$dir/samples.json" <<'PY' || fail "the file's families"
import json, sys
f = json.load(open(sys.argv[1]))
want = {"approvald_decisions_total": "counter", "approvald_calls_total": "counter",
        "approvald_cycles_total": "counter", "approvald_cycle_duration_seconds": "gauge",
        "approvald_last_successful_poll_timestamp_seconds": "gauge",
        "approvald_holds_waiting": "gauge", "approvald_journal_bytes": "gauge"}
got = {k: v["type"] for k, v in f.items()}
assert got == want, got
rules = {s[1]["rule"] for s in f["approvald_decisions_total"]["samples"]}
assert 'Not served: "NO"/"DK" \u2014 \u00fcn\\\nnewline' in rules, rules
assert "bad \ufffd\ufffd byte" in rules, rules
assert "(other)" in rules and "(default)" in rules, rules
assert f["approvald_cycle_duration_seconds"]["samples"][0][2] == 2.5
PY
if command -v promtool >/dev/null; then
        promtool check metrics <"$dir/approvald.prom" || fail "promtool check metrics"
else
        echo "promtool not installed: checked by promtext.py alone"
fi
echo "ok: metrics-format"
