#!/bin/sh
# stats-cli.sh: `approvald stats` on journals written for it: a hand-made
# one whose every number is worked out below (window edges, the first
# decision standing, conflicts, NotFound, open calls, odd rule names), the
# bench generator's 30 days recounted independently (stats-check.py) for
# several --since windows, and the errors (bad options 64, no journal 66,
# damaged 76).
#   stats-cli.sh APPROVALD JOURNAL_WRITE BENCH_JOURNAL
set -u
approvald=$1
jwrite=$2
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
"$jwrite" "$dir/hand" --json 2>/dev/null <<'EOF' || fail "journal-write --json"
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
{"type":"hold","order_id":"H4","rule":"big","total":90000,"time":1767139000}
{"type":"hold","order_id":"H6","rule":"big","total":90000,"time":1767139001}
{"type":"hold","order_id":"H1","rule":"big","total":90000,"time":1767150100}
{"type":"hold","order_id":"H2","total":90000,"time":1767150101}
{"type":"hold","order_id":"H3","rule":"big","total":50,"time":1767150102}
{"type":"hold","order_id":"H5","rule":"big","total":90000,"time":1767150103}
{"type":"hold","order_id":"H5","rule":"other","total":90000,"time":1767150104}
{"type":"hold","order_id":"H7","rule":"big","total":90000,"time":1767150105}
{"type":"external","order_id":"H2","status":"Approved","source":"portal","total":90000,"count_from":1767150200,"time":1767150200}
{"type":"intent","order_id":"H3","decision":"approve","total":50,"currency":"EUR","time":1767150300}
{"type":"outcome","order_id":"H3","http_status":200,"final_status":"Approved","time":1767150301}
{"type":"external","order_id":"H6","status":"Rejected","source":"portal","time":1767150400}
{"type":"hold","order_id":"A2","rule":"big","total":2550,"time":1767150500}
{"type":"external","order_id":"R9","status":"Approved","source":"refresh","total":7,"count_from":1767150500,"time":1767150500}
{"type":"external","order_id":"H7","status":"NotFound","source":"portal","time":1767150600}
{"type":"intent","order_id":"A7","decision":"approve","total":10,"currency":"EUR","time":1767150700}
{"type":"outcome","order_id":"A7","http_status":200,"final_status":"PendingApproval","time":1767150701}
EOF

expect_rc 0 "$approvald" stats --state-dir "$dir/hand" --now "$now" --since 1d --json
cp "$dir/out" "$dir/hand.json"
python3 - "$dir/hand.json" <<'EOF' || fail "hand-made journal: $(cat "$dir/hand.json")"
import json, sys
s = json.load(open(sys.argv[1]))
want = {
    "from": "2025-12-31T00:00:00Z", "to": "2026-01-01T00:00:00Z", "window_seconds": 86400,
    "decisions": {"approve": 8, "reject": 3, "hold": 5, "total": 16},
    "rules": [
        {"rule": None, "approve": 5, "reject": 0, "hold": 1, "total": 6},
        {"rule": "big", "approve": 0, "reject": 0, "hold": 4, "total": 4},
        {"rule": "small", "approve": 3, "reject": 0, "hold": 0, "total": 3},
        {"rule": "odd \"name\"\nnewline \u00fc", "approve": 0, "reject": 2, "hold": 0,
         "total": 2},
        {"rule": "default", "approve": 0, "reject": 1, "hold": 0, "total": 1},
    ],
    "approved": [
        {"currency": "EUR", "amount": "36.11", "minor_units": 3611, "orders": 5,
         "overflow": False},
        {"currency": "USD", "amount": "7.00", "minor_units": 700, "orders": 1,
         "overflow": False},
    ],
    "calls": {"done": 10, "as_decided": 6, "conflict": 2, "not_found": 1,
              "waiting_others": 1, "open": 1},
    "holds": {"held": 5, "waiting": 2, "decided_by_rules": 1, "decided_in_portal": 2},
    "holds_waiting": 3,
    "manual_decisions": {"approved": 1, "rejected": 1, "not_found": 1, "total": 3},
    "api_errors": None, "not_recorded": ["api_errors"],
}
for k in sorted(set(want) | set(s)):
    if s.get(k, "(missing)") != want.get(k, "(not expected)"):
        print(f"{k}: {s.get(k, '(missing)')!r}, want {want.get(k, '(not expected)')!r}")
        sys.exit(1)
EOF
# stats-check.py's recount (used on the bench journal below) agrees with
# the hand-made expectations.
"$approvald" journal dump --state-dir "$dir/hand" >"$dir/hand.dump" || fail "journal dump"
python3 "$here/stats-check.py" journal "$dir/hand.dump" "$dir/hand.json" >/dev/null ||
        fail "stats-check.py disagrees with the hand-made expectations"

# The table says the same; a rule's name is quoted and escaped on one line.
expect_rc 0 "$approvald" stats --state-dir "$dir/hand" --now "$now" --since 1d
grep -qx 'Decisions from 2025-12-31T00:00:00Z to 2026-01-01T00:00:00Z (last 1d)' "$dir/out" ||
        fail "table heading: $(head -1 "$dir/out")"
table_line() { grep -qxF "$1" "$dir/out" || fail "no line '$1' in the table: $(cat "$dir/out")"; }
table_line '       8        3        5       16  (all)'
table_line '       5        0        1        6  default'
table_line '       0        0        4        4  '"'big'"
table_line '       0        1        0        1  '"'default'"
table_line '       0        2        0        2  '"'"'odd \"name\"\nnewline ü'"'"
table_line '               36.11 EUR (5 orders)'
table_line '                7.00 USD (1 order)'
grep -q 'SEK' "$dir/out" && fail "SEK listed though its one approval was not found"
table_line '      10  done: 6 as decided, 2 decided by someone else first, 1 not found, 1 waiting for other approving parties'
table_line '       1  open: decided, outcome not known yet'
table_line '       5  held: 2 still waiting, 1 decided again by the rules, 2 decided in the portal'
table_line '       3  waiting now, whenever held'
table_line '       3  1 approved, 1 rejected, 1 not found'
grep -q '^Not in the journal: API errors' "$dir/out" ||
        fail "the table does not say what is not recorded"

# A window that ends before everything is empty, not an error.
expect_rc 0 "$approvald" stats --state-dir "$dir/hand" --now 2020-01-01T00:00:00Z --json
grep -q '"decisions":{"approve":0,"reject":0,"hold":0,"total":0},"rules":\[\],"approved":\[\]' \
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
