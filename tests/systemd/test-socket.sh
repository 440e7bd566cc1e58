#!/bin/bash
# approvald.socket under a real systemd (lib.sh boots one in private
# namespaces): with the socket enabled and the service not running, the
# sandbox's webhook event connects to the socket; that connection starts
# approvald.service, which takes the socket (webhook.listen: systemd) and
# answers the event: it is not lost (delivered at the first attempt, no
# retry), and the order is decided.  The service keeps its sandboxing.
#
# usage: test-socket.sh APPROVALD SANDBOX SOURCE_DIR BUILD_DIR
set -eu

approvald=$1 build=$4
SANDBOX_BIN=$2
. "$(dirname "$0")/lib.sh"
sd_init systemd-socket 150
SD_SHOW_UNITS="approvald.socket approvald"
[ -x "$approvald" ] || fail "no approvald at $approvald"

sd_install "$build"
root=$tmp/sysroot
[ -f "$root$APPROVALD_UNITDIR/approvald.socket" ] || fail "approvald.socket not installed"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
auth="Bearer sd-webhook-$$"
client_id=sd-test-client client_secret=sd-test-secret sub_key=sd-test-key
sd_sandbox "$tmp/sandbox.out" --client-id "$client_id" --client-secret "$client_secret" \
        --subscription-key "$sub_key" --webhook "http://127.0.0.1:$port/webhook" \
        --webhook-authorization "$auth"
base=$SANDBOX_URL
log "sandbox at $base, webhook to 127.0.0.1:$port"
stats() { curl -fsS --max-time 5 "$base/_sandbox/stats"; }

# /etc/approvald as docs/install.md's "Webhook" set-up tells a seller.
conf="$root$APPROVALD_CONFDIR"
mkdir -p "$conf/credentials"
printf '%s\n' "$auth" >"$conf/credentials/webhook-authorization"
sd_credentials "$conf"
cat >"$conf/rules.yaml" <<EOF
version: 1
api:
  base_url: $base
  token_url: $base/oauth2/token
poll:
  interval: 60s
webhook:
  listen: systemd
rules: []
default: approve
EOF
chmod 644 "$conf/rules.yaml"
mkdir -p "$tmp/units/approvald.socket.d" "$tmp/units/approvald.service.d"
printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$port" \
        >"$tmp/units/approvald.socket.d/port.conf"
printf '[Service]\nLoadCredential=webhook-authorization:%s/credentials/webhook-authorization\n' \
        "$APPROVALD_CONFDIR" >"$tmp/units/approvald.service.d/webhook.conf"
sd_asan_dropin approvald.service

sd_boot
sctl start approvald.socket || fail "systemctl start approvald.socket failed"
[ "$(sctl is-active approvald.service)" = inactive ] || fail "approvald.service runs before any event"
log "approvald.socket listening; approvald.service inactive"

# The event's connection is what starts the service.
id=$(curl -fsS --max-time 5 -H 'Content-Type: application/json' -d \
        '{"customer":{"id":"C1"},"currency":"EUR","items":[{"offerId":"O","sku":"S","quantity":1,"unitPrice":10}]}' \
        "$base/_sandbox/orders" | js 'd["id"]')
log "created $id"
wait_until 20 "approvald.service started by the event" sh -c \
        "[ \"\$(nsenter -t $pid1 -m -p -- systemctl is-active approvald.service)\" = active ]"
wait_until 20 "the event answered" sh -c "curl -fsS $base/_sandbox/stats | grep -q '\"delivered\":[ ]*1'"
w=$(stats | js 'd["webhook"]')
[ "$(echo "$w" | js '[d["delivered"], d["refused"], d["failed"], d["attempts"]]')" = "[1, 0, 0, 1]" ] ||
        fail "the event before the service was up was not answered at its first attempt: $w"
log "event delivered at its first attempt: $w"
wait_until 20 "$id decided" sh -c "curl -fsS $base/_sandbox/stats | grep -q '\"$id\":[^}]*\"Approved\"'"
jctl -u approvald -o cat | grep -q "webhook: listening on systemd" || fail "no 'listening on systemd' line"

# Confined as ever: not root, no capabilities, a system call filter.
mp=$(sctl show -P MainPID approvald)
ns grep -E '^(Uid|CapEff|Seccomp):' "/proc/$mp/status" >"$tmp/main.status"
grep -qE '^Uid:[[:space:]]+0[[:space:]]' "$tmp/main.status" && fail "approvald runs as root"
grep -qE '^CapEff:[[:space:]]+0+$' "$tmp/main.status" || fail "approvald has capabilities"
grep -qE '^Seccomp:[[:space:]]+2$' "$tmp/main.status" || fail "approvald has no seccomp filter"

# A second order while the service runs: decided through the same socket.
id2=$(curl -fsS --max-time 5 -H 'Content-Type: application/json' -d \
        '{"customer":{"id":"C2"},"currency":"EUR","items":[{"offerId":"O","sku":"S","quantity":1,"unitPrice":10}]}' \
        "$base/_sandbox/orders" | js 'd["id"]')
wait_until 5 "$id2 decided through the event (the poll is 60 s)" sh -c \
        "curl -fsS $base/_sandbox/stats | grep -q '\"$id2\":[^}]*\"Approved\"'"
log "ok"
