#!/bin/sh
# journal-cli.sh: `approvald journal dump|verify` on a good journal, a
# journal with a flipped byte mid-file (exit 76 naming the record's offset),
# a torn tail (verify reports it, a reopen cuts it), a crafted journal
# (damage, fast), journals that are not regular files, the default folder,
# and usage errors (64).
#   journal-cli.sh APPROVALD JOURNAL_WRITE
set -u
approvald=$1
jwrite=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

expect_rc() { # WANT CMD...
        want=$1; shift
        "$@" >"$dir/out" 2>"$dir/err"
        rc=$?
        [ "$rc" -eq "$want" ] || { cat "$dir/out" "$dir/err" >&2; fail "$* exited $rc, want $want"; }
}

state="$dir/state"
mkdir "$state"
"$jwrite" "$state" 10 2>/dev/null || fail "journal-write"

expect_rc 0 "$approvald" journal verify --state-dir "$state"
size=$(wc -c <"$state/journal")
grep -qx "journal: OK: 10 records, $size bytes" "$dir/out" || fail "verify said: $(cat "$dir/out")"

expect_rc 0 env STATE_DIRECTORY="$state" "$approvald" journal dump
[ "$(wc -l <"$dir/out")" -eq 10 ] || fail "dump printed $(wc -l <"$dir/out") lines"
cp "$dir/out" "$dir/dump"
if command -v jq >/dev/null; then
        jq -e -s 'length == 10 and .[0].type == "intent" and .[0].order_id == "ORD-0"
                  and .[0].rule == "small-orders" and .[2].rule == null
                  and .[1].type == "outcome" and .[1].http_status == 200
                  and .[0].reason == "line one\nline \"two\"" and .[9].seq == 10
                  and .[2].customer_id == "C\ufffd\u00e9"' \
                "$dir/dump" >/dev/null || fail "dump fields: $(head -2 "$dir/dump")"
else
        echo "jq not installed: dump fields not checked, line count only"
fi

# Bytes that are not UTF-8 come out as U+FFFD, never raw.
ff=$(printf '\377')
LC_ALL=C grep -q "$ff" "$dir/dump" && fail "raw 0xff byte in the dump"
want=$(printf '"customer_id":"C\357\277\275\303\251"')
grep -qF "$want" "$dir/dump" || fail "no U+FFFD in the dump"

# Flip one payload byte of the 5th record: verify and dump name its offset.
off=$(sed -n 5p "$dir/dump" | sed 's/^{"offset":\([0-9]*\),.*/\1/')
[ -n "$off" ] || fail "no offset in dump"
cp "$state/journal" "$dir/good"
printf 'X' | dd of="$state/journal" bs=1 seek=$((off + 30)) conv=notrunc 2>/dev/null
expect_rc 76 "$approvald" journal verify --state-dir "$state"
grep -qx "journal: bad record at offset $off" "$dir/err" || fail "verify said: $(cat "$dir/err")"
expect_rc 76 "$approvald" journal dump --state-dir "$state"
[ "$(wc -l <"$dir/out")" -eq 4 ] || fail "dump before the bad record: $(wc -l <"$dir/out") lines"
grep -qx "journal: bad record at offset $off" "$dir/err" || fail "dump said: $(cat "$dir/err")"
# The daemon's open refuses too and leaves the file alone.
expect_rc 1 "$jwrite" "$state" 1
cmp -s "$state/journal" "$dir/good" && fail "flipped byte not in the file"

# A torn tail: verify reports it; opening for writing cuts it.
cp "$dir/good" "$state/journal"
last=$(sed -n 10p "$dir/dump" | sed 's/^{"offset":\([0-9]*\),.*/\1/')
truncate -s $((last + 7)) "$state/journal"
expect_rc 76 "$approvald" journal verify --state-dir "$state"
grep -qx "journal: bad record at offset $last" "$dir/err" || fail "verify said: $(cat "$dir/err")"
expect_rc 0 "$jwrite" "$state" 0
expect_rc 0 "$approvald" journal verify --state-dir "$state"
grep -qx "journal: OK: 9 records, $last bytes" "$dir/out" || fail "after recovery: $(cat "$dir/out")"

