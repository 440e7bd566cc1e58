#!/bin/bash
# approvald as a service under a real systemd: installs the build into the
# namespace (tests/systemd/lib.sh boots systemd as PID 1 of private PID and
# mount namespaces; nothing of the host's services is touched), and drives
# the installed unit against an appxite-sandbox on loopback: start and
# READY=1, STATUS=, reload (good rules; broken rules make `systemctl reload`
# fail and show the errors), structured journal fields and catalog text, the
# watchdog, a clean stop and a restart that decides nothing twice, and the
# unit's sandboxing seen from inside.
#
# usage: test-service.sh APPROVALD SANDBOX SOURCE_DIR BUILD_DIR
# The install paths come from the environment (set by CMake).  Exit 77
# (skipped, with the reason printed) only where namespaces cannot be made.
# APPROVALD_TEST_HARNESS_ONLY=1 boots and probes with a trivial service
# instead, for working on this script without a daemon.
set -eu

# (SOURCE_DIR is not needed: everything comes from the installed tree.)
approvald=$1 build=$4
SANDBOX_BIN=$2
. "$(dirname "$0")/lib.sh"
sd_init systemd-service 200

[ -x "$approvald" ] || fail "no approvald at $approvald"
harness_only=${APPROVALD_TEST_HARNESS_ONLY:-}

# --- Install ------------------------------------------------------------
sd_install "$build"
root=$tmp/sysroot
cmp -s "$approvald" "$root$APPROVALD_BINDIR/approvald" ||
        fail "the installed $APPROVALD_BINDIR/approvald is not the built $approvald"
[ -f "$root$APPROVALD_UNITDIR/approvald.service" ] || fail "unit not installed"
[ -f "$root$APPROVALD_CATALOGDIR/approvald.catalog" ] || fail "catalog not installed"

# --- The sandbox, on the host's loopback (the namespace shares the network)
client_id=sd-test-client client_secret=sd-test-secret sub_key=sd-test-key
base=http://127.0.0.1:9 # nothing listens there in harness-only mode
if [ -z "$harness_only" ]; then
        sd_sandbox "$tmp/sandbox.out" --seed 40 --client-id "$client_id" \
                --client-secret "$client_secret" --subscription-key "$sub_key"
        base=$SANDBOX_URL
        log "sandbox at $base"
fi

stats() { curl -fsS --max-time 5 "$base/_sandbox/stats"; }
# new_order CUSTOMER: creates a pending order, prints its id.
new_order() {
        local id
        id=$(curl -fsS --max-time 5 -H 'Content-Type: application/json' -d @- \
                "$base/_sandbox/orders" <<EOF | js 'd["id"]'
{"customer":{"id":"$1","name":"Test $1","countryCode":"SE"},"currency":"EUR",
 "items":[{"offerId":"OFF-1","sku":"SKU-1","name":"Seat","quantity":1,"unitPrice":10,
           "billingFrequency":"Monthly","termDuration":"P1M"}]}
EOF
        )
        case $id in ORD-*) echo "$id" ;; *) fail "creating an order for $1 failed" ;; esac
}
order_status() { stats | js 'd["orders"].get(a, {}).get("status", "")' "$1"; }
status_is() { [ "$(order_status "$1")" = "$2" ]; }
pending_count() {
        stats | js 'sum(o["status"] == "PendingApproval" for o in d["orders"].values())'
}
none_pending() { [ "$(pending_count)" = 0 ]; }
prop() { sctl show -P "$1" approvald; }
status_says() { prop StatusText | grep -q "$1"; }

# --- What the namespace sees --------------------------------------------
# The install as is, with /etc/approvald laid out as docs/install.md tells a
# seller to: root's rules, root's credentials.
conf="$root$APPROVALD_CONFDIR"
mkdir -p "$tmp/units/approvald.service.d"
sd_credentials "$conf"

