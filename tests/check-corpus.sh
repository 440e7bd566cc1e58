#!/bin/sh
# check-corpus.sh APPROVALD DIR: runs `approvald check -c NAME.yaml` from
# inside DIR (so messages name the file as given) for every NAME.yaml.
#  - in rules-broken/: stderr must equal NAME.expected exactly, stdout be
#    empty, and the exit status be 78 (EX_CONFIG);
#  - in rules-valid/: stdout must equal NAME.expected, stderr be empty (a
#    complete credentials folder is provided) and the exit status be 0.
set -u
approvald=$1
dir=$2
valid=0
case $dir in *rules-valid*) valid=1 ;; esac

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/credentials"
for f in subscription-key client-id client-secret; do
        echo secret > "$tmp/credentials/$f"
done
chmod 600 "$tmp/credentials/"*  # secrets others may read are a warning
CREDENTIALS_DIRECTORY=$tmp/credentials
export CREDENTIALS_DIRECTORY

cd "$dir" || exit 1
failed=0
count=0
for yaml in *.yaml; do
        name=${yaml%.yaml}
        count=$((count + 1))
        if [ ! -f "$name.expected" ]; then
                echo "FAIL $yaml: no $name.expected"
                failed=$((failed + 1))
                continue
        fi
        "$approvald" check -c "$yaml" > "$tmp/out" 2> "$tmp/err"
        rc=$?
        if [ $valid = 1 ]; then
                want_rc=0 got=$tmp/out quiet=$tmp/err
        else
                want_rc=78 got=$tmp/err quiet=$tmp/out
        fi
        if [ $rc != $want_rc ]; then
                echo "FAIL $yaml: exit status $rc, expected $want_rc"
                cat "$tmp/err"
                failed=$((failed + 1))
        elif ! diff -u "$name.expected" "$got"; then
                echo "FAIL $yaml: output differs (above)"
                failed=$((failed + 1))
        elif [ -s "$quiet" ]; then
                echo "FAIL $yaml: unexpected output:"
                cat "$quiet"
                failed=$((failed + 1))
        fi
done
echo "$count files, $failed failed"
[ $count -gt 0 ] && [ $failed = 0 ]
