#!/bin/sh
# The README's main-job command: builds approvald, starts appxite-sandbox
# with a few hundred seeded orders, points a copy of conf/rules.yaml at it,
# runs `approvald run --once`, prints what was decided (per decision and per
# rule), and stops the sandbox.  Run from a clean clone: sh tests/demo.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-"$top/build"}
orders=${DEMO_ORDERS:-300}
. "$top/tests/sandbox-env.sh"

sh "$top/tests/install-deps.sh"
cmake -S "$top" -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

tmp=$(mktemp -d /tmp/approvald-demo.XXXXXX)
sandbox_pid=""
cleanup() {
    [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
# A reader that goes away (sh tests/demo.sh | head) must not leave the
# sandbox running: SIGPIPE and SIGHUP end the demo through its cleanup too.
trap 'exit 1' INT TERM HUP PIPE

sandbox_start "$build/appxite-sandbox" "$tmp/sandbox.out" --seed "$orders" || exit 1
sandbox_pid=$SANDBOX_PID
url=$SANDBOX_URL
mkdir -m 0700 "$tmp/state"
sandbox_credentials "$tmp/credentials"
sandbox_rules "$top" "$url" "$tmp/credentials" "$tmp/rules.yaml"

echo "demo: $orders pending orders at $url; running approvald once with conf/rules.yaml"
rc=0
"$build/approvald" run -c "$tmp/rules.yaml" --once --state-dir "$tmp/state" \
    2>"$tmp/approvald.log" || rc=$?
if [ "$rc" != 0 ]; then
    tail -n 20 "$tmp/approvald.log"
    echo "demo: approvald exited $rc (see docs/operation.md)"
    exit "$rc"
fi

# the decision lines read "approvald: info: ORD-1: approve by rule "name": ..."
# or "... by default: ..."
awk '
/: (approve|reject|hold)( \(dry run: not sent\))? by / {
    d = $4
    rule = "(default)"
    if (match($0, / by rule "[^"]*"/)) rule = substr($0, RSTART + 10, RLENGTH - 11)
    n[d]++
    per[d "\t" rule]++
}
/not on api.base_url.s origin/ { refused++ }
END {
    printf "\napproved %d, rejected %d, held %d", n["approve"], n["reject"], n["hold"]
    if (refused) printf ", and %d held as their links are off the API origin", refused
    printf "\n\nper rule:\n"
    for (k in per) {
        split(k, p, "\t")
        printf "  %-8s %-28s %5d\n", p[1], p[2], per[k] | "sort"
    }
    close("sort")
}' "$tmp/approvald.log"
echo
tail -n 1 "$tmp/approvald.log" | sed 's/^approvald: info: /approvald: /'
curl -sf "$url/_sandbox/stats" | python3 -c '
import collections, json, sys
s = json.load(sys.stdin)
c = collections.Counter(o["status"] for o in s["orders"].values())
print("sandbox now:", ", ".join(f"{v} {k}" for k, v in sorted(c.items())))
'
