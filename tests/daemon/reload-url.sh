#!/bin/sh
# A reload whose rules file parses but names an api.base_url the client
# refuses (plain http to a host that is not loopback): the reload is refused
# with a message saying why (not "errors above" with none above), and the
# daemon keeps running on the old configuration.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 51
write_rules 100 8
start_daemon
wait_until 200 "the daemon did not finish its first cycle" at_least 1 'cycle done'
sed -i "s#^  base_url: .*#  base_url: http://0.0.0.0:1#" "$T/rules.yaml"
kill -HUP "$DAEMON_PID"
wait_until 100 "the reload was not refused" at_least 1 'reload of .* refused'
grep -q 'error: .*rules.yaml:6:13: api.base_url http://0.0.0.0:1: http is allowed only to a loopback address' \
    "$T/daemon.log" || fail "the refusal does not say why"
cycles=$(log_count 'cycle done')
wait_until 100 "no cycle after the refused reload" at_least $((cycles + 1)) 'cycle done'
if grep -q 'API could not be reached' "$T/daemon.log"; then fail "the bad URL was used"; fi
stop_daemon
[ "$RC" = 0 ] || fail "SIGTERM: exit $RC"
echo ok
