#!/bin/sh
# stats-cli.sh: `approvald stats` on journals written for it: a hand-made
# one whose every number is worked out below (window edges, the first
# decision standing, conflicts, NotFound, open calls, odd rule names), the
# bench generator's 30 days recounted independently (stats-check.py) for
# several --since windows, and the errors (bad options 64, no journal 66,
# damaged 76).
#   stats-cli.sh APPROVALD JOURNAL_LOAD BENCH_JOURNAL
set -u
approvald=$1
jload=$2
bench=$3
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

expect_rc() { # WANT CMD...
        want=$1; shift
        "$@" >"$dir/out" 2>"$dir/err"
        rc=$?
        [ "$rc" -eq "$want" ] || { cat "$dir/out" "$dir/err" >&2; fail "$* exited $rc, want $want"; }
}

# ---- a hand-made journal: the window is 2025-12-31T00:00:00Z (1767139200)
# to 2026-01-01T00:00:00Z (1767225600), both included.
now=2026-01-01T00:00:00Z
mkdir "$dir/hand"
"$jload" "$dir/hand" <<'EOF' || fail "journal-load"
{"type":"intent","order_id":"OLD","decision":"approve","rule":"small","total":100,"currency":"EUR","time":1767139199}
{"type":"intent","order_id":"A1","decision":"approve","rule":"small","total":1000,"currency":"EUR","time":1767139200}
{"type":"outcome","order_id":"OLD","http_status":200,"final_status":"Approved","time":1767139201}
{"type":"outcome","order_id":"A1","http_status":200,"final_status":"Approved","time":1767139201}
{"type":"intent","order_id":"A2","decision":"approve","total":2550,"currency":"EUR","time":1767150000}
{"type":"outcome","order_id":"A2","http_status":200,"final_status":"Approved","time":1767150000}
{"type":"intent","order_id":"A3","decision":"approve","total":700,"currency":"USD","time":1767150001}
{"type":"intent","order_id":"A4","decision":"approve","rule":"small","total":999999,"currency":"EUR","time":1767150002}
{"type":"outcome","order_id":"A4","http_status":409,"final_status":"Rejected","time":1767150003}
{"type":"intent","order_id":"A5","decision":"approve","rule":"small","total":100,"currency":"SEK","time":1767150004}
{"type":"outcome","order_id":"A5","http_status":404,"final_status":"NotFound","time":1767150005}
{"type":"intent","order_id":"R1","decision":"reject","rule":"odd \"name\"\nnewline ü","total":5000,"currency":"EUR","time":1767150006}
{"type":"outcome","order_id":"R1","http_status":200,"final_status":"Rejected","time":1767150007}
{"type":"intent","order_id":"R2","decision":"reject","rule":"odd \"name\"\nnewline ü","total":5000,"currency":"EUR","time":1767150008}
{"type":"outcome","order_id":"R2","http_status":409,"final_status":"Approved","time":1767150009}
{"type":"intent","order_id":"R3","decision":"reject","rule":"default","total":5,"currency":"EUR","time":1767150010}
{"type":"outcome","order_id":"R3","http_status":200,"final_status":"Rejected","time":1767150011}
{"type":"intent","order_id":"A1","decision":"reject","rule":"later","total":1000,"currency":"EUR","time":1767150012}
{"type":"intent","order_id":"A6","decision":"approve","total":1,"currency":"EUR","time":1767225600}
{"type":"outcome","order_id":"A6","http_status":200,"final_status":"Approved","time":1767225600}
{"type":"intent","order_id":"FUT","decision":"approve","total":1,"currency":"EUR","time":1767225601}
EOF

expect_rc 0 "$approvald" stats --state-dir "$dir/hand" --now "$now" --since 1d --json
cp "$dir/out" "$dir/hand.json"
python3 - "$dir/hand.json" <<'EOF' || fail "hand-made journal: $(cat "$dir/hand.json")"
import json, sys
s = json.load(open(sys.argv[1]))
want = {
    "from": "2025-12-31T00:00:00Z", "to": "2026-01-01T00:00:00Z", "window_seconds": 86400,
    "decisions": {"approve": 6, "reject": 3, "total": 9},
    "rules": [
        {"rule": None, "approve": 3, "reject": 0, "total": 3},
        {"rule": "small", "approve": 3, "reject": 0, "total": 3},
        {"rule": "odd \"name\"\nnewline \u00fc", "approve": 0, "reject": 2, "total": 2},
        {"rule": "default", "approve": 0, "reject": 1, "total": 1},
    ],
    "approved": [
        {"currency": "EUR", "amount": "35.51", "minor_units": 3551, "orders": 3,
         "overflow": False},
        {"currency": "USD", "amount": "7.00", "minor_units": 700, "orders": 1,
         "overflow": False},
    ],
    "calls": {"done": 8, "as_decided": 5, "conflict": 2, "not_found": 1, "open": 1},
    "holds_waiting": None, "manual_decisions": None, "api_errors": None,
    "not_recorded": ["holds_waiting", "manual_decisions", "api_errors"],
}
for k in sorted(set(want) | set(s)):
    if s.get(k, "(missing)") != want.get(k, "(not expected)"):
        print(f"{k}: {s.get(k, '(missing)')!r}, want {want.get(k, '(not expected)')!r}")
        sys.exit(1)
