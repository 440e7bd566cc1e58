#!/bin/sh
# test-evaluate-memory.sh: `approvald evaluate` keeps its memory flat on a
# large JSON array (split element by element) and bounded on a large
# multi-line List response (its bytes, not a parsed tree): a 16 MB array
# once took 127 MB of peak RSS, 29 times the input.  Peak RSS is measured,
# not time.  Under the sanitizers RSS means nothing: skipped, saying so.
#   usage: test-evaluate-memory.sh APPROVALD DATA_DIR [sanitized]
set -eu

approvald=$1
data=$2
if [ "${3:-}" = sanitized ]; then
        echo "skipped: peak RSS is not meaningful under ASan/UBSan"
        exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
. "$(dirname "$0")/cli-lib.sh"

# 36,000 orders, about 10 MB, as an array and as a multi-line List response.
python3 - "$data/orders.jsonl" "$tmp" <<'PY'
import sys
orders = [l.rstrip("\n") for l in open(sys.argv[1]) if l.strip()]
out = sys.argv[2]
lines = []
for i in range(36000):
    o = orders[i % len(orders)].replace('"id":"ORD-', '"id":"ORD-%d-' % i, 1)
    lines.append(o)
with open(out + "/array.json", "w") as f:
    f.write("[\n" + ",\n".join(lines) + "\n]\n")
with open(out + "/list.json", "w") as f:
    f.write('{\n  "page": 1,\n  "items": [\n' + ",\n".join(lines) + '\n  ],\n  "totalCount": 36000\n}\n')
PY

# peak NAME FILE: runs evaluate on FILE, prints its peak RSS in KiB.
peak() {
        python3 - "$approvald" "$data/rules.yaml" "$tmp/$1" "$tmp/out-$1" <<'PY'
import resource, subprocess, sys
with open(sys.argv[3], "rb") as i, open(sys.argv[4], "wb") as o:
    r = subprocess.run([sys.argv[1], "evaluate", "-c", sys.argv[2]], stdin=i, stdout=o)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)
PY
}

bytes=$(wc -c <"$tmp/array.json")
kb=$(peak array.json)
lines=$(wc -l <"$tmp/out-array.json")
[ "$lines" -eq 36000 ] && echo "ok: array: 36000 decisions" || { echo "FAIL: array: $lines decisions"; fail=1; }
# Flat: the read buffer, one element's tree, the arena, the history.
if [ "$kb" -gt 0 ] && [ "$kb" -lt 40960 ]; then
        echo "ok: array of $bytes bytes: peak RSS $kb KiB (< 40 MiB)"
else
        echo "FAIL: array of $bytes bytes: peak RSS $kb KiB (want < 40 MiB)"
        fail=1
fi
kb=$(peak list.json)
lines=$(wc -l <"$tmp/out-list.json")
[ "$lines" -eq 36000 ] && echo "ok: list: 36000 decisions" || { echo "FAIL: list: $lines decisions"; fail=1; }
# The bytes of the document once (up to twice while its buffer grows), no tree.
if [ "$kb" -gt 0 ] && [ "$kb" -lt $((40960 + 2 * bytes / 1024)) ]; then
        echo "ok: List response of $bytes bytes: peak RSS $kb KiB (< 40 MiB + twice the input)"
else
        echo "FAIL: List response of $bytes bytes: peak RSS $kb KiB (want < 40 MiB + twice the input)"
        fail=1
fi
exit $fail
