#!/bin/sh
# check-command.sh APPROVALD SRCDIR: `approvald check` as a command: option
# errors (64), unreadable files (78), FIFOs refused at once, the credentials
# warnings, --for-service, and that the file is left untouched.
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
expect directory 78 "" ".: cannot read: it is a directory, not a regular file" -- -c .
nocreds="rules.yaml: warning: no credentials folder to check: the service gets one from LoadCredential= (\$CREDENTIALS_DIRECTORY); set that variable to check the files"
expect no-credentials 0 "rules.yaml: OK: 0 rules, 0 lists, 0 credit limits" "$nocreds" -- -c rules.yaml
expect long-option 0 "rules.yaml: OK: 0 rules, 0 lists, 0 credit limits" "$nocreds" -- --config=rules.yaml

CREDENTIALS_DIRECTORY=$tmp/creds
export CREDENTIALS_DIRECTORY
expect credentials-folder-missing 0 "rules.yaml: OK: 0 rules, 0 lists, 0 credit limits" \
        "rules.yaml: warning: cannot open the credentials folder '$tmp/creds': No such file or directory" \
        -- -c rules.yaml
mkdir "$tmp/creds"
echo key > "$tmp/creds/subscription-key"
chmod 600 "$tmp/creds/subscription-key"
expect credentials-incomplete 0 "rules.yaml: OK: 0 rules, 0 lists, 0 credit limits" \
        "rules.yaml: warning: cannot read credential file $tmp/creds/client-id: No such file or directory
rules.yaml: warning: cannot read credential file $tmp/creds/client-secret: No such file or directory" \
        -- -c rules.yaml
echo id > "$tmp/creds/client-id"
echo secret > "$tmp/creds/client-secret"
chmod 600 "$tmp/creds/"*
expect credentials-complete 0 "rules.yaml: OK: 0 rules, 0 lists, 0 credit limits" "" -- -c rules.yaml

# A notify header's value is a file in the same folder: checked alike.
cp "$tmp/rules.yaml" "$tmp/notify.yaml"
printf 'notify:\n  targets:\n    - {url: "https://hooks.example/x", events: [hold], headers: {Authorization: ops-token}}\n' \
        >> "$tmp/notify.yaml"
expect notify-header-missing 0 "notify.yaml: OK: 0 rules, 0 lists, 0 credit limits, 1 notify target" \
        "notify.yaml: warning: cannot read credential file $tmp/creds/ops-token: No such file or directory" \
        -- -c notify.yaml
echo token > "$tmp/creds/ops-token"
chmod 644 "$tmp/creds/ops-token"
expect notify-header-readable 0 "notify.yaml: OK: 0 rules, 0 lists, 0 credit limits, 1 notify target" \
        "notify.yaml: warning: $tmp/creds/ops-token is readable by others; chmod 600" -- -c notify.yaml
rm "$tmp/creds/ops-token"

# Credential files the daemon would refuse, named, and never waited on.
chmod 644 "$tmp/creds/client-secret"
expect credentials-readable-by-others 0 "rules.yaml: OK: 0 rules, 0 lists, 0 credit limits" \
        "rules.yaml: warning: $tmp/creds/client-secret is readable by others; chmod 600" -- -c rules.yaml
chmod 640 "$tmp/creds/client-secret"
expect credentials-readable-by-group 0 "rules.yaml: OK: 0 rules, 0 lists, 0 credit limits" \
        "rules.yaml: warning: $tmp/creds/client-secret is readable by its group; chmod 600" -- -c rules.yaml
chmod 600 "$tmp/creds/client-secret"
mv "$tmp/creds/client-id" "$tmp/client-id"
mkfifo "$tmp/creds/client-id"
head -c 5000 /dev/zero | tr '\0' x > "$tmp/creds/client-secret"
rm "$tmp/creds/subscription-key"
mkdir "$tmp/creds/subscription-key"
(cd "$tmp" && timeout 10 "$approvald" check -c rules.yaml > out 2> err)
rc=$?
want="rules.yaml: warning: credential file $tmp/creds/subscription-key is a directory, not a regular file
rules.yaml: warning: credential file $tmp/creds/client-id is a FIFO, not a regular file
rules.yaml: warning: credential file $tmp/creds/client-secret is larger than 4096 bytes"
if [ $rc != 0 ] || [ "$(cat "$tmp/err")" != "$want" ]; then
        echo "FAIL credentials-unusable: exit $rc (want 0; 124 is the timeout)"
        echo "  stderr: $(cat "$tmp/err")"
        echo "  want:   $want"
        failed=$((failed + 1))
fi
rm -r "$tmp/creds/subscription-key" "$tmp/creds/client-id"
echo key > "$tmp/creds/subscription-key"
mv "$tmp/client-id" "$tmp/creds/client-id"
echo secret > "$tmp/creds/client-secret"
chmod 600 "$tmp/creds/"*

