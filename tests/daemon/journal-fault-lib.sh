# journal-fault-lib.sh: shared by the journal fault tests (sourced after
# lib.sh).  They run the real daemon under the faultfs LD_PRELOAD shim
# ($3 = libfaultfs.so) and check, through the command line, the sandbox's
# stats and `journal dump` only:
#  - no approve/reject call for an intent outside the synced prefix;
#  - a restart without faults decides everything exactly once.
SHIM=$3
CHECK="$HERE/journal-fault-check.py"
# An ASan build wants its runtime first; the shim comes first here.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

# snapshot NAME: the sandbox's stats now, as $T/NAME.json
snapshot() {
    curl -sf "$URL/_sandbox/stats" >"$T/$1.json" || fail "cannot read the sandbox's stats"
}

# faulty_run NAME VAR=VALUE...: one `run --once` under the shim with those
# faults (and FAULT_TRACE=1), its stderr in $T/NAME.log (and daemon.log);
# the exit status in RC.  Then checks that every call it made rests on an
# intent inside the prefix the shim saw synced.
faulty_run() {
    name=$1
    shift
    snapshot "$name.before"
    set +e
    env LD_PRELOAD="$SHIM" FAULT_TRACE=1 "$@" timeout 60 "$APPROVALD" run -c "$T/rules.yaml" \
        --once --state-dir "$T/state" 2>"$T/$name.log"
    RC=$?
    set -e
    cat "$T/$name.log" >>"$T/daemon.log"
    [ "$RC" != 124 ] || fail "$name: the daemon hung"
    snapshot "$name.after"
    "$APPROVALD" journal dump --state-dir "$T/state" >"$T/$name.dump" 2>/dev/null || true
    synced=$(python3 "$CHECK" synced "$T/$name.log")
    python3 "$CHECK" prefix "$T/$name.dump" "$T/$name.before.json" "$T/$name.after.json" \
        "$synced" || fail "$name: a call rests on an intent that was not synced"
    echo "$name: exit $RC, $synced bytes synced"
}

# expect_fault NAME PATTERN: the shim reported the fault asked for
expect_fault() {
    grep -q "faultfs: $2" "$T/$1.log" || fail "$1: the fault '$2' did not happen"
}

# clean_runs: `run --once` without faults until it exits 0 (3 tries), then
# every order is decided as `approvald evaluate` decides it, called at most
# once, and the journal verifies
clean_runs() {
    for attempt in 1 2 3; do
        run_once
        [ "$RC" = 0 ] && break
        echo "clean run $attempt exited $RC; running again"
    done
    [ "$RC" = 0 ] || fail "a clean --once still exits $RC after 3 runs"
    CHECK_ALLOW_REPEAT=0 check_decisions
    "$APPROVALD" journal verify --state-dir "$T/state" || fail "the journal does not verify"
}
