#!/bin/sh
# Checks of the service files that need no running systemd:
#   verify    systemd-analyze verify is silent on the installed unit
#   security  systemd-analyze security --offline scores 2.0 or lower
#   catalog   the catalog compiles and explains every MESSAGE_ID in log.h
#   install   cmake --install puts every file in place, and a second install
#             never overwrites the seller's rules
# usage: test-unit.sh MODE SOURCE_DIR BUILD_DIR
# The install paths come from the environment (set by CMake).
set -eu
mode=$1 src=$2 build=$3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

need() {
        command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed"; exit 77; }
}

# Installs the build into $tmp/root; quiet unless it fails.
install_build() {
        # A strict umask must not make the rules unreadable to the service.
        (umask 077 && DESTDIR="$tmp/root" cmake --install "$build") >"$tmp/install.log" 2>&1 ||
                { cat "$tmp/install.log"; fail "cmake --install"; }
}

unit="$tmp/root$APPROVALD_UNITDIR/approvald.service"

case $mode in
verify)
        need systemd-analyze
        install_build
        # verify wants ExecStart='s program to exist: point it into the
        # installed tree, and check the rest of the unit as installed.
        # (--root would also hide the host's targets and /bin/kill.)
        mkdir "$tmp/unit"
        sed "s|^ExecStart=$APPROVALD_BINDIR/|ExecStart=$tmp/root$APPROVALD_BINDIR/|" "$unit" \
                >"$tmp/unit/approvald.service"
        grep -q "^ExecStart=$tmp/root" "$tmp/unit/approvald.service" ||
                fail "ExecStart is not in $APPROVALD_BINDIR"
        out=$(systemd-analyze verify --man=no "$tmp/unit/approvald.service" 2>&1) ||
                { echo "$out"; fail "systemd-analyze verify exited non-zero"; }
        [ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify is not clean"; }
        echo "verify: clean"
        ;;
security)
        need systemd-analyze
        install_build
        # The unit as it stands in the source tree, and as installed.
        for u in "$src/systemd/approvald.service" "$unit"; do
                out=$(systemd-analyze security --offline=true --threshold=20 "$u" 2>&1) ||
                        { echo "$out"; fail "$u: exposure above 2.0"; }
                line=$(echo "$out" | grep 'Overall exposure level') || fail "no score in: $out"
                echo "$u: $line"
                echo "$line" | grep -q ' OK ' || fail "$u: score not OK"
        done
        ;;
catalog)
        need journalctl
        mkdir -p "$tmp/usr/lib/systemd/catalog"
        cp "$src/systemd/approvald.catalog" "$tmp/usr/lib/systemd/catalog/"
        journalctl --root="$tmp" --update-catalog || fail "catalog does not compile"
        journalctl --root="$tmp" --list-catalog >"$tmp/list"
        ids=$(sed -n 's/^#define LOG_MID_[A-Z_]* *"\([0-9a-f]\{32\}\)".*/\1/p' "$src/include/base/log.h")
        [ -n "$ids" ] || fail "no MESSAGE_IDs found in include/base/log.h"
        for id in $ids; do
                grep -q "^$id approvald: " "$tmp/list" || fail "no catalog entry for $id"
        done
        n=$(echo "$ids" | wc -w)
        m=$(wc -l <"$tmp/list")
        [ "$n" -eq "$m" ] || fail "catalog has $m entries, log.h $n MESSAGE_IDs"
        echo "catalog: $n entries, one per MESSAGE_ID"
        ;;
install)
        install_build
        for f in "$APPROVALD_BINDIR/approvald" "$APPROVALD_UNITDIR/approvald.service" \
                "$APPROVALD_CATALOGDIR/approvald.catalog" "$APPROVALD_CONFDIR/rules.yaml" \
                "$APPROVALD_DOCDIR/install.md"; do
                [ -f "$tmp/root$f" ] || fail "not installed: $f"
        done
        [ -d "$tmp/root$APPROVALD_CONFDIR/credentials" ] || fail "no credentials folder"
        perm=$(stat -c %a "$tmp/root$APPROVALD_CONFDIR")
        [ "$perm" = 755 ] || fail "$APPROVALD_CONFDIR has mode $perm, not 755"
        perm=$(stat -c %a "$tmp/root$APPROVALD_CONFDIR/credentials")
        [ "$perm" = 700 ] || fail "credentials folder has mode $perm, not 700"
        grep -qx "ExecStart=$APPROVALD_BINDIR/approvald run -c $APPROVALD_CONFDIR/rules.yaml" "$unit" ||
                fail "ExecStart does not follow the install paths: $(grep ExecStart= "$unit")"
        for f in rules.yaml blocked-customers.txt; do
                [ -f "$src/conf/$f" ] || continue
                cmp -s "$src/conf/$f" "$tmp/root$APPROVALD_CONFDIR/$f" ||
                        fail "installed $f differs from conf/$f"
                perm=$(stat -c %a "$tmp/root$APPROVALD_CONFDIR/$f")
                [ "$perm" = 644 ] || fail "$f has mode $perm: the service's own user must read it"
        done
        # A seller's edits survive a reinstall (an upgrade).
        echo "# edited by the seller" >>"$tmp/root$APPROVALD_CONFDIR/rules.yaml"
        cp "$tmp/root$APPROVALD_CONFDIR/rules.yaml" "$tmp/edited"
        install_build
        cmp -s "$tmp/edited" "$tmp/root$APPROVALD_CONFDIR/rules.yaml" ||
                fail "a second install overwrote the seller's rules.yaml"
        grep -q "Keeping: .*rules.yaml" "$tmp/install.log" || fail "no 'Keeping' message"
        echo "install: all files in place; rules.yaml kept on reinstall"
        ;;
*)
        fail "unknown mode $mode"
        ;;
esac
