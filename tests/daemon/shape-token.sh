#!/bin/sh
# api.token: a token endpoint that requires a scope (--require-scope)
# refuses approvald's request until rules.yaml's api.token.form carries it;
# then the cycle decides as evaluate does, with the id and secret in the
# form (client_auth: body) or as HTTP Basic (client_auth: basic).
. "$(dirname "$0")/lib.sh"

SCOPE='api://appxite/.default'
export SCOPE # for check.py's own token
start_sandbox --seed 30 --require-scope "$SCOPE"
write_rules 100 8
fetch_orders
expected
run_once
[ "$RC" != 0 ] || fail "--once without the scope exited 0"
stats
[ "$(python3 "$HERE/check.py" calls "$T/stats.json")" = 0 ] || fail "calls made without a token"
grep -q 'invalid_scope' "$T/daemon.log" || fail "the token endpoint's invalid_scope is not logged"

token_keys() { # client_auth
    printf '  token:\n    form: {scope: "%s"}\n    client_auth: %s\n' "$SCOPE" "$1" >"$T/token.yaml"
    write_rules 100 8
    sed -i "/^  max_parallel:/r $T/token.yaml" "$T/rules.yaml"
    "$APPROVALD" check -c "$T/rules.yaml" >/dev/null || fail "check refuses api.token ($1)"
}
token_keys basic
run_once
[ "$RC" = 0 ] || fail "--once with the scope, client_auth basic, exited $RC"
check_decisions
rm -rf "$T/state" && mkdir "$T/state"
token_keys body
run_once
[ "$RC" = 0 ] || fail "--once with the scope, client_auth body, exited $RC"
grep -q "$(cat "$T/creds/client-secret")" "$T/daemon.log" && fail "the client secret reached the log"
echo "ok: scope required and sent, basic and body"
