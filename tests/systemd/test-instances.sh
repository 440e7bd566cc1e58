#!/bin/bash
# approvald@.service under a real systemd (lib.sh): two instances, a and b,
# one per reseller, each with its own /etc/approvald/NAME/rules.yaml and
# credentials, against two appxite-sandboxes that accept only their own
# reseller's credentials.  Both run side by side; each decides every order
# of its own sandbox by its own rules (a approves, b rejects) and nothing of
# the other's; each keeps its journal in /var/lib/approvald/NAME; a broken
# edit of b's rules makes `systemctl reload approvald@b` fail and leaves a
# alone.
#
# usage: test-instances.sh APPROVALD SANDBOX SOURCE_DIR BUILD_DIR
# The install paths come from the environment (set by CMake).
set -eu
approvald=$1 build=$4
SANDBOX_BIN=$2
. "$(dirname "$0")/lib.sh"
sd_init systemd-instances 150
SD_SHOW_UNITS="approvald@a approvald@b"
[ -x "$approvald" ] || fail "no approvald at $approvald"
decision_mid=d247f2cd64ce466698b1663ca6d4ff56

sd_install "$build"
[ -f "$tmp/sysroot$APPROVALD_UNITDIR/approvald@.service" ] || fail "approvald@.service not installed"
conf=$tmp/sysroot$APPROVALD_CONFDIR
declare -A url seeded=([a]=30 [b]=20) action=([a]=approve [b]=reject) status=([a]=Approved [b]=Rejected)

# instance NAME RNG_SEED: a sandbox that knows only NAME's credentials, and
# /etc/approvald/NAME/ laid out for it: rules that decide everything one
# way, and the credentials.
instance() {
        local i=$1
        sd_sandbox "$tmp/sandbox-$i.out" --seed "${seeded[$i]}" --rng-seed "$2" \
                --client-id "client-$i" --client-secret "secret-$i" --subscription-key "key-$i"
        url[$i]=$SANDBOX_URL
        mkdir -p -m 0755 "$conf/$i"
        cat >"$conf/$i/rules.yaml" <<RULES
version: 1
api:
  base_url: ${url[$i]}
  token_url: ${url[$i]}/oauth2/token
poll:
  interval: 1s
rules:
  - name: everything for $i
    then: ${action[$i]}
    reason: decided by instance $i
RULES
        chmod 644 "$conf/$i/rules.yaml"
        (
                umask 077
                mkdir "$conf/$i/credentials"
                printf '%s' "key-$i" >"$conf/$i/credentials/subscription-key"
                printf '%s' "client-$i" >"$conf/$i/credentials/client-id"
                printf '%s' "secret-$i" >"$conf/$i/credentials/client-secret"
        )
        log "sandbox $i at ${url[$i]} with ${seeded[$i]} orders"
}
instance a 1
instance b 2
sd_asan_dropin approvald@.service
sd_boot

sctl start approvald@a approvald@b || fail "systemctl start approvald@a approvald@b failed"
for i in a b; do
        [ "$(sctl is-active "approvald@$i")" = active ] || fail "approvald@$i is not active"
done
pid_a=$(sctl show -P MainPID approvald@a) pid_b=$(sctl show -P MainPID approvald@b)
[ "$pid_a" != "$pid_b" ] || fail "both instances have main pid $pid_a"
log "approvald@a (pid $pid_a) and approvald@b (pid $pid_b) active side by side"

sandbox_counts() { curl -fsS "${url[$1]}/_sandbox/stats" | js '{s: [o["status"] for o in d["orders"].values()].count(s)
        for s in set(o["status"] for o in d["orders"].values())}'; }
all_decided() { [ "$(sandbox_counts "$1")" = "{\"${status[$1]}\": ${seeded[$1]}}" ]; }
for i in a b; do
        wait_until 30 "every order of sandbox $i ${status[$i]}" all_decided "$i"
        log "sandbox $i: $(sandbox_counts "$i")"
done

# Each instance's log and journal hold its own sandbox's orders, its own
# way, and nothing else.
for i in a b; do
        got=$(jctl -u "approvald@$i" MESSAGE_ID=$decision_mid -o json | python3 -c 'import json, sys
e = [json.loads(l) for l in sys.stdin]
print(len({x["ORDER_ID"] for x in e}), sorted({x.get("REASON") for x in e}))')
        [ "$got" = "${seeded[$i]} ['decided by instance $i']" ] ||
                fail "approvald@$i logged decisions: $got, not ${seeded[$i]} by instance $i"
        state=$(sd_upper "/var/lib/private/approvald/$i")
        [ -s "$state/journal" ] || fail "no journal in /var/lib/approvald/$i"
        got=$("$approvald" journal dump --state-dir "$state" | python3 -c 'import collections, json, sys
print(dict(collections.Counter(r["decision"] for r in map(json.loads, sys.stdin) if r["type"] == "intent")))')
        [ "$got" = "{'${action[$i]}': ${seeded[$i]}}" ] ||
                fail "/var/lib/approvald/$i journals $got, not ${seeded[$i]} ${action[$i]}"
        log "approvald@$i: ${seeded[$i]} orders, all ${action[$i]}, journal in /var/lib/approvald/$i"
done

# A broken edit of b's rules: its reload fails, a is not touched.
ns sh -c "sed -i 's/then: reject/then: rejetc/' $APPROVALD_CONFDIR/b/rules.yaml"
! sctl reload approvald@b >/dev/null 2>&1 || fail "reload of approvald@b succeeded with broken rules"
sctl status approvald@b 2>&1 | grep -q "$APPROVALD_CONFDIR/b/rules.yaml:[0-9]*:[0-9]*: .*'rejetc'" ||
        fail "systemctl status approvald@b does not show the error"
sctl reload approvald@a || fail "reload of approvald@a failed"
for i in a b; do
        [ "$(sctl is-active "approvald@$i")" = active ] || fail "approvald@$i is not active after the reloads"
done
[ "$(sctl show -P MainPID approvald@a)/$(sctl show -P MainPID approvald@b)" = "$pid_a/$pid_b" ] ||
        fail "a reload restarted an instance"
log "broken rules for b: reload of b refused, a reloaded, both still running"
sctl stop approvald@a approvald@b
log "PASS"
