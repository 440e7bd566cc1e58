#!/bin/sh
# Issue 10, items 3 and 4: notifications reach a local receiver.
#  - a target that asks only for `hold` gets one post per hold, with the
#    order's fields and the header read from the credentials folder, and
#    none for the orders the rules approved or rejected; a second run
#    (the holds already journaled) posts nothing again;
#  - a second target for `reject`, `stale_hold` and `manual`: one reject
#    post per rejection of the rules; with remind_after: 1s one stale_hold
#    per hold, once across runs (journaled); a person's reject through the
#    running service one `manual` post naming the operator;
#  - no secret in any body or in the log.
. "$(dirname "$0")/lib.sh"

credit_start 300 0 11 0
# one existing customer blocked, so the first run rejects some orders too
B=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["customer"]["id"])' "$T/orders.json")
sed -i "s/^rules:\$/rules:\n  - name: blocked\n    when: {customer: [$B, CUS-NEW-0, CUS-NEW-1, CUS-NEW-2]}\n    then: reject\n    reason: blocked account/" "$T/rules.yaml"
grep -q '^  - name: blocked$' "$T/rules.yaml" || fail "no blocked rule"
printf 'Bearer n0tify-s3cret\n' >"$T/creds/notify-token"
chmod 600 "$T/creds/notify-token"
start_receiver holds ok
start_receiver others ok
HOLDS_URL="http://127.0.0.1:$(cat "$T/holds.port")/hook/T000/secret-path"
OTHERS_URL="http://127.0.0.1:$(cat "$T/others.port")/others"
cp "$T/rules.yaml" "$T/rules.base"
cat >>"$T/rules.yaml" <<YAML
notify:
  targets:
    - url: $HOLDS_URL
      events: [hold]
      headers: {Authorization: notify-token}
YAML
"$APPROVALD" check -c "$T/rules.yaml" >/dev/null 2>"$T/check.err" || fail "check: $(cat "$T/check.err")"

run_once
[ "$RC" = 0 ] || fail "the run exited $RC"
"$APPROVALD" journal dump --state-dir "$T/state" >"$T/dump.jsonl"
python3 "$HERE/credit.py" held "$T/dump.jsonl" | sort >"$T/held.txt"
H=$(wc -l <"$T/held.txt")
[ "$H" -ge 3 ] || fail "only $H holds: the test proves nothing"
stats
python3 - "$T/holds.jsonl" "$T/held.txt" "$T/orders.json" "$T/stats.json" "$URL" <<'PY' || fail "the hold posts are wrong"
import json, re, sys
posts = [json.loads(l) for l in open(sys.argv[1])]
held = open(sys.argv[2]).read().split()
orders = {o["id"]: o for o in json.load(open(sys.argv[3]))}
stats = json.load(open(sys.argv[4]))["orders"]
base = sys.argv[5]
rejected = [i for i, o in stats.items() if o["rejectCalls"]]
approved = [i for i, o in stats.items() if o["approveCalls"]]
assert rejected and approved, "no automatic decision: nothing to stay quiet about"
assert len(posts) == len(held), ("one post per hold", len(posts), len(held))
ids = sorted(p["body"]["order"] for p in posts)
assert ids == sorted(held), "not the held orders"
for p in posts:
    b, h = p["body"], {k.lower(): v for k, v in p["headers"].items()}
    assert p["method"] == "POST" and p["path"] == "/hook/T000/secret-path", p
    assert h["authorization"] == "Bearer n0tify-s3cret", h
    assert h["content-type"].startswith("application/json"), h
    o = orders[b["order"]]
    assert b["event"] == "hold", b
    assert b["customer"] == o["customer"]["id"] and b["customerName"] == o["customer"]["name"], b
    assert re.fullmatch(r"\d+\.\d\d", b["total"]) and float(b["total"]) == o["price"]["total"], b
    assert b["currency"] == "EUR", b
    assert b["rule"] == "big orders need a person" and b["reason"] == "over 1,000 EUR", b
    assert b["order"] in b["text"] and "held" in b["text"].lower(), b
    assert b["link"] == base + "/orders/" + b["order"], b
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b["since"]), b
    assert "n0tify-s3cret" not in json.dumps(b), "a secret in the body"
PY
grep -q 'n0tify-s3cret' "$T/daemon.log" && fail "the header's secret reached the log"
grep -q 'secret-path' "$T/daemon.log" && fail "a target's path reached the log"

run_once
[ "$RC" = 0 ] || fail "the second run exited $RC"
[ "$(wc -l <"$T/holds.jsonl")" = "$H" ] || fail "a second run posted the holds again"

# the second target: rejections, reminders, manual decisions
cp "$T/rules.base" "$T/rules.yaml"
cat >>"$T/rules.yaml" <<YAML
notify:
  targets:
    - url: $HOLDS_URL
      events: [hold]
      headers: {Authorization: notify-token}
    - url: $OTHERS_URL
      events: [reject, stale_hold, manual]
holds:
  remind_after: 1s
