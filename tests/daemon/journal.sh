#!/bin/sh
# The journal under damage: a torn tail is cut back and the run goes on; a
# flipped byte in the middle stops the start with exit 76 and the offset,
# and `approvald journal verify` names the same offset.
. "$(dirname "$0")/lib.sh"

start_sandbox --seed 200
write_rules 100 8
run_once
[ "$RC" = 0 ] || fail "first --once exited $RC"
J="$T/state/journal"
size=$(stat -c %s "$J")
[ "$size" -gt 1000 ] || fail "journal too small ($size bytes)"

# torn tail: half a record's worth of bytes after the last whole one
printf '\001\002\003\004\005\006\007' >>"$J"
run_once
[ "$RC" = 0 ] || fail "--once after a torn tail exited $RC"
grep -q 'torn tail' "$T/daemon.log" || fail "the torn tail was not reported"
[ "$(stat -c %s "$J")" = "$size" ] || fail "the tail was not cut back to $size bytes"
"$APPROVALD" journal verify --state-dir "$T/state" >/dev/null || fail "verify after recovery"

# a flipped byte in the middle
mid=$((size / 2))
cp "$J" "$T/journal.good"
b=$(od -An -j "$mid" -N1 -tu1 "$J" | tr -d ' ')
printf "$(printf '\\%03o' $(( (b + 1) % 256 )))" |
    dd of="$J" bs=1 seek="$mid" count=1 conv=notrunc 2>/dev/null
run_once
[ "$RC" = 76 ] || fail "--once on a damaged journal exited $RC, not 76"
offset=$(sed -n 's/.*damaged at offset \([0-9]*\).*/\1/p' "$T/daemon.log" | tail -n 1)
[ -n "$offset" ] || fail "no offset in the message"
set +e
verify=$("$APPROVALD" journal verify --state-dir "$T/state" 2>&1)
vrc=$?
set -e
[ "$vrc" != 0 ] || fail "journal verify passed a damaged journal"
echo "$verify" | grep -q "$offset" || fail "verify ($verify) disagrees with offset $offset"
cmp -s "$J.good" "$J" 2>/dev/null || true
[ "$(stat -c %s "$J")" = "$size" ] || fail "the damaged journal was modified"
echo "ok: damage at $offset refused (76), verify agrees"
