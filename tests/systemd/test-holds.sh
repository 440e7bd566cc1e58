#!/bin/bash
# Issue 10 while the service runs under a real systemd (lib.sh): orders a
# rule holds are listed by `approvald holds --json` beside the running
# service; `approvald approve|reject ID --reason ...` find the journal
# locked and ask the service through its control socket
# (/var/lib/approvald/control); each makes one call, journaled as a manual
# decision (RULE=manual:root, REASON=..., its MESSAGE_ID); a second approve
# says "already decided" (exit 65) and calls nothing; `approvald journal
# verify` passes with the service still running and after it stopped.
# STATUS= counts the holds waiting and the oldest one's age.  The hardened
# unit posts notifications: a `hold` for each hold and a `manual` for each
# decision reach a local receiver, with the Authorization header read from
# a credential the unit gets with LoadCredential= (a drop-in, as install.md
# says), never in a log line.
#
# usage: test-holds.sh APPROVALD SANDBOX SOURCE_DIR BUILD_DIR
set -eu
approvald=$1 build=$4
SANDBOX_BIN=$2
. "$(dirname "$0")/lib.sh"
sd_init systemd-holds 200
[ -x "$approvald" ] || fail "no approvald at $approvald"
manual_mid=4b8e2d6f1a3c4e5d9f7b0a2c6e8d1f35

sd_install "$build"
root=$tmp/sysroot
client_id=sd-test-client client_secret=sd-test-secret sub_key=sd-test-key
sd_sandbox "$tmp/sandbox.out" --seed 0 --client-id "$client_id" \
        --client-secret "$client_secret" --subscription-key "$sub_key"
base=$SANDBOX_URL
stats() { curl -fsS --max-time 5 "$base/_sandbox/stats"; }
new_order() {
        local id
        id=$(curl -fsS --max-time 5 -H 'Content-Type: application/json' -d @- \
                "$base/_sandbox/orders" <<EOF | js 'd["id"]'
{"customer":{"id":"$1","name":"Test $1","countryCode":"SE"},"currency":"EUR",
 "items":[{"offerId":"OFF-1","sku":"SKU-1","name":"Seat","quantity":1,"unitPrice":$2,
           "billingFrequency":"Monthly","termDuration":"P1M"}]}
EOF
        )
        case $id in ORD-*) echo "$id" ;; *) fail "creating an order for $1 failed" ;; esac
}
order() { stats | js 'd["orders"].get(a, {})' "$1"; }

conf="$root$APPROVALD_CONFDIR"
mkdir -p "$tmp/units/approvald.service.d"
sd_credentials "$conf"
printf 'Bearer sd-n0tify-secret' >"$conf/credentials/notify-token"
chmod 600 "$conf/credentials/notify-token"
printf '[Service]\nLoadCredential=notify-token:%s/credentials/notify-token\n' "$APPROVALD_CONFDIR" \
        >"$tmp/units/approvald.service.d/notify.conf"
python3 "$(dirname "$0")/../daemon/notify-receiver.py" --port-file "$tmp/rx.port" \
        --log "$tmp/rx.jsonl" --mode ok 2>"$tmp/rx.err" &
sd_sandbox_pids="$sd_sandbox_pids $!" # lib.sh's teardown stops it
wait_until 10 "the notification receiver" test -s "$tmp/rx.port"
cat >"$conf/rules.yaml" <<EOF
version: 1
api:
  base_url: $base
  token_url: $base/oauth2/token
poll:
  interval: 1s
notify:
  targets:
    - url: http://127.0.0.1:$(cat "$tmp/rx.port")/hook
      events: [hold, manual]
      headers: {Authorization: notify-token}
rules:
  - name: a person decides
    when: {customer: CUS-SD-HOLD}
    then: hold
    reason: held by the test
default: approve
EOF
chmod 644 "$conf/rules.yaml"
sd_asan_dropin approvald.service
sd_boot

sctl start approvald || fail "systemctl start approvald failed"
a=$(new_order CUS-SD-HOLD 120)
b=$(new_order CUS-SD-HOLD 30)
holds() { ns "$APPROVALD_BINDIR/approvald" holds --json; }
both_held() { [ "$(holds | js 'len([h for h in d if h["id"] in a.split()])' "$a $b")" = 2 ]; }
wait_until 30 "$a and $b listed by approvald holds" both_held
holds >"$tmp/holds.json"
[ "$(js '[(h["customer"], h["total"], h["currency"], h["rule"], h["reason"]) for h in d if h["id"] == a]' "$a" <"$tmp/holds.json")" = \
        '[["CUS-SD-HOLD", "120.00", "EUR", "a person decides", "held by the test"]]' ] ||
        fail "approvald holds: $(cat "$tmp/holds.json")"
