#!/bin/sh
# Checks of the service files that need no running systemd:
#   verify     systemd-analyze verify is silent on the installed units
#   security   systemd-analyze security --offline scores 2.0 or lower, for
#              approvald.service and approvald@.service alike
#   catalog    the catalog compiles and explains every MESSAGE_ID in log.h
#   install    cmake --install puts every file in place (the units under the
#              prefix, the sandbox only on request), and a second install
#              never overwrites the seller's rules
#   uninstall  the uninstall target removes every installed file but the
#              configuration the seller changed, and says so
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
        # installed tree, and check the rest of the units as installed.
        # (--root would also hide the host's targets and /bin/kill.)  The
        # template is checked through an instance of it.
        mkdir "$tmp/unit"
        for u in approvald.service approvald@.service; do
                sed "s|^Exec\([A-Za-z]*\)=$APPROVALD_BINDIR/|Exec\1=$tmp/root$APPROVALD_BINDIR/|" \
                        "$tmp/root$APPROVALD_UNITDIR/$u" >"$tmp/unit/$u"
                grep -q "^ExecStart=$tmp/root" "$tmp/unit/$u" || fail "$u: ExecStart is not in $APPROVALD_BINDIR"
        done
        for u in approvald.service approvald@x.service; do
                out=$(systemd-analyze verify --man=no "$tmp/unit/$u" 2>&1) ||
                        { echo "$out"; fail "systemd-analyze verify $u exited non-zero"; }
                [ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify $u is not clean"; }
        done
        echo "verify: clean"
        ;;
security)
        need systemd-analyze
        install_build
        # The units as they stand in the source tree, and as installed.
        for u in "$src/systemd/approvald.service" "$unit" \
                "$src/systemd/approvald@.service" "$tmp/root$APPROVALD_UNITDIR/approvald@.service"; do
                out=$(systemd-analyze security --offline=true --threshold=20 "$u" 2>&1) ||
                        { echo "$out"; fail "$u: exposure above 2.0"; }
                line=$(echo "$out" | grep 'Overall exposure level') || fail "no score in: $out"
                echo "$u: $line"
                echo "$line" | grep -q ' OK ' || fail "$u: score not OK"
        done
        # An instance is sandboxed exactly as the single service: the two
        # units differ only in their paths and names.
        strip() {
                grep -v '^#' "$1" | sed -e 's|/%i||g; s|approvald@|approvald|; s| for %i||' | grep .
        }
        strip "$src/systemd/approvald@.service" >"$tmp/template"
        strip "$src/systemd/approvald.service" >"$tmp/single"
        diff "$tmp/single" "$tmp/template" || fail "approvald@.service differs from approvald.service"
        echo "approvald@.service: the same settings as approvald.service, per instance"
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
                "$APPROVALD_UNITDIR/approvald@.service" \
                "$APPROVALD_CATALOGDIR/approvald.catalog" "$APPROVALD_CONFDIR/rules.yaml" \
                "$APPROVALD_DOCDIR/install.md" "$APPROVALD_DOCDIR/examples/rules.yaml" \
                "$APPROVALD_DOCDIR/examples/blocked-customers.txt" \
                "$APPROVALD_MANDIR/man8/approvald.8" "$APPROVALD_MANDIR/man5/approvald-rules.yaml.5" \
                "$APPROVALD_COMPLETIONSDIR/approvald"; do
                [ -f "$tmp/root$f" ] || fail "not installed: $f"
        done
        # /usr is the package manager's: any other prefix keeps the units,
        # the catalog and the completion under itself.
        if [ "$APPROVALD_PREFIX" != /usr ]; then
                for d in "$APPROVALD_UNITDIR" "$APPROVALD_CATALOGDIR" "$APPROVALD_COMPLETIONSDIR"; do
                        case $d in "$APPROVALD_PREFIX"/*) ;; *) fail "$d is outside the prefix $APPROVALD_PREFIX" ;; esac
                done
        fi
        # The sandbox is a test server: installed only on request.
        if [ "$APPROVALD_INSTALL_SANDBOX" = ON ]; then
                [ -f "$tmp/root$APPROVALD_BINDIR/appxite-sandbox" ] || fail "appxite-sandbox not installed"
                [ -f "$tmp/root$APPROVALD_MANDIR/man1/appxite-sandbox.1" ] || fail "appxite-sandbox.1 not installed"
        else
                [ ! -e "$tmp/root$APPROVALD_BINDIR/appxite-sandbox" ] ||
                        fail "appxite-sandbox installed without APPROVALD_INSTALL_SANDBOX"
        fi
        cmp -s "$src/conf/rules.yaml" "$tmp/root$APPROVALD_DOCDIR/examples/rules.yaml" ||
                fail "the example in the doc folder is not conf/rules.yaml"
        [ -d "$tmp/root$APPROVALD_CONFDIR/credentials" ] || fail "no credentials folder"
        perm=$(stat -c %a "$tmp/root$APPROVALD_CONFDIR")
        [ "$perm" = 755 ] || fail "$APPROVALD_CONFDIR has mode $perm, not 755"
        perm=$(stat -c %a "$tmp/root$APPROVALD_CONFDIR/credentials")
        [ "$perm" = 700 ] || fail "credentials folder has mode $perm, not 700"
        grep -qx "ExecStart=$APPROVALD_BINDIR/approvald run -c $APPROVALD_CONFDIR/rules.yaml" "$unit" ||
                fail "ExecStart does not follow the install paths: $(grep ExecStart= "$unit")"
        grep -qx "ExecReload=$APPROVALD_BINDIR/approvald check -c $APPROVALD_CONFDIR/rules.yaml" "$unit" ||
                fail "ExecReload does not check the rules first: $(grep ExecReload= "$unit")"
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
uninstall)
        need find
        uninstall() {
                DESTDIR="$tmp/root" cmake --build "$build" --target uninstall >"$tmp/uninstall.log" 2>&1 ||
                        { cat "$tmp/uninstall.log"; fail "the uninstall target failed"; }
        }
        # Untouched install: nothing of it is left, and each file is named.
        install_build
        n=$(grep -c . "$build/install_manifest.txt")
        uninstall
        left=$(find "$tmp/root" -type f)
        [ -z "$left" ] || fail "left behind after uninstall: $left"
        for d in "$APPROVALD_DOCDIR" "$APPROVALD_CONFDIR"; do
                [ ! -e "$tmp/root$d" ] || fail "$d left behind"
        done
        m=$(grep -c -- '-- Removed: .*[^/]$' "$tmp/uninstall.log")
        [ "$m" = "$n" ] || fail "uninstall named $m removed files, the manifest lists $n"
        echo "uninstall: all $n files of the manifest removed, each named"
        # The seller's edited rules and credentials stay, and are named.
        install_build
        echo "# edited by the seller" >>"$tmp/root$APPROVALD_CONFDIR/rules.yaml"
        echo secret >"$tmp/root$APPROVALD_CONFDIR/credentials/client-secret"
        uninstall
        left=$(cd "$tmp/root" && find . -type f | sort | tr '\n' ' ')
        [ "$left" = ".$APPROVALD_CONFDIR/credentials/client-secret .$APPROVALD_CONFDIR/rules.yaml " ] ||
                fail "after uninstall of an edited install, left: $left"
        grep -q "Kept .*: $tmp/root$APPROVALD_CONFDIR/rules.yaml$" "$tmp/uninstall.log" ||
                { cat "$tmp/uninstall.log"; fail "uninstall does not say it kept rules.yaml"; }
        grep -q "Kept .*: $tmp/root$APPROVALD_CONFDIR/credentials/ (not empty)" "$tmp/uninstall.log" ||
                { cat "$tmp/uninstall.log"; fail "uninstall does not say it kept the credentials"; }
        echo "uninstall: an edited rules.yaml and the credentials are kept, and named"
        ;;
*)
        fail "unknown mode $mode"
        ;;
esac
