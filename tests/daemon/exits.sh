#!/bin/sh
# approvald run's exit codes for what stops it before or during a cycle:
# 64 usage (unknown option, no state directory), 78 bad rules or missing
# credentials (the message names the file, never a secret), 75 the API
# cannot be reached.
. "$(dirname "$0")/lib.sh"

expect() { # CODE PATTERN -- ARGS...
    code=$1 pattern=$2
    shift 3
    set +e
    env -u STATE_DIRECTORY -u CREDENTIALS_DIRECTORY "$APPROVALD" run "$@" 2>"$T/err"
    rc=$?
    set -e
    [ "$rc" = "$code" ] || fail "run $*: exit $rc, want $code: $(cat "$T/err")"
    grep -q -- "$pattern" "$T/err" || fail "run $*: message lacks '$pattern': $(cat "$T/err")"
    if grep -q 'demo-secret\|demo-key' "$T/err"; then fail "a secret in the message"; fi
}

start_sandbox --seed 3
write_rules 100 8
expect 64 "unrecognized option" -- --bogus
expect 64 "no state directory" -- -c "$T/rules.yaml" --once
printf 'version: 1\nrules: [\n' >"$T/broken.yaml"
expect 78 "broken.yaml" -- -c "$T/broken.yaml" --once --state-dir "$T/state"
mv "$T/creds/client-secret" "$T/secret"
expect 78 "client-secret" -- -c "$T/rules.yaml" --once --state-dir "$T/state"
mv "$T/secret" "$T/creds/client-secret"
printf 'wrong-secret\n' >"$T/creds/client-secret"
expect 75 "token endpoint refused the client" -- -c "$T/rules.yaml" --once --state-dir "$T/state"
printf 'demo-secret\n' >"$T/creds/client-secret"
# plain http to a host that is not loopback (0.0.0.0 is this machine, so
# nothing leaves it even if the check were missing): refused, and said why
sed "s#^  base_url: .*#  base_url: http://0.0.0.0:1#" "$T/rules.yaml" >"$T/remote.yaml"
expect 78 "api.base_url http://0.0.0.0:1: http is allowed only to a loopback address" -- \
    -c "$T/remote.yaml" --once --state-dir "$T/state"
# a journal that is a FIFO: refused at once, by name and kind (it hung before)
mkdir -p "$T/fifo-state"
mkfifo "$T/fifo-state/journal"
expect 73 "journal $T/fifo-state/journal is a FIFO, not a regular file" -- \
    -c "$T/rules.yaml" --once --state-dir "$T/fifo-state"
kill "$SB_PID"
wait "$SB_PID" 2>/dev/null || true
SB_PID=""
expect 75 "listing pending orders (page 1) failed" -- -c "$T/rules.yaml" --once --state-dir "$T/state"
echo ok