# put_rules FILE: replaces /etc/approvald/rules.yaml (atomically); before
# the boot in the sysroot, after it inside the namespace.
put_rules() {
        chmod 644 "$1"
        if [ -z "$pid1" ]; then
                mv "$1" "$conf/rules.yaml"
        else
                ns sh -c 'cat >/etc/approvald/rules.yaml.new &&
                        chmod 644 /etc/approvald/rules.yaml.new &&
                        mv /etc/approvald/rules.yaml.new /etc/approvald/rules.yaml' <"$1"
                rm "$1"
        fi
}
# write_rules EXTRA_RULE: the test's rules, with one more rule when given.
write_rules() {
        cat >"$tmp/rules.new" <<EOF
version: 1
api:
  base_url: $base
  token_url: $base/oauth2/token
poll:
  interval: 1s
rules:
  - name: blocked test customer
    when: {customer: CUS-SD-BLOCKED}
    then: reject
    reason: blocked by the test
$1
default: approve
EOF
        put_rules "$tmp/rules.new"
}
write_rules ""

# The installed approvald.service as is, with a drop-in for what the test
# needs to see in a few seconds.
cat >"$tmp/units/approvald.service.d/test.conf" <<EOF
[Service]
# Short enough for the test to see a stuck loop killed and restarted.
WatchdogSec=3s
RestartSec=1s
TimeoutAbortSec=5s
LimitCORE=0
ExecStopPost=/bin/sh -c 'echo "stop-post: \$\$SERVICE_RESULT \$\$EXIT_CODE \$\$EXIT_STATUS"'
EOF
sd_asan_dropin approvald.service

# --- Boot -----------------------------------------------------------------
sd_boot

# ---- 1-2. start: READY=1 and active (running); the seeded orders decided
step_start() {
        local state result
        # READY=1 comes only after the rules are valid: with a broken file
        # the start fails (exit 78), and systemd does not retry it.
        printf 'version: 1\nrules: [\n' >"$tmp/rules.bad"
        cp "$conf/rules.yaml" "$tmp/rules.good"
        put_rules "$tmp/rules.bad"
        ! sctl start approvald 2>/dev/null || fail "approvald started with a broken rules file"
        result=$(prop Result)/$(prop ExecMainStatus)/$(prop NRestarts)
        [ "$result" = exit-code/78/0 ] ||
                fail "broken rules at start: Result/status/NRestarts = $result, not exit-code/78/0"
        log "start with broken rules: failed with exit status 78, not restarted"
        sctl reset-failed approvald
        put_rules "$tmp/rules.good"

        sctl start approvald || fail "systemctl start approvald failed"
        state=$(prop ActiveState)/$(prop SubState)
        [ "$state" = active/running ] || fail "after start: $state, not active/running"
        log "start returned with approvald active (running), main pid $(prop MainPID)"
        # The daemon itself runs confined: not root, no capabilities, a
        # system call filter, no new privileges.
        ns grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp):' "/proc/$(prop MainPID)/status" \
                >"$tmp/main.status"
        grep -qE '^Uid:[[:space:]]+0[[:space:]]' "$tmp/main.status" && fail "approvald runs as root"
        grep -qE '^CapEff:[[:space:]]+0+$' "$tmp/main.status" || fail "approvald has capabilities"
        grep -qE '^NoNewPrivs:[[:space:]]+1$' "$tmp/main.status" || fail "approvald lacks NoNewPrivs"
        grep -qE '^Seccomp:[[:space:]]+2$' "$tmp/main.status" || fail "approvald has no seccomp filter"
        log "approvald runs as uid $(awk '/^Uid:/ {print $2}' "$tmp/main.status"), no capabilities, seccomp on"
        wait_until 30 "every seeded order decided" none_pending
        log "seeded orders decided: $(stats | js '{s: [o["status"] for o in d["orders"].values()].count(s)
                for s in set(o["status"] for o in d["orders"].values())}')"
}

