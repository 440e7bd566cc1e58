#!/bin/sh
# Issue 10, item 3: api_down.  Once the API has been unreachable for
# notify.api_down_after, one notification per outage (not one per cycle),
# with the time since when; the log says so too.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 5
write_rules 100 8
start_receiver rx ok
cat >>"$T/rules.yaml" <<YAML
notify:
  api_down_after: 2s
  targets:
    - {url: "http://127.0.0.1:$(cat "$T/rx.port")/down", events: [api_down]}
YAML
start_daemon
wait_until 200 "no first cycle" grep -q 'cycle done' "$T/daemon.log"
[ -s "$T/rx.jsonl" ] && fail "api_down posted while the API answers"
down_at=$(date -u +%s)
kill "$SB_PID"
wait "$SB_PID" 2>/dev/null || true
SB_PID=""
wait_until 300 "no api_down notification" test -s "$T/rx.jsonl"
sleep 3 # three more cycles of the outage
stop_daemon
[ "$RC" = 0 ] || fail "the daemon exited $RC"
python3 - "$T/rx.jsonl" "$down_at" <<'PY' || fail "the api_down notification is wrong"
import calendar, json, sys, time
posts = [json.loads(l)["body"] for l in open(sys.argv[1])]
assert len(posts) == 1, ("one per outage", posts)
p = posts[0]
assert p["event"] == "api_down" and "order" not in p, p
since = calendar.timegm(time.strptime(p["since"], "%Y-%m-%dT%H:%M:%SZ"))
assert int(sys.argv[2]) - 2 <= since <= int(sys.argv[2]) + 3, (since, sys.argv[2])
assert "AppXite" in p["text"], p
PY
[ "$(log_count 'unreachable for over')" = 1 ] || fail "the outage not logged once"
echo ok
