# webhook-lib.sh: shared by the webhook tests (sourced after lib.sh).
# The daemon polls every 60 s, so anything decided within a second or two
# of its first cycle was woken up by an event.

WH="python3 $HERE/webhook-check.py"
AUTH="Bearer wh-$$-secret"

# start_webhook_setup [SANDBOX_AUTH] [SANDBOX OPTIONS...]: a sandbox that
# sends events to the daemon's receiver (with SANDBOX_AUTH, default the
# right value; "-" for none), rules with a 60 s poll and a webhook section,
# the credential file, and the daemon started and through its first cycle.
# Sets HOOK (the receiver's URL).
start_webhook_setup() {
    sb_auth=${1:-$AUTH}
    [ $# -gt 0 ] && shift
    PORT=$($WH free-port)
    HOOK="http://127.0.0.1:$PORT/hook"
    if [ "$sb_auth" = - ]; then
        start_sandbox --webhook "$HOOK" "$@"
    else
        start_sandbox --webhook "$HOOK" --webhook-authorization "$sb_auth" "$@"
    fi
    write_rules 100 8
    sed -i 's/^  interval: 1s$/  interval: 60s/' "$T/rules.yaml"
    grep -q '^  interval: 60s$' "$T/rules.yaml" || fail "cannot set the poll interval"
    printf 'webhook:\n  listen: 127.0.0.1:%s\n  path: /hook\n' "$PORT" >>"$T/rules.yaml"
    printf '%s\n' "$AUTH" >"$T/creds/webhook-authorization"
    start_daemon
    wait_until 400 "the daemon did not finish its first cycle" at_least 1 'cycle done'
}

# webhook_stats: the sandbox's webhook counters, as "delivered refused failed"
webhook_stats() {
    stats
    python3 -c 'import json,sys
w=json.load(open(sys.argv[1]))["webhook"]
print(w["delivered"], w["refused"], w["failed"])' "$T/stats.json"
}