# ---- 3. status shows the STATUS= line
has_status_text() { [ -n "$(prop StatusText)" ]; }
step_status() {
        local line
        wait_until 10 "a STATUS= text" has_status_text
        line=$(sctl status approvald | grep -E '^ *Status: "') ||
                fail "systemctl status shows no Status: line"
        log "systemctl status: ${line#"${line%%[! ]*}"}"
}

# ---- 4. reload: new rules apply to new orders; broken rules are refused
reloaded_rule="  - name: reloaded rule
    when: {customer: CUS-SD-1}
    then: reject
    reason: rejected after reload"
is_running() { [ "$(prop SubState)" = running ]; }
rules_error_logged() {
        jctl -u approvald --since "$1" -o cat | grep -q '/etc/approvald/rules.yaml:[0-9]*:[0-9]*'
}
step_reload() {
        local before after kept pid since
        before=$(new_order CUS-SD-1)
        wait_until 15 "$before decided under the first rules" status_is "$before" Approved
        write_rules "$reloaded_rule"
        pid=$(prop MainPID)
        sctl reload approvald || fail "systemctl reload failed"
        wait_until 10 "active (running) after reload" is_running
        after=$(new_order CUS-SD-1)
        wait_until 15 "$after decided under the reloaded rules" status_is "$after" Rejected
        [ "$(prop MainPID)" = "$pid" ] || fail "reload restarted the process"
        log "reload: $before (before) Approved, $after (after) Rejected, same process"
        reloaded_order=$after

        # A typo in an edit: the daemon refuses the file (the running rules
        # stay, STATUS= says the reload was refused), and ExecReload's
        # `approvald check` refuses it too, so `systemctl reload` fails and
        # the errors are in the unit's log (and so in `systemctl status`).
        write_rules "$(printf '%s\n' "$reloaded_rule" | sed 's/then: reject/then: rejetc/')"
        sleep 1 # --since counts whole seconds: the good reload's line must be before it
        since=$(ns date '+%Y-%m-%d %H:%M:%S')
        ! out=$(sctl reload approvald 2>&1) || fail "systemctl reload succeeded with a broken rules file"
        log "broken reload: systemctl reload failed: $(echo "$out" | head -1)"
        wait_until 10 "the rules error in the journal" rules_error_logged "$since"
        sctl status approvald >"$tmp/status.out" 2>&1 || true
        grep -E "/etc/approvald/rules.yaml:[0-9]+:[0-9]+: .*'rejetc'" "$tmp/status.out" ||
                { cat "$tmp/status.out"; fail "systemctl status does not show the rules error"; }
        [ "$(prop SubState)" = running ] || fail "not running after a refused reload"
        [ "$(prop MainPID)" = "$pid" ] || fail "a broken rules file restarted the service"
        jctl -u approvald --since "$since" MESSAGE_ID=fd58764f68224149a7850a628c116ee0 \
                _PID="$pid" -o cat | grep -q 'reload of .* refused' ||
                fail "the daemon did not log the refused reload"
        wait_until 10 "STATUS= does not say the reload was refused" status_says 'Reload refused'
        kept=$(new_order CUS-SD-1)
        wait_until 15 "$kept decided under the kept rules" status_is "$kept" Rejected
        status_says 'Reload refused ([0-9]* errors\{0,1\}); rules from [0-9:]* in force' ||
                fail "a cycle after the refused reload dropped it from STATUS=: $(prop StatusText)"
        log "broken reload: refused, said in STATUS= ($(prop StatusText | cut -c1-60)...), old rules kept ($kept Rejected)"
        # Good rules again, for the restarts to come.
        write_rules "$reloaded_rule"
        sctl reload approvald || fail "systemctl reload failed"
}