# A crafted journal: a bad record at offset 32, then 4 MiB of a pattern
# that looks like record headers of the largest length at every 8th byte.
# Not a tail a crash leaves: damage at 32, found at once (timeout: a guard
# against the old quadratic probe), and an open for writing leaves it be.
head -c 32 "$dir/good" >"$dir/crafted"
printf 'not a record at all!' >>"$dir/crafted"
printf '\000\000\001\000\001\000\000\000' >"$dir/pat"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19; do
        cat "$dir/pat" "$dir/pat" >"$dir/pat2" && mv "$dir/pat2" "$dir/pat"
done
cat "$dir/pat" >>"$dir/crafted"
cp "$dir/crafted" "$state/journal"
expect_rc 76 timeout 10 "$approvald" journal verify --state-dir "$state"
grep -qx "journal: bad record at offset 32" "$dir/err" || fail "crafted: verify said: $(cat "$dir/err")"
expect_rc 1 timeout 10 "$jwrite" "$state" 0
cmp -s "$state/journal" "$dir/crafted" || fail "opening the crafted journal changed it"

# Usage errors.
expect_rc 64 "$approvald" journal
expect_rc 64 "$approvald" journal frob --state-dir "$state"
expect_rc 64 "$approvald" journal verify --frob --state-dir "$state"
expect_rc 64 "$approvald" journal verify dump --state-dir "$state"
# With neither --state-dir nor $STATE_DIRECTORY: the packaged folder.
env -u STATE_DIRECTORY "$approvald" journal verify >"$dir/out" 2>"$dir/err"
rc=$?
if [ -d /var/lib/approvald ]; then
        echo "/var/lib/approvald exists here: default folder checked by its use only"
        [ "$rc" -ne 64 ] || fail "no default state folder: $(cat "$dir/err")"
else
        [ "$rc" -eq 66 ] || fail "default state folder: exit $rc, want 66"
        grep -qx "journal: no state folder '/var/lib/approvald' (pass --state-dir DIR)" "$dir/err" ||
                fail "default state folder: $(cat "$dir/err")"
fi

# Not a regular file: refused at once (timeout: a FIFO used to hang), naming
# the path and what it is.
s2="$dir/odd"
mkdir "$s2"
mkfifo "$s2/journal"
for cmd in verify dump; do
        expect_rc 66 timeout 10 "$approvald" journal $cmd --state-dir "$s2"
        grep -qx "journal: $s2/journal is a FIFO, not a regular file" "$dir/err" ||
                fail "FIFO journal, $cmd said: $(cat "$dir/err")"
done
rm "$s2/journal"
mkdir "$s2/journal"
expect_rc 66 "$approvald" journal verify --state-dir "$s2"
grep -qx "journal: $s2/journal is a directory, not a regular file" "$dir/err" ||
        fail "directory journal: $(cat "$dir/err")"
rmdir "$s2/journal"
ln -s "$state/journal" "$s2/journal"
expect_rc 66 "$approvald" journal verify --state-dir "$s2"
grep -qx "journal: $s2/journal is a symbolic link, not a regular file" "$dir/err" ||
        fail "symlinked journal: $(cat "$dir/err")"
expect_rc 66 "$approvald" journal verify --state-dir "$dir/nonexistent"
grep -qx "journal: no state folder '$dir/nonexistent' (pass --state-dir DIR)" "$dir/err" ||
        fail "missing folder: $(cat "$dir/err")"
rm "$state/journal"
expect_rc 66 "$approvald" journal verify --state-dir "$state"
grep -qx "journal: no journal in '$state'" "$dir/err" || fail "missing journal: $(cat "$dir/err")"
echo "journal-cli: all passed"
