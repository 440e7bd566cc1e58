#!/bin/sh
# A notify header whose credential file is missing: the start is refused
# (exit 78) naming the file; a reload that names a missing file is refused
# the same way and the running rules and targets stay (the old target still
# gets its posts after it); the header's value never reaches the log.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 0
write_rules 100 8
start_receiver rx ok
sed -i 's/^rules:$/rules:\n  - {name: no, when: {customer: [CUS-NO]}, then: reject}/' "$T/rules.yaml"
grep -q 'name: no,' "$T/rules.yaml" || fail "no rule added"
cp "$T/rules.yaml" "$T/rules.base"
with_header() { # CREDENTIAL
    cp "$T/rules.base" "$T/rules.yaml"
    cat >>"$T/rules.yaml" <<YAML
notify:
  targets:
    - url: http://127.0.0.1:$(cat "$T/rx.port")/hook
      events: [reject]
      headers: {X-Token: $1}
YAML
}

with_header missing-token
"$APPROVALD" check -c "$T/rules.yaml" >/dev/null 2>"$T/check.err" || fail "check refused the rules"
grep -q "warning: cannot read credential file $T/creds/missing-token: No such file or directory" \
    "$T/check.err" || fail "check did not warn: $(cat "$T/check.err")"
run_once
[ "$RC" = 78 ] || fail "a start without the header's file exited $RC, not 78"
grep -q "notify: cannot read credential file $T/creds/missing-token: No such file or directory" \
    "$T/daemon.log" || fail "the refusal does not name the file"

printf 'tok3n-value\n' >"$T/creds/notify-token"
chmod 600 "$T/creds/notify-token"
with_header notify-token
start_daemon
wait_until 200 "the daemon did not finish its first cycle" at_least 1 'cycle done'
with_header other-missing
kill -HUP "$DAEMON_PID"
wait_until 100 "the reload was not refused" at_least 1 'reload of .* refused'
grep -q "notify: cannot read credential file $T/creds/other-missing" "$T/daemon.log" ||
    fail "the refused reload does not name the file"
curl -sf -H 'Content-Type: application/json' \
    -d '{"customer":{"id":"CUS-NO","name":"No","countryCode":"SE"},"items":[{"offerId":"O","sku":"S","name":"n","quantity":1,"unitPrice":5}]}' \
    "$URL/_sandbox/orders" >/dev/null || fail "cannot create an order"
wait_until 200 "the old target got no post after the refused reload" test -s "$T/rx.jsonl"
grep -q '"X-Token": "tok3n-value"' "$T/rx.jsonl" || fail "the post lacks the old header: $(cat "$T/rx.jsonl")"
stop_daemon
[ "$RC" = 0 ] || fail "the daemon exited $RC"
grep -q 'tok3n-value' "$T/daemon.log" && fail "the header's value reached the log"
echo ok
