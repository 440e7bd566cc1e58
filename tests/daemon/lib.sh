# lib.sh: shared by the daemon's integration tests (sourced, not run).
# Usage in a test: . lib.sh with $1 = approvald, $2 = appxite-sandbox.
# Everything lives in a fresh mktemp -d folder; the sandbox listens on port 0.
set -eu

APPROVALD=$1
SANDBOX=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../sandbox-env.sh"
T=$(mktemp -d /tmp/approvald-test.XXXXXX)
SB_PID=""
DAEMON_PID=""
RX_PIDS=""

cleanup() {
    [ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null
    [ -n "$SB_PID" ] && kill "$SB_PID" 2>/dev/null
    for p in $RX_PIDS; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "FAIL: $*" >&2
    if [ -f "$T/daemon.log" ]; then
        echo "--- last lines of the daemon's log:" >&2
        tail -n 20 "$T/daemon.log" >&2
    fi
    exit 1
}

# wait_until TRIES MESSAGE COMMAND...: runs COMMAND every 50 ms until it
# succeeds; after TRIES tries, fails with MESSAGE (and the server's stderr).
wait_until() {
    tries=$1 msg=$2
    shift 2
    i=0
    until "$@" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt "$tries" ] || fail "$msg$( [ -s "$T/sandbox.err" ] && echo ": $(cat "$T/sandbox.err")")"
        sleep 0.05
    done
}

# log_count PATTERN: how many lines of the daemon's log match
log_count() {
    grep -c "$1" "$T/daemon.log" || true
}

# at_least N PATTERN: the daemon's log has N or more lines matching
at_least() {
    [ "$(log_count "$2")" -ge "$1" ]
}

# write_creds: the sandbox's demo credentials, and the state folder
write_creds() {
    sandbox_credentials "$T/creds"
    mkdir -p "$T/state"
}

# start_daemon [OPTIONS...]: approvald run in the background, logging to
# $T/daemon.log; its pid in DAEMON_PID
start_daemon() {
    "$APPROVALD" run -c "$T/rules.yaml" --state-dir "$T/state" "$@" 2>>"$T/daemon.log" &
    DAEMON_PID=$!
}

# stop_daemon: SIGTERM and wait; the exit status in RC, the time it took in
# TOOK_MS
stop_daemon() {
    start=$(date +%s%N)
    kill -TERM "$DAEMON_PID"
    set +e
    wait "$DAEMON_PID"
    RC=$?
    set -e
    DAEMON_PID=""
    TOOK_MS=$(( ($(date +%s%N) - start) / 1000000 ))
}

# SHAPE: the sandbox's request shape (page, offset, next, next-token: the
# next shape with its cursor as a query parameter); the tests then differ
# only in rules.yaml's api keys of shapes/$SHAPE.yaml
SHAPE=${SHAPE:-page}
SB_SHAPE=${SHAPE%-token}
export SHAPE

# start_sandbox [OPTIONS...]: sets URL (and FOREIGN with --foreign-links)
start_sandbox() {
    rm -f "$T/sandbox.out"
    "$SANDBOX" --listen 127.0.0.1:0 --shape "$SB_SHAPE" "$@" >"$T/sandbox.out" 2>"$T/sandbox.err" &
    SB_PID=$!
    wait_until 200 "the sandbox did not start" grep -q '^listening on ' "$T/sandbox.out"
    sleep 0.05
    URL=$(sed -n 's/^listening on //p' "$T/sandbox.out" | head -n 1)
    FOREIGN=$(sed -n 's/^foreign on //p' "$T/sandbox.out" | head -n 1)
    write_creds
}

# write_rules [PAGE_SIZE] [MAX_PARALLEL] [MODE]: $T/rules.yaml for the sandbox
write_rules() {
    sed -e "s#@URL@#$URL#g" -e "s#@CREDS@#$T/creds#g" -e "s#@PAGE@#${1:-100}#g" \
        -e "s#@PARALLEL@#${2:-8}#g" -e "s#@MODE@#${3:-enforce}#g" \
        -e "/^  max_parallel:/r $HERE/shapes/$SHAPE.yaml" \
        "$HERE/rules.yaml.in" >"$T/rules.yaml"
}

# run_once [OPTIONS...]: one cycle; the exit status is in RC
run_once() {
    set +e
    "$APPROVALD" run -c "$T/rules.yaml" --once --state-dir "$T/state" "$@" 2>>"$T/daemon.log"
    RC=$?
    set -e
}

stats() {
    curl -sf "$URL/_sandbox/stats" >"$T/stats.json" || fail "cannot read the sandbox's stats"
}

# fetch_orders: every order (any status) into $T/orders.json, as a JSON array
fetch_orders() {
    python3 "$HERE/check.py" fetch "$URL" >"$T/orders.json" || fail "cannot list the orders"
}

# expected: what `approvald evaluate` decides for $T/orders.json, now
expected() {
    now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    "$APPROVALD" evaluate -c "$T/rules.yaml" --now "$now" <"$T/orders.json" >"$T/expected.jsonl" ||
        fail "approvald evaluate failed"
}

# check_decisions: the sandbox's stats show exactly evaluate's decisions,
# each order called at most once (CHECK_ALLOW_REPEAT=1: same decision again
# allowed, as after a kill -9)
check_decisions() {
    stats
    python3 "$HERE/check.py" decisions "$T/expected.jsonl" "$T/stats.json" ||
        fail "the decisions differ from approvald evaluate's"
}

# start_stub SCENARIO: stub.py instead of the sandbox (see its scenarios);
# sets URL, and $T/stub.log gets one line per request answered
start_stub() {
    python3 "$HERE/stub.py" "$1" "$T/stub.log" >"$T/sandbox.out" 2>"$T/sandbox.err" &
    SB_PID=$!
    wait_until 200 "the stub did not start" grep -q '^listening on ' "$T/sandbox.out"
    URL=$(sed -n 's/^listening on //p' "$T/sandbox.out" | head -n 1)
    : >"$T/stub.log"
    write_creds
}

# credit_start N APPROVED SEED REFRESH [SANDBOX OPTIONS...]: the sandbox
# serving `credit.py gen N APPROVED SEED` ($T/orders.json), and
# credit-rules.yaml.in as $T/rules.yaml with credit.refresh REFRESH
credit_start() {
    python3 "$HERE/credit.py" gen "$1" "$2" "$3" >"$T/orders.json"
    refresh=$4
    shift 4
    start_sandbox --orders "$T/orders.json" "$@"
    sed -e "s#@URL@#$URL#g" -e "s#@CREDS@#$T/creds#g" -e "s#@REFRESH@#$refresh#g" \
        "$HERE/credit-rules.yaml.in" >"$T/rules.yaml"
    sed -i "/^  credentials_dir:/r $HERE/shapes/$SHAPE.yaml" "$T/rules.yaml"
}

# start_receiver NAME MODE: notify-receiver.py answering MODE (ok, 500,
# hang) on 127.0.0.1, for the notification tests; its port in $T/NAME.port,
# one JSON line per request in $T/NAME.jsonl; stopped by cleanup
start_receiver() {
    python3 "$HERE/notify-receiver.py" --port-file "$T/$1.port" --log "$T/$1.jsonl" \
        --mode "$2" 2>"$T/$1.err" &
    RX_PIDS="$RX_PIDS $!"
    wait_until 200 "the notification receiver $1 did not start" test -s "$T/$1.port"
}