log "approvald holds (service running): $(js '[h["id"] for h in d]' <"$tmp/holds.json")"
status_held() { sctl show -P StatusText approvald | grep -qE ", $1 held \(oldest [0-9]+[smhd]\)"; }
wait_until 15 "STATUS= with 2 holds and the oldest one's age" status_held 2
log "STATUS=: $(sctl show -P StatusText approvald)"

ns "$APPROVALD_BINDIR/approvald" approve "$a" --reason "checked by phone" \
        -c "$APPROVALD_CONFDIR/rules.yaml" >"$tmp/approve.out" 2>&1 ||
        { cat "$tmp/approve.out"; fail "approvald approve $a failed while the service runs"; }
log "approve: $(cat "$tmp/approve.out")"
[ "$(order "$a" | js '[d["status"], d["approveCalls"], d["rejectCalls"]]')" = '["Approved", 1, 0]' ] ||
        fail "$a at the API: $(order "$a")"
set +e
ns "$APPROVALD_BINDIR/approvald" approve "$a" --reason "again" \
        -c "$APPROVALD_CONFDIR/rules.yaml" >"$tmp/again.out" 2>&1
rc=$?
set -e
[ $rc = 65 ] && grep -q "already decided" "$tmp/again.out" ||
        fail "a second approve: exit $rc, $(cat "$tmp/again.out")"
[ "$(order "$a" | js 'd["approveCalls"]')" = 1 ] || fail "a second approve called the API"
log "second approve: exit 65: $(cat "$tmp/again.out")"
wait_until 15 "STATUS= with 1 hold left" status_held 1
ns "$APPROVALD_BINDIR/approvald" reject "$b" --reason "no answer from the customer" \
        -c "$APPROVALD_CONFDIR/rules.yaml" >"$tmp/reject.out" 2>&1 ||
        { cat "$tmp/reject.out"; fail "approvald reject $b failed while the service runs"; }
[ "$(order "$b" | js '[d["status"], d["rejectCalls"]]')" = '["Rejected", 1]' ] ||
        fail "$b at the API: $(order "$b")"

status_none() { sctl show -P StatusText approvald | grep -qE ", 0 held;"; }
wait_until 15 "STATUS= with no hold left" status_none
jctl -u approvald MESSAGE_ID=$manual_mid -o json >"$tmp/manual.json"
[ "$(js '[d["ORDER_ID"], d["DECISION"], d["RULE"], d["REASON"]]' <<<"$(grep "\"$a\"" "$tmp/manual.json" | head -n 1)")" = \
        "[\"$a\", \"approve\", \"manual:root\", \"checked by phone\"]" ] ||
        fail "no manual-decision entry for $a: $(cat "$tmp/manual.json")"
ns "$APPROVALD_BINDIR/approvald" journal verify >"$tmp/verify.out" 2>&1 ||
        { cat "$tmp/verify.out"; fail "journal verify failed while the service runs"; }
ns "$APPROVALD_BINDIR/approvald" journal dump >"$tmp/dump.jsonl"
grep -q "\"type\":\"intent\",\"order_id\":\"$a\",\"decision\":\"approve\",\"rule\":\"manual:root\",\"reason\":\"checked by phone\"" "$tmp/dump.jsonl" ||
        fail "no manual intent journaled for $a"
[ "$(holds | js 'len([h for h in d if h["id"] in a.split()])' "$a $b")" = 0 ] ||
        fail "decided orders still listed by approvald holds"
log "journal verify (service running): $(cat "$tmp/verify.out")"

posts() { js '[(p["body"]["event"], p["body"]["order"], p["body"].get("decision"), p["headers"].get("Authorization")) for p in d]' < <(python3 -c 'import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1])]))' "$tmp/rx.jsonl"); }
four_posts() { [ "$(wc -l <"$tmp/rx.jsonl")" -ge 4 ]; }
wait_until 15 "the hold and manual notifications" four_posts
want="[[\"hold\", \"$a\", null, \"Bearer sd-n0tify-secret\"], [\"hold\", \"$b\", null, \"Bearer sd-n0tify-secret\"], [\"manual\", \"$a\", \"approve\", \"Bearer sd-n0tify-secret\"], [\"manual\", \"$b\", \"reject\", \"Bearer sd-n0tify-secret\"]]"
got=$(posts | python3 -c 'import json,sys; print(json.dumps(sorted(json.loads(sys.stdin.read()), key=lambda p: (p[0], p[1]))))')
[ "$got" = "$want" ] || fail "notifications: $got, want $want"
jctl -u approvald -o cat | grep -q 'sd-n0tify-secret' && fail "the header's secret reached the journal"
log "notifications (hardened unit, LoadCredential= header): 2 hold, 2 manual"

sctl stop approvald
ns "$APPROVALD_BINDIR/approvald" journal verify >/dev/null || fail "journal verify failed after the stop"
[ "$(order "$a" | js 'd["approveCalls"]')" = 1 ] && [ "$(order "$b" | js 'd["rejectCalls"]')" = 1 ] ||
        fail "an order was called twice"
log "PASS"
