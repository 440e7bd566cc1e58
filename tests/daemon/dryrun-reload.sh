#!/bin/sh
# Dry-run and reload (issue 8): an order that fits its customer's credit
# limit only once is approved in dry-run; after SIGHUP (same rules) it is
# decided again and still approved: its own earlier dry-run approval is not
# counted a second time.  A refused reload says so in the log.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 1
fetch_orders
set -- $(python3 -c 'import json,sys
o=json.load(open(sys.argv[1]))[0]
t=o["price"]["total"]; print(o["id"], o["price"]["currency"], "%.2f" % (t * 1.5))' "$T/orders.json")
ID=$1 CUR=$2 LIMIT=$3
cat >"$T/rules.yaml" <<YAML
version: 1
api:
  base_url: $URL
  token_url: $URL/oauth2/token
  credentials_dir: $T/creds
poll:
  interval: 1s
mode: dry-run
credit:
  window: 30d
  default: {$CUR: $LIMIT}
rules:
  - name: credit limit
    when: {over_credit_limit: true}
    then: reject
    reason: over the limit
default: approve
YAML
start_daemon
wait_until 200 "no first dry-run decision" at_least 1 "$ID: approve (dry run"
kill -HUP "$DAEMON_PID"
wait_until 200 "no reload logged" at_least 1 "reloaded "
wait_until 200 "not decided again after the reload" at_least 2 "$ID: approve (dry run"
sleep 1.2 # one more cycle: a held or decided order is not logged again
printf 'rules: [\n' >>"$T/rules.yaml"
kill -HUP "$DAEMON_PID"
wait_until 200 "the broken reload was not refused" at_least 1 "reload of .* refused"
stop_daemon
[ "$RC" = 0 ] || fail "exit status $RC"
if grep -q "$ID: reject" "$T/daemon.log"; then fail "$ID turned into a rejection after a reload"; fi
[ "$(log_count "$ID: approve (dry run")" = 2 ] || fail "decided $(log_count "$ID: approve") times, want 2"
echo ok
