#!/bin/bash
# The first start of a fresh install, exactly as docs/install.md walks a
# seller through it, under a real systemd (lib.sh): `cmake --install`, the
# three credential files put in place, only api.base_url and api.token_url
# edited in the installed example, `approvald check`, then
# `systemctl enable --now approvald`.  The service must come up active and
# decide every order of an appxite-sandbox, SEK ones included.
#
# usage: test-first-start.sh APPROVALD SANDBOX SOURCE_DIR BUILD_DIR
# The install paths come from the environment (set by CMake).
set -eu
approvald=$1 src=$3 build=$4
SANDBOX_BIN=$2
. "$(dirname "$0")/lib.sh"
sd_init systemd-first-start 150
[ -x "$approvald" ] || fail "no approvald at $approvald"
seeded=60
decision_mid=d247f2cd64ce466698b1663ca6d4ff56

# 1. Build and install (the build is ctest's).
sd_install "$build"
conf=$tmp/sysroot$APPROVALD_CONFDIR
cmp -s "$src/conf/rules.yaml" "$conf/rules.yaml" || fail "the installed rules.yaml is not conf/rules.yaml"

# The sandbox, with the credentials it documents (demo-key, demo-client,
# demo-secret).
sd_sandbox "$tmp/sandbox.out" --seed "$seeded"
log "sandbox at $SANDBOX_URL with $seeded orders"

# 2. The credentials, one file each, readable by root alone.
(
        umask 077
        mkdir -p "$conf/credentials"
        printf '%s' demo-key >"$conf/credentials/subscription-key"
        printf '%s' demo-client >"$conf/credentials/client-id"
        printf '%s' demo-secret >"$conf/credentials/client-secret"
)

# 3. Only the two URLs change.
sed -i -e "s#^\(  base_url:\) [^ ]*#\1 $SANDBOX_URL#" \
        -e "s#^\(  token_url:\) [^ ]*#\1 $SANDBOX_URL/oauth2/token#" "$conf/rules.yaml"
changed=$(diff "$src/conf/rules.yaml" "$conf/rules.yaml" | grep -c '^>' || true)
[ "$changed" = 2 ] || fail "the edit changed $changed lines, not the two URLs"
sd_asan_dropin approvald.service

sd_boot
ns "$APPROVALD_BINDIR/approvald" check -c "$APPROVALD_CONFDIR/rules.yaml" >"$tmp/check.out" 2>&1 ||
        { cat "$tmp/check.out"; fail "approvald check refuses the edited example"; }
log "approvald check: $(cat "$tmp/check.out")"

# 4. Start, now and at every boot.
sctl enable --now approvald >"$tmp/enable.out" 2>&1 ||
        { cat "$tmp/enable.out"; fail "systemctl enable --now approvald failed"; }
[ "$(sctl is-active approvald)" = active ] || fail "approvald is not active"
[ "$(sctl is-enabled approvald)" = enabled ] || fail "approvald is not enabled"
log "approvald active and enabled, main pid $(sctl show -P MainPID approvald)"

# 5. Every seeded order decided: one decision entry each.
decided() {
        jctl -u approvald MESSAGE_ID=$decision_mid -o json |
                python3 -c 'import json, sys
print(len({json.loads(l)["ORDER_ID"] for l in sys.stdin}))'
}
all_decided() { [ "$(decided)" = "$seeded" ]; }
wait_until 60 "all $seeded orders decided" all_decided
[ "$(sctl is-active approvald)" = active ] || fail "approvald is no longer active"
curl -fsS "$SANDBOX_URL/_sandbox/stats" | js '{s: [o["status"] for o in d["orders"].values()].count(s)
        for s in set(o["status"] for o in d["orders"].values())}' >"$tmp/counts"
log "decided all $seeded; the sandbox now holds $(cat "$tmp/counts")"
[ "$(js 'd.get("Approved", 0) > 0 and d.get("Rejected", 0) > 0' <"$tmp/counts")" = true ] ||
        fail "expected both approvals and rejections: $(cat "$tmp/counts")"

# The example has a credit limit for each currency the sandbox seeds: some
# SEK orders are approved, and none is rejected for lack of a SEK limit.
jctl -u approvald MESSAGE_ID=$decision_mid CURRENCY=SEK -o json >"$tmp/sek.json"
sek=$(python3 -c 'import collections, json, sys
print(dict(collections.Counter(json.loads(l).get("DECISION") for l in open(sys.argv[1]))))' "$tmp/sek.json")
log "SEK orders: $sek"
grep -q '"DECISION":"approve"' <(tr -d ' ' <"$tmp/sek.json") || fail "no SEK order approved: $sek"

# The catalog installed beside the unit is the one journalctl -x reads.
jctl -x -u approvald MESSAGE_ID=$decision_mid -n 1 >"$tmp/x.out"
grep -q 'Subject: ' "$tmp/x.out" || { cat "$tmp/x.out"; fail "journalctl -x shows no catalog text"; }
log "journalctl -x: $(grep -m1 'Subject: ' "$tmp/x.out" | sed 's/^ *//')"
sctl stop approvald
log "PASS"
