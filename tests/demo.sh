#!/bin/sh
# The README's main-job command: builds approvald, starts appxite-sandbox
# with a few hundred seeded orders, points a copy of conf/rules.yaml at it,
# runs `approvald run --once`, prints what was decided (per decision and per
# rule), and stops the sandbox.  Run from a clean clone: sh tests/demo.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-"$top/build"}
orders=${DEMO_ORDERS:-300}

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
trap 'exit 1' INT TERM

"$build/appxite-sandbox" --listen 127.0.0.1:0 --seed "$orders" >"$tmp/sandbox.out" 2>&1 &
sandbox_pid=$!
i=0
until grep -q '^listening on ' "$tmp/sandbox.out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || { cat "$tmp/sandbox.out"; echo "demo: the sandbox did not start"; exit 1; }
    sleep 0.05
done
url=$(sed -n 's/^listening on //p' "$tmp/sandbox.out" | head -n 1)

# the sandbox's documented demo credentials, as systemd would pass them
mkdir -m 0700 "$tmp/credentials" "$tmp/state"
printf 'demo-key\n' >"$tmp/credentials/subscription-key"
printf 'demo-client\n' >"$tmp/credentials/client-id"
printf 'demo-secret\n' >"$tmp/credentials/client-secret"

# conf/rules.yaml, the production example, pointed at the sandbox; its list
# file goes alongside, since rules.yaml names it relative to itself
sed -e "s#^\(  base_url:\).*#\1 $url#" \
    -e "s#^\(  token_url:\).*#\1 $url/oauth2/token#" \
    -e "s#^\(  credentials_dir:\).*#\1 $tmp/credentials#" \
    -e '/^  ca_file:/d' \
    "$top/conf/rules.yaml" >"$tmp/rules.yaml"
cp "$top/conf/blocked-customers.txt" "$tmp/"

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
