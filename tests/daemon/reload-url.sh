#!/bin/sh
# A reload whose rules file parses but names an api.base_url the client
# refuses (plain http to a host that is not loopback): the reload is refused
# with a message saying why (not "errors above" with none above), and the
# daemon keeps running on the old configuration.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 51
write_rules 100 8
"$APPROVALD" run -c "$T/rules.yaml" --state-dir "$T/state" 2>>"$T/daemon.log" &
DAEMON_PID=$!
i=0
until grep -q 'cycle done' "$T/daemon.log"; do
    i=$((i + 1))
    [ $i -lt 200 ] || fail "the daemon did not finish its first cycle"
    sleep 0.05
done
sed -i "s#^  base_url: .*#  base_url: http://0.0.0.0:1#" "$T/rules.yaml"
kill -HUP "$DAEMON_PID"
i=0
until grep -q 'reload of .* refused' "$T/daemon.log"; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "the reload was not refused"
    sleep 0.05
done
grep -q 'error: api.base_url http://0.0.0.0:1: http is allowed only to a loopback address' \
    "$T/daemon.log" || fail "the refusal does not say why"
cycles=$(grep -c 'cycle done' "$T/daemon.log")
i=0
until [ "$(grep -c 'cycle done' "$T/daemon.log")" -gt "$cycles" ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "no cycle after the refused reload"
    sleep 0.05
done
if grep -q 'API could not be reached' "$T/daemon.log"; then fail "the bad URL was used"; fi
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "SIGTERM: non-zero exit"
DAEMON_PID=""
echo ok
