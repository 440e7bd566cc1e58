#!/bin/bash
# The Debian package, end to end: builds approvald_*.deb and
# appxite-sandbox_*.deb from a copy of the source tree as a clean clone
# would have it (dpkg-buildpackage -b -us -uc), runs lintian (no error
# allowed; warnings shown), then, under a real systemd booted in private
# namespaces (../systemd/lib.sh), installs both, checks what the install
# did, configures the service as docs/install.md says (the two URLs, the
# credentials), starts it against the packaged sandbox, and purges both
# packages, after which nothing of them may be left.
#
# usage: test-deb.sh SOURCE_DIR
# Exit 77, with the reason, when the tools to build a package are missing
# (tests/install-deps.sh installs them) or namespaces cannot be made.
set -eu
src=$1
. "$(dirname "$0")/../systemd/lib.sh"

for p in dpkg-buildpackage dh lintian; do
        command -v "$p" >/dev/null || skip "$p is not installed (debhelper, lintian: see README, 'Build a .deb')"
done
unmet=$(cd "$src" && dpkg-checkbuilddeps -Pnocheck 2>&1) || skip "build dependencies missing: ${unmet#*: }"
sd_init package-deb 300
seeded=20
decision_mid=d247f2cd64ce466698b1663ca6d4ff56

# --- Build, from the tracked files (and edits not yet committed) ----------
mkdir "$tmp/pkg" "$tmp/pkg/src"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$src" && git ls-files -co --exclude-standard -z) |
                (cd "$src" && tar --null -T - -cf -) | tar -xf - -C "$tmp/pkg/src"
else
        tar -C "$src" --exclude='./build*' --exclude=./debian/.debhelper -cf - . | tar -xf - -C "$tmp/pkg/src"
