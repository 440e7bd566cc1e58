# lib.sh: boots a real systemd as PID 1 of private PID and mount namespaces,
# for the tests of the installed service (sourced by bash scripts, not run).
# Nothing of the host changes: /etc, /usr and /var are overlays whose upper
# layers live in the test's folder, /run and /tmp are the namespace's own,
# and the distribution's units are hidden behind a folder holding only
# journald and stub targets.  See ../shared/guides/systemd-in-tests.md for
# the why of each step.
#
#   sd_init NAME DEADLINE    prerequisites (exit 77 with a reason), $tmp, the
#                            teardown trap, a deadline for the whole test
#   $tmp/sysroot/            lay files here before sd_boot: they are copied
#                            over / inside the namespace (an install's DESTDIR)
#   $tmp/units/              /etc/systemd/system: test.target, drop-ins
#   $tmp/share/              /mnt/test inside, writable by all
#   sd_boot                  boots; sets $pid1
#   ns CMD, sctl ARGS, jctl ARGS, wait_until SECS WHAT CMD, fail, log, skip
#   sd_sandbox OUT ARGS...   starts appxite-sandbox ($SANDBOX_BIN) on the
#                            host's loopback; sets SANDBOX_URL
#   sd_upper PATH            where PATH's changes are, seen from the host
# SD_SHOW_UNITS (default approvald) are shown when the test fails.

sd_name=systemd-test
log() { printf '%s [%3ds] %s\n' "$sd_name" "$SECONDS" "$*"; }
skip() {
        echo "SKIP: $*"
        exit 77
}
fail() {
        echo "FAIL: $*" >&2
        exit 1
}

# Runs a command inside the namespaces.
ns() { nsenter -t "$pid1" -m -p -- "$@"; }
sctl() { ns systemctl --no-pager "$@"; }
jctl() { ns journalctl --no-pager "$@"; }

# wait_until SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s.
wait_until() {
        local limit=$1 what=$2 end
        shift 2
        end=$((SECONDS + limit))
        until "$@" >/dev/null 2>&1; do
                [ "$SECONDS" -lt "$end" ] || fail "timed out after ${limit}s waiting for: $what"
                sleep 0.2
        done
}

# js EXPR [ARG]: the value of a Python expression over the JSON on stdin
# (as d; ARG as a), printed as JSON unless it is a string.
js() {
        python3 -c 'import json, sys
d = json.load(sys.stdin)
a = sys.argv[2] if len(sys.argv) > 2 else None
r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r, sort_keys=True))' "$@"
}

