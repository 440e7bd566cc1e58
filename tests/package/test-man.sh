#!/bin/sh
# Checks of the man pages (docs/man, mdoc):
#   lint     MANDIR                   mandoc -Tlint reports no warning or error
#   options  MANDIR APPROVALD SANDBOX every command `approvald help` lists, and
#            every option `approvald help CMD` prints, is in approvald.8 (each
#            option as an item of that command's subsection); every option
#            of `appxite-sandbox --help` is an item of appxite-sandbox.1
#   keys     MANDIR CONFIG_C          every key of src/config.c's tables, and
#            every api.fields name, is in approvald-rules.yaml.5
# The lists come from the built programs and the source, so that a new
# option or key fails here until it is documented.
set -eu
mode=$1 man=$2

fail=0
missing() {
        echo "MISSING: $*"
        fail=$((fail + 1))
}

# section FILE NAME: the lines of section or subsection NAME (.Sh or .Ss),
# to the next one.
section() {
        awk -v name="$2" '/^\.S[sh] / { on = (substr($0, 5) == name); next } on' "$1"
}

# has_flag FILE OPTION: OPTION is written as a flag, .Fl -config or .Fl c,
# somewhere in FILE.  has_item FILE OPTION: it heads an item of a list
# (.It Fl c , Fl -config Ar file), where an option is explained.
has_flag() {
        grep -Eq "(^\.| )Fl ${2#-}( |$)" "$1"
}
has_item() {
        grep -Eq "^\.It (.* )?Fl ${2#-}( |$)" "$1"
}

case $mode in
lint)
        command -v mandoc >/dev/null 2>&1 || { echo "SKIP: mandoc is not installed (tests/install-deps.sh installs it)"; exit 77; }
        n=0
        for page in "$man"/*.[1-8]; do
                # -W warning: every message of level warning and above;
                # mandoc's "outdated mandoc.db" notes are about this
                # machine, not the page.
                out=$(mandoc -Tlint -W warning "$page" 2>&1 | grep -v 'outdated mandoc.db' || true)
                if [ -n "$out" ]; then
                        echo "$out"
                        fail=$((fail + 1))
                fi
                n=$((n + 1))
        done
        [ "$n" -ge 3 ] || { echo "FAIL: only $n man pages in $man"; exit 1; }
        [ "$fail" = 0 ] || { echo "FAIL: $fail pages with lint warnings"; exit 1; }
        echo "man-lint: $n pages, no warnings"
        ;;
options)
        approvald=$3 sandbox=$4
        page=$man/approvald.8
        tmp=$(mktemp -d)
        trap 'rm -rf "$tmp"' EXIT
        "$approvald" help >"$tmp/help"
        commands=$(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$tmp/help")
        [ -n "$commands" ] || { echo "FAIL: no commands in 'approvald help'"; exit 1; }
        section "$page" SYNOPSIS >"$tmp/synopsis"
        for o in $(sed -n 's/^options: //p' "$tmp/help" | tr ',' ' '); do
                has_flag "$tmp/synopsis" "$o" || missing "approvald $o (not in SYNOPSIS)"
        done
        total=0
        for c in $commands; do
                grep -Eq "^\.Cm $c( |$)" "$tmp/synopsis" || missing "command $c (not in SYNOPSIS)"
                total=$((total + 1))
                [ "$c" = help ] && continue
                section "$page" "$c" >"$tmp/section"
                [ -s "$tmp/section" ] || { missing "command $c (no .Ss $c)"; continue; }
                "$approvald" help "$c" >"$tmp/cmd"
                # Options: "-c, --config FILE" and "--once" at a line's
                # start, and [--json] in the usage line.
                opts=$(grep -oE '(^|[[ ,])--?[a-zA-Z][a-zA-Z0-9-]*' "$tmp/cmd" |
                        sed 's/^[[ ,]*//' | sort -u)
                # Subcommands: "dump|verify" in the usage line.
                subs=$(head -1 "$tmp/cmd" | grep -oE '(^| )[a-z]+(\|[a-z]+)+( |$)' | tr '|' ' ' || true)
                for o in $opts; do
                        has_item "$tmp/section" "$o" || missing "approvald $c $o (not an item of .Ss $c)"
                        total=$((total + 1))
                done
                for s in $subs; do
                        grep -Eq "(^\.| )Cm $s( |$)" "$tmp/section" ||
                                missing "approvald $c $s (not in .Ss $c)"
                        total=$((total + 1))
                done
        done
        if [ -n "$sandbox" ]; then
                opts=$("$sandbox" --help | grep -oE '^ *--?[a-zA-Z][a-zA-Z0-9-]*(, --?[a-zA-Z][a-zA-Z0-9-]*)?' |
                        tr ',' '\n' | tr -d ' ' | sort -u)
                [ -n "$opts" ] || { echo "FAIL: no options in 'appxite-sandbox --help'"; exit 1; }
                for o in $opts; do
                        has_item "$man/appxite-sandbox.1" "$o" || missing "appxite-sandbox $o (not an item)"
                        total=$((total + 1))
                done
        fi
        [ "$fail" = 0 ] || { echo "FAIL: $fail of $total commands and options are not documented"; exit 1; }
        echo "man-options: all $total commands and options are documented"
        ;;
keys)
        config_c=$3
        page=$man/approvald-rules.yaml.5
        keys=$(sed -n 's/.*\.key = "\([a-z_]*\)".*/\1/p' "$config_c" | sort -u)
        fields=$(sed -n '/order_field_names\[/,/^};/s/.*\] = "\([a-z_]*\)".*/\1/p' "$config_c")
        [ -n "$keys" ] && [ -n "$fields" ] || { echo "FAIL: no keys found in $config_c"; exit 1; }
        total=0
        for k in $keys $fields; do
                grep -Eq "(^\.| )Cm $k( |$)" "$page" || missing "key $k"
                total=$((total + 1))
        done
        [ "$fail" = 0 ] || { echo "FAIL: $fail of $total keys are not documented"; exit 1; }
        echo "man-keys: all $total keys and fields are documented"
        ;;
*)
        echo "usage: test-man.sh lint|options|keys MANDIR ..." >&2
        exit 64
        ;;
esac
