#!/bin/sh
# Logs under the real systemd-journald (see the guide on systemd in tests):
# in a private mount namespace with its own /run, journald is started by
# hand; approvald sends its structured entries there, and
# `journalctl -D ... ORDER_ID=<id> -o json` finds the decision with its fields.
. "$(dirname "$0")/lib.sh"

JOURNALD=/lib/systemd/systemd-journald
[ -x "$JOURNALD" ] || { echo "SKIP: $JOURNALD is not installed"; exit 77; }
if ! unshare --mount --propagation private true 2>/dev/null; then
    echo "SKIP: this machine does not allow mount namespaces (unshare --mount failed)"
    exit 77
fi

start_sandbox --seed 20
write_rules 100 8
cat >"$T/inner.sh" <<INNER
set -eu
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/journal /run/log/journal
$JOURNALD &
J=\$!
i=0
while [ ! -S /run/systemd/journal/socket ]; do
    i=\$((i + 1)); [ \$i -lt 100 ] || { echo "journald did not start"; exit 1; }
    sleep 0.05
done
rc=0
JOURNAL_STREAM= "$APPROVALD" run -c "$T/rules.yaml" --once --state-dir "$T/state" 2>"$T/daemon.log" || rc=\$?
sleep 0.5
journalctl -D /run/log/journal --no-pager -o json ORDER_ID=ORD-000001 >"$T/entries.json" || true
journalctl -D /run/log/journal --no-pager -o json MESSAGE_ID=d247f2cd64ce466698b1663ca6d4ff56 >"$T/decisions.json" || true
kill \$J
exit \$rc
INNER
set +e
timeout 60 unshare --mount --propagation private sh "$T/inner.sh"
rc=$?
set -e
[ "$rc" = 0 ] || fail "approvald --once under journald exited $rc"
python3 - "$T/entries.json" "$T/decisions.json" <<'PY' || fail "structured entries"
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
decisions = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert entries, "journalctl found no entry with ORDER_ID=ORD-000001"
d = [e for e in entries if e.get("MESSAGE_ID") == "d247f2cd64ce466698b1663ca6d4ff56"]
assert len(d) == 1, f"{len(d)} decision entries for ORD-000001"
e = d[0]
for field in ("MESSAGE", "PRIORITY", "ORDER_ID", "CUSTOMER_ID", "DECISION", "REASON", "AMOUNT",
              "CURRENCY"):
    assert field in e, f"no {field} in {e}"
assert e["DECISION"] in ("approve", "reject", "hold"), e["DECISION"]
assert e["PRIORITY"] == "6"
print(f"ORD-000001: {e['DECISION']} {e['AMOUNT']} {e['CURRENCY']} ({e.get('RULE', 'default')}); "
      f"{len(decisions)} decision entries in all")
assert len(decisions) == 20, len(decisions)
PY
echo ok