sd_init() {
        sd_name=$1
        local deadline=$2
        [ "$(id -u)" = 0 ] || skip "needs root to create PID and mount namespaces"
        [ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd on this machine"
        local p
        for p in unshare nsenter curl python3 cmake; do
                command -v "$p" >/dev/null || skip "$p is not installed"
        done
        unshare --pid --fork --mount --propagation private --mount-proc true 2>/dev/null ||
                skip "this machine cannot create PID and mount namespaces (unshare failed)"
        grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
                skip "no overlay filesystem on this machine"

        tmp=$(mktemp -d /tmp/approvald-systemd.XXXXXX)
        chmod 755 "$tmp" # the service's dynamic user reads the test's files
        sd_cg=approvald-test-${tmp##*.}
        unshare_pid='' pid1='' sd_sandbox_pids='' sd_watchdog_pid=''
        mkdir -p "$tmp/sysroot" "$tmp/units" "$tmp/share/open" "$tmp/sysunits" "$tmp/ovl"
        chmod 1777 "$tmp/share/open"
        trap sd_cleanup EXIT
        trap 'echo "FAIL: interrupted" >&2; exit 1' INT TERM
        # A deadline of our own, so that teardown runs before ctest's kill would.
        (
                sleep "$deadline" &
                trap 'kill $!; exit 0' TERM
                wait
                echo "FAIL: the test took over ${deadline}s" >&2
                kill -TERM $$
        ) &
        sd_watchdog_pid=$!
}

sd_cleanup() {
        local rc=$? u h left
        set +e
        trap - EXIT INT TERM
        if [ "$rc" != 0 ] && [ -n "$pid1" ] && kill -0 "$pid1" 2>/dev/null; then
                for u in ${SD_SHOW_UNITS:-approvald}; do
                        echo "---- systemctl status $u (namespace) ----"
                        sctl status "$u" 2>&1 | head -30
                done
                echo "---- journal (namespace, last 80 lines) ----"
                jctl -n 80 2>&1
        fi
        if [ "$rc" != 0 ] && [ -s "$tmp/boot.log" ]; then
                echo "---- the namespace's boot script and PID 1 said ----"
                tail -20 "$tmp/boot.log"
        fi
        [ -n "$pid1" ] && kill -9 "$pid1" 2>/dev/null
        [ -n "$unshare_pid" ] && kill -9 "$unshare_pid" 2>/dev/null
        [ -n "$unshare_pid" ] && wait "$unshare_pid" 2>/dev/null
        for p in $sd_sandbox_pids; do
                kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
        done
        [ -n "$sd_watchdog_pid" ] && kill "$sd_watchdog_pid" 2>/dev/null
        # The namespace's systemd made cgroups under $sd_cg in the host's
        # tree; its processes are gone, so the (empty) folders can go too.
        for _ in 1 2 3 4 5; do
                left=
                for h in /sys/fs/cgroup/*/"$sd_cg" /sys/fs/cgroup/"$sd_cg"; do
                        [ -d "$h" ] || continue
                        find "$h" -depth -type d -exec rmdir {} + 2>/dev/null || left=1
                done
                [ -z "$left" ] && break
                sleep 0.2
        done
        rm -rf "$tmp"
        exit "$rc"
}

# sd_sandbox OUT [OPTIONS...]: appxite-sandbox on a free loopback port of
# the host (the namespace shares the network), its output in OUT.
sd_sandbox() {
        local out=$1
        shift
        [ -x "${SANDBOX_BIN:-}" ] || fail "no appxite-sandbox built (SANDBOX_BIN)"
        "$SANDBOX_BIN" --listen 127.0.0.1:0 "$@" >"$out" 2>"$out.err" &
        sd_sandbox_pids="$sd_sandbox_pids $!"
        wait_until 10 "the sandbox's address" grep -q '^listening on http://' "$out"
        SANDBOX_URL=$(sed -n '1s/^listening on //p' "$out")
}

# sd_upper PATH: the host's view of PATH as the namespace changed it (the
# overlay's upper layer; /var/lib/x is $tmp/ovl/var/upper/lib/x).
sd_upper() {
        local top=${1#/}
        top=${top%%/*}
        printf '%s/ovl/%s/upper%s' "$tmp" "$top" "${1#/"$top"}"
}

# The units systemd finds in /usr/lib/systemd/system: journald, and stubs for
# the targets that default dependencies name.  test.target (in
# /etc/systemd/system) starts journald only; the test starts the rest.
sd_units() {
        local t
        cp /lib/systemd/system/systemd-journald.service /lib/systemd/system/systemd-journald.socket \
                /lib/systemd/system/systemd-journald-dev-log.socket "$tmp/sysunits/"
        for t in sysinit basic sockets shutdown network network-online paths timers slices \
                local-fs remote-fs multi-user; do
                printf '[Unit]\nDescription=Stub %s for the test\n' "$t" >"$tmp/sysunits/$t.target"
        done
        printf '[Unit]\nDescription=approvald test\nWants=systemd-journald.socket systemd-journald.service\n' \
                >"$tmp/units/test.target"
}

sd_boot() {
        local d top overlays=""
        sd_units
        # Overlays on /etc, /usr and /var, and on any other top-level folder
        # the sysroot fills (a prefix such as /opt).  /lib is /usr/lib.
        for top in etc usr var $(ls "$tmp/sysroot"); do
                d=$(readlink -f "/$top")
                d=${d#/}
                d=${d%%/*}
                case " $overlays " in *" $d "*) continue ;; esac
                [ -d "/$d" ] || skip "the sysroot needs /$d, which this machine lacks"
                case $d in proc | sys | dev | run | tmp | mnt) fail "cannot lay files over /$d" ;; esac
                overlays="$overlays $d"
                mkdir -p "$tmp/ovl/$d/upper" "$tmp/ovl/$d/work"
        done
        cat >"$tmp/boot.sh" <<EOF
set -e
# A cgroup of our own, so that this systemd's units never meet the host's
# or another test's.
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
        [ -e "\$h/cgroup.procs" ] || continue
        mkdir -p "\$h/$sd_cg" && echo \$\$ >"\$h/$sd_cg/cgroup.procs" || true
        [ "\$h" = /sys/fs/cgroup/unified ] && break
done
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/system
for d in $overlays; do
        mount -t overlay overlay \
                -o "lowerdir=/\$d,upperdir=$tmp/ovl/\$d/upper,workdir=$tmp/ovl/\$d/work" "/\$d"
done
# Only the test's units: the distribution's would start the machine's services.
mount --bind "$tmp/sysunits" /usr/lib/systemd/system
mount --bind "$tmp/units" /etc/systemd/system
# The install (or anything the test lays out), where it belongs; /lib and
# the like are links into /usr.
for top in \$(ls "$tmp/sysroot"); do
        dst=\$(readlink -f "/\$top")
        cp -a "$tmp/sysroot/\$top/." "\$dst/"
done
# A journal of the test's own, in memory, without the host's kernel log.
mkdir -p /etc/systemd/journald.conf.d
printf '[Journal]\nStorage=volatile\nReadKMsg=no\n' >/etc/systemd/journald.conf.d/test.conf
mount -t tmpfs -o mode=755 tmpfs /mnt
mkdir /mnt/test
mount --bind "$tmp/share" /mnt/test
mount -t tmpfs -o mode=1777 tmpfs /tmp
# systemd hands credentials to a service by moving a mount made in a
# child's namespace; it reaches PID 1's view only through shared
# propagation.  These are new peer groups, none shared with the host.
mount --make-rshared /
exec /lib/systemd/systemd --system --unit=test.target --show-status=no --log-color=no
EOF
        # --kill-child: should this script die before its teardown, the
        # namespace dies with unshare.
        setsid unshare --pid --kill-child --mount --propagation private --mount-proc \
                sh "$tmp/boot.sh" </dev/null >"$tmp/boot.log" 2>&1 &
        unshare_pid=$!
        wait_until 10 "systemd as PID 1 of the namespace" sd_find_pid1
        wait_until 20 "the namespace's systemd to finish booting" \
                sh -c "nsenter -t $pid1 -m -p -- systemctl is-system-running | grep -qE 'running|degraded'"
        wait_until 10 "journald" ns test -S /run/systemd/journal/socket
        ns journalctl --update-catalog
        log "systemd booted (host pid $pid1)"
}

sd_find_pid1() {
        pid1=$(pgrep -P "$unshare_pid" | head -1)
        [ -n "$pid1" ] && [ "$(cat "/proc/$pid1/comm" 2>/dev/null)" = systemd ]
}

# sd_install BUILD: cmake --install BUILD into the sysroot (quiet unless it fails).
sd_install() {
        DESTDIR="$tmp/sysroot" cmake --install "$1" >"$tmp/install.log" 2>&1 ||
                { cat "$tmp/install.log"; fail "cmake --install"; }
}

# sd_asan_dropin UNIT: in a sanitizer build, the leak check at exit needs
# ptrace, which the unit's system call filter refuses (rightly): it would
# turn every exit 0 into 1.  Leaks are valgrind's and the other tests'
# business.  Nothing is added for a normal build.
sd_asan_dropin() {
        [ "${APPROVALD_SANITIZE:-OFF}" = ON ] || return 0
        mkdir -p "$tmp/units/$1.d"
        printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' >"$tmp/units/$1.d/asan.conf"
}

# sd_credentials DIR: the three API secrets ($sub_key, $client_id,
# $client_secret) as docs/install.md lays them out: DIR/credentials, 0700,
# each file 0600.  Any file already there (webhook-authorization) gets the
# same mode.
sd_credentials() {
        mkdir -p "$1/credentials"
        printf '%s' "$sub_key" >"$1/credentials/subscription-key"
        printf '%s' "$client_id" >"$1/credentials/client-id"
        printf '%s' "$client_secret" >"$1/credentials/client-secret"
        chmod 700 "$1/credentials"
        chmod 600 "$1/credentials"/*
}
