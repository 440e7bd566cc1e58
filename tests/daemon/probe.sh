#!/bin/sh
# approvald probe against each shape of the sandbox (rules.yaml's api keys
# from shapes/): exit 0, every field resolved, links and next link on the
# API's origin, no secret printed, nothing approved or rejected.  Then a
# wrong pointer in api.fields is named as not resolved, and a wrong
# api.list.items pointer exits 78 saying so, with the answer's keys.
. "$(dirname "$0")/lib.sh"

for SHAPE in page offset next next-token; do
    SB_SHAPE=${SHAPE%-token}
    start_sandbox --seed 5
    write_rules 100 4
    set +e
    "$APPROVALD" probe -c "$T/rules.yaml" >"$T/probe.out" 2>>"$T/daemon.log"
    RC=$?
    set -e
    [ "$RC" = 0 ] || { cat "$T/probe.out"; fail "probe ($SHAPE) exited $RC"; }
    [ "$(grep -c ' resolved: ' "$T/probe.out")" = 15 ] || fail "probe ($SHAPE): not 15 fields resolved"
    grep -q 'approve_link link: on the API.s origin' "$T/probe.out" || fail "approve link ($SHAPE)"
    grep -q 'result: the daemon could run' "$T/probe.out" || fail "no result line ($SHAPE)"
    case $SHAPE in next*) grep -q '^next page .*: on the API.s origin' "$T/probe.out" ||
        fail "the next link is not reported ($SHAPE)" ;; esac
    grep -q 'demo-secret\|demo-key' "$T/probe.out" && fail "a secret was printed ($SHAPE)"
    stats
    [ "$(python3 "$HERE/check.py" calls "$T/stats.json")" = 0 ] || fail "probe made calls ($SHAPE)"
    echo "ok: probe $SHAPE"
    kill "$SB_PID"
    wait "$SB_PID" 2>/dev/null || true
done

# a wrong field pointer: named, the rest resolved
printf '  fields: {customer_id: /Customer/Ident}\n' >"$T/fields.yaml"
sed -i "/^  max_parallel:/r $T/fields.yaml" "$T/rules.yaml"
start_sandbox --seed 5
sed -i "s#http://127.0.0.1:[0-9]*#$URL#g" "$T/rules.yaml"
"$APPROVALD" probe -c "$T/rules.yaml" >"$T/probe.out" 2>>"$T/daemon.log" || true
grep -q '^  customer_id  *\/Customer\/Ident  *NOT resolved' "$T/probe.out" ||
    fail "the wrong customer_id pointer is not named"
[ "$(grep -c ' resolved: ' "$T/probe.out")" = 14 ] || fail "the other 14 fields are not resolved"

# a wrong items pointer: exit 78, said so
sed -i 's#^    items: /data#    items: /orders#' "$T/rules.yaml"
set +e
"$APPROVALD" probe -c "$T/rules.yaml" >"$T/probe.out" 2>>"$T/daemon.log"
RC=$?
set -e
[ "$RC" = 78 ] || fail "a wrong items pointer: probe exited $RC, not 78"
grep -q "items (api.list.items '/orders'): NOT an array there" "$T/probe.out" ||
    fail "the wrong items pointer is not named"
grep -q "top-level keys: data nextLink nextCursor" "$T/probe.out" || fail "the answer's keys"
echo "ok: wrong pointers named"