fi
# The package's own build runs its unit tests; this test is about the
# package, so nocheck (and no recursion into this very test).
(cd "$tmp/pkg/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -us -uc) \
        >"$tmp/pkg/build.log" 2>&1 || { tail -40 "$tmp/pkg/build.log"; fail "dpkg-buildpackage failed"; }
debs=$(cd "$tmp/pkg" && ls approvald_*.deb appxite-sandbox_*.deb)
[ "$(echo "$debs" | wc -l)" = 2 ] || fail "expected approvald and appxite-sandbox .debs, got: $debs"
log "built: $(echo "$debs" | tr '\n' ' ')"

# --- lintian: no errors -----------------------------------------------------
lintian --pedantic -I "$tmp"/pkg/approvald_*.changes >"$tmp/pkg/lintian.log" 2>&1 || true
grep -E '^[EWIPX]: ' "$tmp/pkg/lintian.log" | sed 's/^/    lintian: /' || true
errors=$(grep -c '^E: ' "$tmp/pkg/lintian.log" || true)
[ "$errors" = 0 ] || fail "lintian reports $errors errors"
log "lintian: no errors, $(grep -c '^W: ' "$tmp/pkg/lintian.log" || true) warnings"

# --- Install under a real systemd -------------------------------------------
for d in $debs; do cp "$tmp/pkg/$d" "$tmp/share/"; done
sd_boot
# A container image's policy-rc.d forbids maintainer scripts to start or
# stop services; a real machine has none (removed in the overlay only).
if ns test -e /usr/sbin/policy-rc.d; then
        ns rm /usr/sbin/policy-rc.d
        log "removed /usr/sbin/policy-rc.d (inside the namespace) so that dpkg acts as on a real machine"
fi
# What the namespace's layers hold before the install: the purge must bring
# them back to this, but for dpkg's and the system's own bookkeeping.
# (Files and links only: overlayfs copies shared folders such as /usr/bin
# up as they are written to, and the package's own folders are checked by
# name after the purge.)
snapshot() {
        (cd "$tmp/ovl" && find ./*/upper \( -type f -o -type l \) | sort) |
                grep -vE '^\./var/upper/(lib/dpkg|log|cache/(man|debconf|ldconfig)|lib/systemd/catalog)/' |
                grep -vE '^\./etc/upper/(ld\.so\.cache|\.pwd\.lock|systemd/journald\.conf\.d/)' || true
        (cd "$tmp/units" && find . | sort)
        (cd "$tmp/sysunits" && find . | sort)
}
snapshot >"$tmp/before"
(cd "$tmp/share" && ns dpkg -i $(for d in $debs; do echo "/mnt/test/$d"; done)) >"$tmp/dpkg.log" 2>&1 ||
        { cat "$tmp/dpkg.log"; fail "dpkg -i failed"; }
log "installed: $(ns dpkg-query -W -f '${Package} ${Version} ${Status}\n' approvald appxite-sandbox | tr '\n' ';')"
ns dpkg -L approvald appxite-sandbox | grep -v "^/\.$" | grep . | sort -u >"$tmp/files"
while read -r f; do
        ns test -e "$f" || fail "dpkg -L lists $f, which is not there"
done <"$tmp/files"
[ "$(ns stat -c %a /etc/approvald/credentials)" = 700 ] || fail "/etc/approvald/credentials is not 0700"
ns dpkg-query -W -f '${Conffiles}\n' approvald | grep -q '^ /etc/approvald/rules.yaml ' ||
        fail "/etc/approvald/rules.yaml is not a conffile"
[ "$(sctl is-enabled approvald || true)" = disabled ] || fail "approvald.service enabled before it is configured"
[ "$(sctl is-active approvald || true)" = inactive ] || fail "approvald.service started before it is configured"
[ "$(sctl is-enabled approvald.socket || true)" = disabled ] || fail "approvald.socket enabled by the install"
[ "$(sctl is-active approvald.socket || true)" = inactive ] || fail "approvald.socket listening before the seller enables it"
log "install: $(grep -c . "$tmp/files") paths, rules.yaml a conffile, service installed but not enabled"

# --- Configure and start, against the packaged sandbox ------------------------
ns systemd-run --unit=sandbox --quiet /usr/bin/appxite-sandbox --listen 127.0.0.1:0 --seed "$seeded"
sandbox_url() { jctl -u sandbox -o cat | sed -n 's/^listening on //p' | head -1; }
# a function, so that each try reads the journal again (a $(...) argument
# would be read once, before the first try)
sandbox_listening() { [ -n "$(sandbox_url)" ]; }
wait_until 10 "the packaged sandbox's address" sandbox_listening
url=$(sandbox_url)
ns sed -i -e "s#^\(  base_url:\) [^ ]*#\1 $url#" -e "s#^\(  token_url:\) [^ ]*#\1 $url/oauth2/token#" \
        /etc/approvald/rules.yaml
ns sh -c 'umask 077 && cd /etc/approvald/credentials && printf demo-key >subscription-key &&
        printf demo-client >client-id && printf demo-secret >client-secret'
ns approvald check -c /etc/approvald/rules.yaml >/dev/null 2>&1 || fail "approvald check refuses the edited rules"
sctl enable --now approvald >"$tmp/enable.log" 2>&1 || { cat "$tmp/enable.log"; fail "systemctl enable --now failed"; }
decided() {
        [ "$(jctl -u approvald MESSAGE_ID=$decision_mid -o json | python3 -c 'import json, sys
print(len({json.loads(l)["ORDER_ID"] for l in sys.stdin}))')" = "$seeded" ]
}
wait_until 60 "all $seeded sandbox orders decided" decided
[ "$(sctl is-active approvald)" = active ] || fail "approvald is not active"
ns test -s /var/lib/approvald/journal || fail "no journal in /var/lib/approvald"
log "approvald (package) active, decided all $seeded orders of appxite-sandbox (package)"
sctl stop sandbox

# --- Purge: nothing left ------------------------------------------------------
ns dpkg --purge approvald appxite-sandbox >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; fail "dpkg --purge failed"; }
[ "$(sctl show -P LoadState approvald)" = not-found ] || fail "approvald.service still known after purge"
[ "$(sctl show -P ActiveState approvald)" = inactive ] || fail "approvald still running after purge"
# Every file either package had is gone, and every folder of their own;
# shared folders (/usr/bin) stay.
while read -r f; do
        case $f in
        *approvald* | *appxite*) ! ns test -e "$f" || fail "$f is still there after purge" ;;
        *) ns test -d "$f" || ! ns test -e "$f" || fail "$f is still there after purge" ;;
        esac
done <"$tmp/files"
for d in /etc/approvald /var/lib/approvald /var/lib/private/approvald; do
        ! ns test -e "$d" || fail "$d is still there after purge"
done
snapshot >"$tmp/after"
if ! diff "$tmp/before" "$tmp/after" >"$tmp/left"; then
        cat "$tmp/left"
        fail "the purge left these behind (> lines)"
fi
log "purge: no file of either package left, no /etc/approvald, no /var/lib/approvald"
log "PASS"
