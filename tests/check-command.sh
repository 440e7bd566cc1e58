#!/bin/sh
# check-command.sh APPROVALD SRCDIR: `approvald check` as a command: option
# errors (64), unreadable files (78), the credentials warnings, and that the
# file is left untouched.
set -u
approvald=$1
src=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0

# expect NAME STATUS STDOUT STDERR -- ARGS...: runs check with ARGS from $tmp.
expect() {
        name=$1 want_rc=$2 want_out=$3 want_err=$4
        shift 5
        (cd "$tmp" && "$approvald" check "$@" > out 2> err)
        rc=$?
        if [ "$rc" != "$want_rc" ] || [ "$(cat "$tmp/out")" != "$want_out" ] ||
           [ "$(cat "$tmp/err")" != "$want_err" ]; then
                echo "FAIL $name: exit $rc (want $want_rc)"
                echo "  stdout: $(cat "$tmp/out")"
                echo "  want:   $want_out"
                echo "  stderr: $(cat "$tmp/err")"
                echo "  want:   $want_err"
                failed=$((failed + 1))
        fi
}

cp "$src/rules-valid/minimal.yaml" "$tmp/rules.yaml"
unset CREDENTIALS_DIRECTORY

expect bad-option 64 "" "approvald check: unknown option '--bogus'; try 'approvald help check'" -- --bogus
expect no-argument 64 "" "approvald check: missing argument for '-c'; try 'approvald help check'" -- -c
expect extra-argument 64 "" "approvald check: unexpected argument 'x'" -- -c rules.yaml x
expect missing-file 78 "" "nope.yaml: cannot read: No such file or directory" -- -c nope.yaml
expect directory 78 "" ".: cannot read: Is a directory" -- -c .
expect no-credentials 0 "rules.yaml: OK: 0 rules, 0 lists, 0 credit limits" \
        "rules.yaml: warning: no credentials folder: set api.credentials_dir or \$CREDENTIALS_DIRECTORY" \
        -- -c rules.yaml
expect long-option 0 "rules.yaml: OK: 0 rules, 0 lists, 0 credit limits" \
        "rules.yaml: warning: no credentials folder: set api.credentials_dir or \$CREDENTIALS_DIRECTORY" \
        -- --config=rules.yaml

CREDENTIALS_DIRECTORY=$tmp/creds
export CREDENTIALS_DIRECTORY
expect credentials-folder-missing 0 "rules.yaml: OK: 0 rules, 0 lists, 0 credit limits" \
        "rules.yaml: warning: cannot open the credentials folder '$tmp/creds': No such file or directory" \
        -- -c rules.yaml
mkdir "$tmp/creds"
echo key > "$tmp/creds/subscription-key"
expect credentials-incomplete 0 "rules.yaml: OK: 0 rules, 0 lists, 0 credit limits" \
        "rules.yaml: warning: cannot read credential '$tmp/creds/client-id': No such file or directory
rules.yaml: warning: cannot read credential '$tmp/creds/client-secret': No such file or directory" \
        -- -c rules.yaml
echo id > "$tmp/creds/client-id"
echo secret > "$tmp/creds/client-secret"
expect credentials-complete 0 "rules.yaml: OK: 0 rules, 0 lists, 0 credit limits" "" -- -c rules.yaml

# 200,000 unclosed '[' took libyaml's scanner about a minute (time in the
# square of the depth): refused at level 65, at once.  timeout is only a
# guard against a hang, not a speed test.
{
        printf 'version: 1\nrules: '
        head -c 200000 /dev/zero | tr '\0' '['
} > "$tmp/deep.yaml"
(cd "$tmp" && timeout 10 "$approvald" check -c deep.yaml > out 2> err)
rc=$?
if [ $rc != 78 ] || [ "$(cat "$tmp/err")" != "deep.yaml:2:71: nesting deeper than 64 levels" ]; then
        echo "FAIL deep-unclosed: exit $rc (want 78; 124 is the timeout)"
        echo "  stderr: $(head -c 300 "$tmp/err")"
        failed=$((failed + 1))
fi

# The file is never modified, valid or not.
cp "$src/rules-broken/many-typos.yaml" "$tmp/broken.yaml"
before=$(cksum < "$tmp/broken.yaml")
(cd "$tmp" && "$approvald" check -c broken.yaml > /dev/null 2>&1)
[ "$(cksum < "$tmp/broken.yaml")" = "$before" ] || { echo "FAIL: broken.yaml changed"; failed=$((failed + 1)); }

echo "$failed failed"
[ $failed = 0 ]