YAML
sleep 1.1
run_once
[ "$RC" = 0 ] || fail "the reminder run exited $RC"
run_once
[ "$RC" = 0 ] || fail "the run after the reminders exited $RC"
python3 - "$T/others.jsonl" "$T/held.txt" <<'PY' || fail "the reminders are wrong"
import json, sys
posts = [json.loads(l)["body"] for l in open(sys.argv[1])]
held = sorted(open(sys.argv[2]).read().split())
stale = sorted(p["order"] for p in posts if p["event"] == "stale_hold")
assert stale == held, ("one stale_hold per hold, once", stale, held)
for p in posts:
    assert p["event"] == "stale_hold", ("an old rejection posted again", p)
    assert p["rule"] == "big orders need a person" and p["reason"] == "over 1,000 EUR", p
PY
[ "$(log_count 'holds.remind_after')" = "$H" ] || fail "not one reminder line per hold"
[ "$(wc -l <"$T/holds.jsonl")" = "$H" ] || fail "the hold target got more than holds"

# a person's approve with no service running: the command posts it itself
Y=$(sed -n 2p "$T/held.txt")
"$APPROVALD" approve "$Y" --reason "known customer" -c "$T/rules.yaml" --state-dir "$T/state" \
    >"$T/out" 2>>"$T/daemon.log" || fail "approve without the service: $(cat "$T/out")"
python3 - "$T/others.jsonl" "$Y" "$(id -un)" <<'PY' || fail "the offline approve posted no manual event"
import json, sys
posts = [json.loads(l)["body"] for l in open(sys.argv[1])]
m = [p for p in posts if p["event"] == "manual"]
assert len(m) == 1 and m[0]["order"] == sys.argv[2] and m[0]["decision"] == "approve", m
assert m[0]["by"] == sys.argv[3] and m[0]["reason"] == "known customer", m
PY

# new orders the rules reject, while the service runs; and a person's reject
python3 - "$URL" <<'PY'
import json, sys, urllib.request
for i in range(3):
    body = json.dumps({"customer": {"id": "CUS-NEW-%d" % i, "name": "New %d" % i,
                                    "countryCode": "SE"},
                       "items": [{"offerId": "OFF-1", "sku": "SKU-1", "name": "Seat",
                                  "quantity": 1, "unitPrice": 50}]}).encode()
    req = urllib.request.Request(sys.argv[1] + "/_sandbox/orders", data=body,
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
PY
start_daemon
X=$(head -n 1 "$T/held.txt")
wait_until 200 "the service did not start" test -S "$T/state/control"
"$APPROVALD" reject "$X" --reason "checked by phone" -c "$T/rules.yaml" --state-dir "$T/state" \
    >"$T/out" 2>&1 || fail "reject through the service: $(cat "$T/out")"
manual_and_rejects() {
    python3 - "$T/others.jsonl" <<'PY'
import json, sys
posts = [json.loads(l)["body"] for l in open(sys.argv[1])]
sys.exit(0 if sum(p["event"] == "reject" for p in posts) >= 3 and
         sum(p["event"] == "manual" for p in posts) >= 2 else 1)
PY
}
wait_until 200 "no manual or reject posts" manual_and_rejects
stop_daemon
[ "$RC" = 0 ] || fail "the service exited $RC"
python3 - "$T/others.jsonl" "$X" "$(id -un)" <<'PY' || fail "the manual and reject posts are wrong"
import json, sys
posts = [json.loads(l)["body"] for l in open(sys.argv[1])]
manual = [p for p in posts if p["event"] == "manual"]
assert len(manual) == 2, manual
m = manual[1]
assert m["order"] == sys.argv[2] and m["decision"] == "reject" and m["by"] == sys.argv[3], m
assert m["reason"] == "checked by phone", m
rejects = [p for p in posts if p["event"] == "reject"]
assert len(rejects) == 3 and all(p["customer"].startswith("CUS-NEW-") for p in rejects), rejects
for p in rejects:
    assert p["decision"] == "reject" and p["rule"] == "blocked", p
    assert p["reason"] == "blocked account" and p["total"] == "50.00", p
stale = [p for p in posts if p["event"] == "stale_hold"]
assert len(stale) == len(set(p["order"] for p in stale)), "a hold reminded twice"
PY
grep -q 'n0tify-s3cret' "$T/daemon.log" && fail "the header's secret reached the log"

# a dry run posts nothing, though it "holds" the orders still pending
n_holds=$(wc -l <"$T/holds.jsonl") n_others=$(wc -l <"$T/others.jsonl")
mkdir "$T/state-dry"
"$APPROVALD" run -c "$T/rules.yaml" --once --dry-run --state-dir "$T/state-dry" 2>>"$T/daemon.log" ||
    fail "the dry run failed"
grep -q 'cycle done: .* [1-9][0-9]* held' "$T/daemon.log" || fail "the dry run held nothing"
[ "$(wc -l <"$T/holds.jsonl")" = "$n_holds" ] && [ "$(wc -l <"$T/others.jsonl")" = "$n_others" ] ||
    fail "a dry run posted notifications"
echo "ok: $H holds posted once each, reminded once each; rejections and a manual decision posted"
