#!/bin/sh
# A credential file that is a FIFO (or a folder) stops `approvald run` at
# once with a line naming the file and what it is; it used to block the
# start forever (issue 14, item 6).
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 5
write_rules 100 8
for kind in fifo dir; do
    rm -rf "$T/creds/client-secret"
    if [ $kind = fifo ]; then
        mkfifo "$T/creds/client-secret"
        what="a FIFO"
    else
        mkdir "$T/creds/client-secret"
        what="a directory"
    fi
    : >"$T/daemon.log"
    set +e
    timeout 10 "$APPROVALD" run -c "$T/rules.yaml" --once --state-dir "$T/state" 2>>"$T/daemon.log"
    rc=$?
    set -e
    [ "$rc" != 124 ] || fail "a $kind credential file blocked approvald run"
    [ "$rc" != 0 ] || fail "approvald run started with a $kind as its client-secret"
    grep -qF "credential file $T/creds/client-secret is $what, not a regular file" "$T/daemon.log" ||
        fail "unclear message for a $kind credential file"
    echo "$kind: exit $rc, $(grep -F 'credential file' "$T/daemon.log")"
done
stats
[ "$(python3 "$HERE/check.py" calls "$T/stats.json")" = 0 ] || fail "calls were made"
echo "ok: credential files that are not regular files are refused at once"
