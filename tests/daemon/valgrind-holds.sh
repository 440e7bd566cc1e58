#!/bin/sh
# Valgrind over the hold deadlines and the notifications: --once runs that
# hold orders and post them (one receiver that answers, one that hangs, so
# the exit drops what is left), remind them, decide them by timeout, and a
# manual approve that posts its event: no leak, no error in any.
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed"; exit 77; }
credit_start 120 0 7 0
start_receiver ok ok
start_receiver hang hang
cp "$T/rules.yaml" "$T/rules.base"
targets() {
    cat >>"$T/rules.yaml" <<YAML
notify:
  targets:
    - {url: "http://127.0.0.1:$(cat "$T/ok.port")/ok", events: [hold, reject, manual, stale_hold, timeout, api_down]}
    - {url: "http://127.0.0.1:$(cat "$T/hang.port")/hang", events: [hold]}
YAML
}
targets
vg() { # NAME ARGS...: approvald under valgrind, clean or the test fails
    name=$1
    shift
    set +e
    APPROVALD_TEST_NOTIFY_TIMING=50,2000 valgrind --leak-check=full \
        --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
        --log-file="$T/valgrind-$name.log" "$APPROVALD" "$@" 2>>"$T/daemon.log" >"$T/$name.out"
    rc=$?
    set -e
    [ "$rc" = 0 ] || { cat "$T/valgrind-$name.log" >&2; fail "$name under valgrind exited $rc"; }
    grep -E 'ERROR SUMMARY' "$T/valgrind-$name.log" | sed "s/^==[0-9]*== /$name: /"
}
vg holds run -c "$T/rules.yaml" --once --state-dir "$T/state"
grep -q 'stopping with [0-9]* notification' "$T/daemon.log" || fail "nothing left to drop at exit"
cp "$T/rules.base" "$T/rules.yaml"
targets
printf 'holds:\n  remind_after: 1s\n' >>"$T/rules.yaml"
sleep 1.1
vg remind run -c "$T/rules.yaml" --once --state-dir "$T/state"
at_least 1 'holds.remind_after' || fail "nothing reminded"
X=$("$APPROVALD" holds --json --state-dir "$T/state" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
vg approve approve "$X" --reason "by hand under valgrind" -c "$T/rules.yaml" --state-dir "$T/state"
cp "$T/rules.base" "$T/rules.yaml"
targets
printf 'holds:\n  timeout: {after: 1s, then: reject}\n' >>"$T/rules.yaml"
vg timeout run -c "$T/rules.yaml" --once --state-dir "$T/state"
at_least 1 'rejected by timeout' || fail "nothing decided by timeout"
grep -q '"event": *"timeout"' "$T/ok.jsonl" || fail "no timeout posted"
grep -q '"event": *"manual"' "$T/ok.jsonl" || fail "no manual decision posted"
echo ok