# A rules file or a list file that is a FIFO is refused at once, by name.
mkfifo "$tmp/fifo.yaml" "$tmp/list.fifo"
(cd "$tmp" && timeout 10 "$approvald" check -c fifo.yaml > out 2> err)
rc=$?
if [ $rc != 78 ] || [ "$(cat "$tmp/err")" != "fifo.yaml: cannot read: it is a FIFO, not a regular file" ]; then
        echo "FAIL rules-fifo: exit $rc (want 78; 124 is the timeout): $(cat "$tmp/err")"
        failed=$((failed + 1))
fi
{
        cat "$src/rules-valid/minimal.yaml"
        printf 'lists:\n  fifo: {file: list.fifo}\n'
} > "$tmp/list-fifo.yaml"
(cd "$tmp" && timeout 10 "$approvald" check -c list-fifo.yaml > out 2> err)
rc=$?
if [ $rc != 78 ] || [ "$(cat "$tmp/err")" != "list-fifo.yaml:8:16: list file 'list.fifo' is a FIFO, not a regular file" ]; then
        echo "FAIL list-fifo: exit $rc (want 78; 124 is the timeout): $(cat "$tmp/err")"
        failed=$((failed + 1))
fi

# ca_file must be a regular file that can be read.
sed 's#^  token_url:.*#&\n  ca_file: .#' "$src/rules-valid/minimal.yaml" > "$tmp/ca-dir.yaml"
expect ca-file-directory 78 "" "ca-dir.yaml:6:12: ca_file '.' is a directory, not a regular file" -- -c ca-dir.yaml

# --for-service: as the service's DynamicUser, which reads only what others
# may read.  The scratch folder is 0700: open it to others first.
chmod 755 "$tmp"
mkdir "$tmp/svc"
printf 'CUS-1\n' > "$tmp/svc/list.txt"
{
        sed "s#^  token_url:.*#&\\n  credentials_dir: $tmp/svc/creds#" "$src/rules-valid/minimal.yaml"
        printf 'lists:\n  blocked: {file: list.txt}\n'
} > "$tmp/svc/rules.yaml"
mkdir "$tmp/svc/creds"
for f in subscription-key client-id client-secret; do echo x > "$tmp/svc/creds/$f"; done
chmod 600 "$tmp/svc/creds/"*
chmod 644 "$tmp/svc/rules.yaml" "$tmp/svc/list.txt"
ok_svc="svc/rules.yaml: OK: 0 rules, 1 list, 0 credit limits"
expect service-as-root 0 "$ok_svc" "" -- -c svc/rules.yaml
closed="is closed to others, and the service runs as a DynamicUser; leave api.credentials_dir unset and pass the file with LoadCredential= (the unit does)"
expect service-credentials-dir 0 "$ok_svc" \
        "svc/rules.yaml: warning: the service cannot read $tmp/svc/creds/subscription-key: '$tmp/svc/creds/subscription-key' $closed
svc/rules.yaml: warning: the service cannot read $tmp/svc/creds/client-id: '$tmp/svc/creds/client-id' $closed
svc/rules.yaml: warning: the service cannot read $tmp/svc/creds/client-secret: '$tmp/svc/creds/client-secret' $closed" \
        -- -c svc/rules.yaml --for-service
sed -i '/credentials_dir/d' "$tmp/svc/rules.yaml"
unset CREDENTIALS_DIRECTORY
expect service-load-credential 0 "$ok_svc" \
        "svc/rules.yaml: note: credentials not checked: the service gets them from the unit's LoadCredential= as \$CREDENTIALS_DIRECTORY, which is not set here" \
        -- -c svc/rules.yaml --for-service
CREDENTIALS_DIRECTORY=$tmp/creds
export CREDENTIALS_DIRECTORY
expect service-ok 0 "$ok_svc" "" -- -c svc/rules.yaml --for-service
chmod 600 "$tmp/svc/list.txt"
expect service-list-file 78 "" \
        "svc/rules.yaml:8:19: the service cannot read list file 'list.txt': '$tmp/svc/list.txt' is closed to others, and the service runs as a DynamicUser (chmod o+r)" \
        -- -c svc/rules.yaml --for-service
expect service-list-file-as-root 0 "$ok_svc" "" -- -c svc/rules.yaml
chmod 644 "$tmp/svc/list.txt"
chmod 711 "$tmp/svc"
expect service-folder-searchable 0 "$ok_svc" "" -- -c svc/rules.yaml --for-service
chmod 700 "$tmp/svc"
expect service-folder-closed 78 "" \
        "svc/rules.yaml: the service cannot read it: '$tmp/svc' is closed to others, and the service runs as a DynamicUser (chmod o+x on that folder)" \
        -- -c svc/rules.yaml --for-service
chmod 755 "$tmp/svc"
chmod 600 "$tmp/svc/rules.yaml"
expect service-rules-file 78 "" \
        "svc/rules.yaml: the service cannot read it: '$tmp/svc/rules.yaml' is closed to others, and the service runs as a DynamicUser (chmod o+r)" \
        -- -c svc/rules.yaml --for-service

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