# ---- 5. the order's story in the journal, with fields and the catalog
step_journal() {
        local id=$reloaded_order entry
        jctl -u approvald "ORDER_ID=$id" -o json >"$tmp/order.json"
        [ -s "$tmp/order.json" ] || fail "journalctl -u approvald ORDER_ID=$id finds nothing"
        # The decision entry: DECISION= without HTTP_STATUS= (the call's).
        entry=$(python3 -c 'import json, sys
keys = ("ORDER_ID", "DECISION", "RULE", "REASON", "CUSTOMER_ID", "AMOUNT", "CURRENCY", "MESSAGE_ID")
for line in open(sys.argv[1]):
    e = json.loads(line)
    if "DECISION" in e and "HTTP_STATUS" not in e:
        print(json.dumps({k: e.get(k) for k in keys}))
        break' "$tmp/order.json")
        [ -n "$entry" ] || fail "no entry with DECISION= for $id"
        [ "$(echo "$entry" | js '[d["DECISION"], d["RULE"], d["REASON"], d["CUSTOMER_ID"],
                d["AMOUNT"], d["CURRENCY"]]')" = \
                '["reject", "reloaded rule", "rejected after reload", "CUS-SD-1", "10.00", "EUR"]' ] ||
                fail "the decision entry lacks fields: $entry"
        log "journal: $entry"
        jctl -x -u approvald "ORDER_ID=$id" >"$tmp/order.x"
        grep -q "Subject: Order $id decided" "$tmp/order.x" ||
                { cat "$tmp/order.x"; fail "journalctl -x shows no catalog text for $id"; }
        log "journalctl -x: $(grep -m1 "Subject: " "$tmp/order.x")"
}

# ---- 6. a stuck loop: the watchdog kills it and systemd restarts it
restarted() {
        local p
        p=$(prop MainPID)
        [ "$(prop NRestarts)" -gt "$1" ] && [ "$p" != 0 ] && [ "$p" != "$2" ] && is_running
}
step_watchdog() {
        local pid restarts
        pid=$(prop MainPID)
        restarts=$(prop NRestarts)
        ns kill -STOP "$pid"
        log "SIGSTOP to main pid $pid (WatchdogSec=3s)"
        wait_until 30 "the watchdog to restart approvald" restarted "$restarts" "$pid"
        jctl -u approvald -o cat | grep -q 'Watchdog timeout' ||
                fail "no 'Watchdog timeout' in the journal"
        log "watchdog: killed and restarted; main pid $(prop MainPID), NRestarts=$(prop NRestarts)"
}

# ---- 7. clean stop; the journal survives; a restart decides nothing twice
step_stop_restart() {
        local result statedir extra twice once
        sctl stop approvald || fail "systemctl stop failed"
        # The stopped unit is unloaded at once, so its exit status comes
        # from the drop-in's ExecStopPost= line.
        result=$(jctl -u approvald -o cat | grep '^stop-post: ' | tail -1)
        [ "$result" = "stop-post: success exited 0" ] ||
                fail "stop: '$result', not a clean exit 0"
        log "stop: exited 0 ($result)"
        statedir=$(sd_upper /var/lib/private/approvald)
        [ -n "$(find "$statedir" -type f -size +0 2>/dev/null)" ] ||
                fail "the state directory holds no journal after stop"
        log "state directory: $(cd "$statedir" && find . -type f -printf '%p (%s bytes) ')"
        if "$approvald" journal verify --state-dir "$statedir" >"$tmp/verify.out" 2>&1; then
                log "approvald journal verify: $(tail -1 "$tmp/verify.out")"
        elif grep -q 'not part of this build' "$tmp/verify.out"; then
                log "approvald journal verify: not in this build, not checked"
        else
                cat "$tmp/verify.out"
                fail "approvald journal verify fails after the watchdog kill and the stop"
        fi
        extra=$(new_order CUS-SD-2)
        sctl start approvald || fail "start after stop failed"
        wait_until 15 "$extra decided after the restart" status_is "$extra" Approved
        sleep 2 # more cycles over the same orders
        twice=$(stats | js 'sorted(k for k, o in d["orders"].items()
                if o["approveCalls"] + o["rejectCalls"] > 1)')
        [ "$twice" = "[]" ] || fail "orders called more than once: $twice"
        once=$(stats | js 'sum(o["approveCalls"] + o["rejectCalls"] == 1 for o in d["orders"].values())')
        log "restart: $once orders called once each, none twice"
        sctl stop approvald
}

# ---- 8. the unit's sandboxing, seen from inside
# The installed unit with its ExecStart swapped for a probe that tries to
# write everywhere.  Only the state directory may take a file; the "open"
# folders are world-writable, so only the sandboxing can refuse them.
probe_dirs="/etc /etc/approvald /etc/approvald/open /usr /var/lib/open /run/open /mnt/test/open $APPROVALD_BINDIR /var/log"
expect() { grep -qx "PROBE $1" "$tmp/probe.out" || fail "probe: expected '$1'"; }
step_probe() {
        local since d owners
        ns mkdir -p -m 1777 /run/open /var/lib/open /etc/approvald/open
        cat >"$tmp/share/probe.sh" <<EOF
try() {
        if (: >"\$1/probe-file") 2>/dev/null; then
                echo "PROBE writable \$1"
        else
                echo "PROBE denied \$1"
        fi
}
for d in "\$STATE_DIRECTORY" $probe_dirs; do
        try "\$d"
done
echo "PROBE uid \$(id -u)"
sed -n 's/^\(CapEff\|CapBnd\|NoNewPrivs\|Seccomp\):[[:space:]]*/PROBE \1 /p' /proc/self/status
: >/tmp/probe-private && : >/var/tmp/probe-private && echo "PROBE private-tmp written"
EOF
        cat >"$tmp/units/approvald.service.d/zz-probe.conf" <<EOF
[Service]
Type=oneshot
ExecStart=
ExecStart=/bin/sh /mnt/test/probe.sh
ExecReload=
Restart=no
WatchdogSec=0
EOF
        sctl daemon-reload
        since=$(ns date '+%Y-%m-%d %H:%M:%S')
        sctl start approvald || fail "the probe did not run"
        jctl -u approvald --since "$since" -o cat | grep '^PROBE ' >"$tmp/probe.out" || true
        sed 's/^/    /' "$tmp/probe.out"
        expect "writable /var/lib/approvald"
        for d in $probe_dirs; do
                expect "denied $d"
        done
        ! grep -q '^PROBE uid 0$' "$tmp/probe.out" || fail "the probe ran as root"
        expect "CapEff 0000000000000000"
        expect "CapBnd 0000000000000000"
        expect "NoNewPrivs 1"
        expect "Seccomp 2"
        expect "private-tmp written"
        { [ ! -e "$(sd_upper /var/tmp/probe-private)" ] && ! ns test -e /tmp/probe-private; } ||
                fail "the service's /tmp or /var/tmp is not private"
        owners=$(ns stat -c %U /etc/approvald /etc/approvald/rules.yaml /etc/approvald/credentials \
                /etc/approvald/credentials/client-secret | sort -u)
        [ "$owners" = root ] || fail "the service changed the owner of /etc/approvald: $owners"
        rm "$tmp/units/approvald.service.d/zz-probe.conf"
        sctl daemon-reload
        log "sandboxing: only the state directory is writable; no capabilities; seccomp on"
}

# A trivial Type=notify service, to work on this harness without a daemon
# (APPROVALD_TEST_HARNESS_ONLY=1).
step_harness() {
        cat >"$tmp/units/hello.service" <<'EOF'
[Service]
Type=notify
NotifyAccess=all
DynamicUser=yes
ExecStart=/bin/sh -c 'systemd-notify --ready --status="hello from the test"; exec sleep infinity'
EOF
        sctl daemon-reload
        sctl start hello
        sctl status hello | grep -q 'Status: "hello from the test"' || fail "hello: no status"
        log "harness: a Type=notify unit started, status seen"
}

if [ -n "$harness_only" ]; then
        step_harness
        step_probe
else
        step_start
        step_status
        step_reload
        step_journal
        step_watchdog
        step_stop_restart
        step_probe
fi
log "PASS"
