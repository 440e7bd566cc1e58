#!/bin/sh
# journal-faults.sh: the journal under injected I/O faults (the faultfs
# LD_PRELOAD shim, tests/faults/faultfs.c), through journal-write, which
# calls journal_open/append/sync as the daemon does:
#  - fdatasync failing at open: journal_open fails, the file is untouched;
#  - write EIO / ENOSPC mid-run: the failed record is cut off again, the
#    file verifies with exactly the records before it;
#  - short writes: continued, the file is identical to an unfaulted one;
#  - a short write then ENOSPC: the partial record is cut off again.
#   journal-faults.sh APPROVALD JOURNAL_WRITE LIBFAULTFS
set -u
approvald=$1
jwrite=$2
shim=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# An ASan build wants its runtime first; the shim comes first here.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

# faulty VAR=VALUE... CMD...: CMD under the shim with the given faults
faulty() {
        env LD_PRELOAD="$shim" "$@"
}

records() { # DIR: the record count journal verify reports
        "$approvald" journal verify --state-dir "$1" | sed -n 's/^journal: OK: \([0-9]*\) records.*/\1/p'
}

# 1. fdatasync fails from its first call: journal_open itself must fail,
#    before anything read at start can be acted on (issue 14, item 2).
s="$dir/open"
mkdir "$s"
"$jwrite" "$s" 6 2>/dev/null || fail "journal-write"
cp "$s/journal" "$dir/open.before"
faulty FAULT_FDATASYNC_FROM=1 "$jwrite" "$s" 0 2>"$dir/err" && fail "journal-write succeeded with fdatasync failing"
grep -q 'faultfs: fdatasync #1' "$dir/err" || fail "the fault did not happen: $(cat "$dir/err")"
grep -q 'journal-write: open: Input/output error' "$dir/err" ||
        fail "journal_open did not fail on the sync: $(cat "$dir/err")"
cmp -s "$s/journal" "$dir/open.before" || fail "a failed open changed the journal"

# 2. write() fails with EIO, then ENOSPC, from the 4th write on: 3 records
#    (after the file header, written at creation: write #1) stay.
for e in EIO ENOSPC; do
        s="$dir/w$e"
        mkdir "$s"
        "$jwrite" "$s" 0 2>/dev/null || fail "journal-write"
        faulty FAULT_WRITE_${e}_FROM=4 "$jwrite" "$s" 10 2>"$dir/err" && fail "no $e reported"
        grep -q "faultfs: write #4" "$dir/err" || fail "the $e fault did not happen: $(cat "$dir/err")"
        n=$(records "$s")
        [ "$n" = 3 ] || fail "after $e on write #4: $n records verify, want 3"
        "$jwrite" "$s" 2 2>/dev/null || fail "no append after the $e"
        [ "$(records "$s")" = 5 ] || fail "appends after $e: $(records "$s") records"
done

# 3. Every write short: the writer continues, the file is byte for byte
#    what it is without faults.
mkdir "$dir/short" "$dir/plain"
faulty FAULT_WRITE_SHORT=1 "$jwrite" "$dir/short" 20 2>"$dir/err" || fail "short writes: $(cat "$dir/err")"
grep -q 'short write' "$dir/err" || fail "no short write happened"
"$jwrite" "$dir/plain" 20 2>/dev/null || fail "journal-write"
cmp -s "$dir/short/journal" "$dir/plain/journal" || fail "short writes changed the file"

# 4. A short write, then ENOSPC on its continuation: the part of the record
#    written is cut off again (the journal exists, so write #1 is the first
#    record's: half of it, #2 a quarter, #3 fails).
s="$dir/torn"
mkdir "$s"
"$jwrite" "$s" 4 2>/dev/null || fail "journal-write"
faulty FAULT_WRITE_SHORT=1 FAULT_WRITE_ENOSPC_FROM=3 "$jwrite" "$s" 4 2>"$dir/err" &&
        fail "no ENOSPC reported"
grep -q 'No space left' "$dir/err" || fail "journal-write said: $(cat "$dir/err")"
n=$(records "$s")
[ "$n" = 4 ] || fail "after a short write and ENOSPC: $n records verify, want 4"
echo "journal-faults: all passed"