EOF
"$approvald" journal dump --state-dir "$dir/hand" >"$dir/hand.dump" || fail "journal dump"
python3 "$here/stats-check.py" journal "$dir/hand.dump" "$dir/hand.json" >/dev/null ||
        fail "stats-check.py disagrees with the hand-made expectations"

# The table says the same; a rule's name is quoted and escaped on one line.
expect_rc 0 "$approvald" stats --state-dir "$dir/hand" --now "$now" --since 1d
grep -qx 'Decisions from 2025-12-31T00:00:00Z to 2026-01-01T00:00:00Z (last 1d)' "$dir/out" ||
        fail "table heading: $(head -1 "$dir/out")"
grep -qx '       6        3        9  (all)' "$dir/out" || fail "table: $(cat "$dir/out")"
grep -qx '       3        0        3  default' "$dir/out" || fail "table: $(cat "$dir/out")"
grep -qx '       0        1        1  '"'default'" "$dir/out" || fail "table: $(cat "$dir/out")"
grep -qxF '       0        2        2  '"'"'odd \"name\"\nnewline ü'"'" "$dir/out" ||
        fail "the odd rule's line: $(cat "$dir/out")"
grep -qx ' *35.51 EUR (3 orders)' "$dir/out" || fail "EUR amount: $(cat "$dir/out")"
grep -qx ' *7.00 USD (1 order)' "$dir/out" || fail "USD amount: $(cat "$dir/out")"
grep -q 'SEK' "$dir/out" && fail "SEK listed though its one approval was not found"
grep -qx '       8  done: 5 as decided, 2 decided by someone else first, 1 order not found' \
        "$dir/out" || fail "calls: $(cat "$dir/out")"
grep -qx '       1  open: decided, outcome not known yet' "$dir/out" || fail "open: $(cat "$dir/out")"
grep -q '^Not in the journal yet: holds waiting, manual decisions, API errors$' "$dir/out" ||
        fail "the table does not say what is not recorded"

# A window that ends before everything is empty, not an error.
expect_rc 0 "$approvald" stats --state-dir "$dir/hand" --now 2020-01-01T00:00:00Z --json
grep -q '"decisions":{"approve":0,"reject":0,"total":0},"rules":\[\],"approved":\[\]' \
        "$dir/out" || fail "empty window: $(cat "$dir/out")"
expect_rc 0 "$approvald" stats --state-dir "$dir/hand" --now 2020-01-01T00:00:00Z
grep -qx '  none' "$dir/out" || fail "empty window table: $(cat "$dir/out")"

# ---- the bench generator's 30 days, recounted for several windows
mkdir "$dir/bench"
"$bench" "$dir/bench" 5000 1767225600 >/dev/null 2>&1 || fail "bench-journal"
"$approvald" journal dump --state-dir "$dir/bench" >"$dir/bench.dump" || fail "journal dump"
prev=-1
for since in 30m 1h 24h 7d 30d 365d; do
        expect_rc 0 "$approvald" stats --state-dir "$dir/bench" --now "$now" --since "$since" --json
        python3 "$here/stats-check.py" journal "$dir/bench.dump" "$dir/out" >"$dir/check" ||
                fail "--since $since: $(cat "$dir/check")"
        total=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["decisions"]["total"])' "$dir/out")
        [ "$total" -ge "$prev" ] || fail "--since $since counts $total, fewer than a shorter window"
        prev=$total
done
[ "$total" -eq 5000 ] || fail "--since 365d counts $total of 5000 decisions"
# 7 of the 30 days: about 7/30 of 5000 (the times are spread evenly)
expect_rc 0 "$approvald" stats --state-dir "$dir/bench" --now "$now" --since 7d --json
grep -q '"total":116[67]}' "$dir/out" || fail "--since 7d: $(head -c 200 "$dir/out")"

# ---- the state folder: $STATE_DIRECTORY's first entry, like journal dump
expect_rc 0 env STATE_DIRECTORY="$dir/hand:/nonexistent" "$approvald" stats --now "$now" --json
cmp -s "$dir/out" "$dir/hand.json" || fail "\$STATE_DIRECTORY: $(cat "$dir/out")"

# ---- errors
expect_rc 64 "$approvald" stats --since 0h --state-dir "$dir/hand"
grep -q "bad --since '0h'" "$dir/err" || fail "bad --since: $(cat "$dir/err")"
expect_rc 64 "$approvald" stats --since 24 --state-dir "$dir/hand"
expect_rc 64 "$approvald" stats --now yesterday --state-dir "$dir/hand"
expect_rc 64 "$approvald" stats --state-dir "$dir/hand" extra
expect_rc 64 "$approvald" stats --frobnicate
mkdir "$dir/empty"
expect_rc 66 "$approvald" stats --state-dir "$dir/empty"
grep -q "no journal in '$dir/empty'" "$dir/err" || fail "no journal: $(cat "$dir/err")"
expect_rc 66 "$approvald" stats --state-dir "$dir/none"
cp -r "$dir/hand" "$dir/bad"
printf '\377' | dd of="$dir/bad/journal" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_rc 76 "$approvald" stats --state-dir "$dir/bad"
grep -q "bad record at offset" "$dir/err" || fail "damaged: $(cat "$dir/err")"
[ ! -s "$dir/out" ] || fail "a damaged journal printed statistics: $(cat "$dir/out")"
expect_rc 0 "$approvald" help stats
grep -q -- '--since DURATION' "$dir/out" || fail "help stats: $(cat "$dir/out")"
echo "ok: stats-cli"
