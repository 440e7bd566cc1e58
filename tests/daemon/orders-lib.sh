# orders-lib.sh: what differential.sh and spoiled-enforce.sh share on top
# of lib.sh (sourced after it, not run): generated orders, the server that
# serves them as they are, and `approvald evaluate` over them.

GEN="$HERE/../gen-orders.py"
DECISIONS="$HERE/decisions.py"
PROBLEMS=0

# problem MESSAGE: records a failure and goes on, so that one run shows
# every difference; finish() fails the test at the end (and on any
# sanitizer report in a daemon log).
problem() {
    echo "FAIL: $*" >&2
    PROBLEMS=$((PROBLEMS + 1))
}

finish() {
    # a sanitizer build reports into the daemon's log, whatever the exit
    if grep -l -e 'Sanitizer' -e 'runtime error:' "$T"/*.log >&2 2>/dev/null; then
        problem "a sanitizer report in the daemon's log (files above)"
    fi
    if [ "$PROBLEMS" -gt 0 ]; then
        echo "--- last lines of the daemon's logs:" >&2
        tail -n 5 "$T"/*.log >&2
        exit 1
    fi
    echo ok
}

# start_orders_api FILE [OPTIONS...]: orders-api.py serving FILE as it is;
# sets URL, writes the credentials and the state folder.  $T/requests.txt
# gets one line per request answered.
start_orders_api() {
    rm -f "$T/sandbox.out"
    python3 "$HERE/orders-api.py" "$@" "$T/requests.txt" >"$T/sandbox.out" 2>"$T/sandbox.err" &
    SB_PID=$!
    wait_until 200 "orders-api.py did not start" grep -q '^listening on ' "$T/sandbox.out"
    URL=$(sed -n 's/^listening on //p' "$T/sandbox.out" | head -n 1)
    write_creds
}

# stop_server: stops the sandbox or orders-api.py started last
stop_server() {
    kill "$SB_PID" 2>/dev/null || true
    wait "$SB_PID" 2>/dev/null || true
    SB_PID=""
}

# write_spoiled_rules PAGE_SIZE MAX_PARALLEL MODE: $T/rules.yaml from
# rules-spoiled.yaml.in, for the server at $URL
write_spoiled_rules() {
    sed -e "s#@URL@#$URL#g" -e "s#@CREDS@#$T/creds#g" -e "s#@PAGE@#$1#g" \
        -e "s#@PARALLEL@#$2#g" -e "s#@MODE@#$3#g" \
        "$HERE/rules-spoiled.yaml.in" >"$T/rules.yaml"
}

# evaluate_at TIME IN OUT: `approvald evaluate --now TIME` over the JSON
# array IN, one line per order into OUT
evaluate_at() {
    "$APPROVALD" evaluate -c "$T/rules.yaml" --now "$1" <"$2" >"$3" 2>"$T/evaluate.err" ||
        fail "approvald evaluate failed: $(head -n 5 "$T/evaluate.err")"
}

# keep_log NAME: moves the daemon's log to $T/NAME.log, for the next run
keep_log() {
    mv "$T/daemon.log" "$T/$1.log"
}
