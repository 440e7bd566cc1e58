#!/bin/sh
# Issue 14, item 4: a listing that answers pageSize=20 with a page of
# 4,000,000 items that are not orders (the number 1; 8 MB, just under the
# 8 MiB body cap).
# - `run --once` ends promptly (within ONCE_LIMIT seconds), exits 75, and
#   logs an API error for that page (a page with more items than asked for
#   is an API error);
# - the log does not get one line per item: at most MAX_LINES lines in all
#   (a few, plus a summary);
# - `run` (the service), sent SIGTERM while it is on such a page, stops
#   within STOP_LIMIT seconds.
# The daemon's stderr goes through awk, which keeps the first lines and
# counts the rest, so that a daemon that does log every item cannot fill
# the disk (it wrote 945 MB in 30 s in the issue's run).
. "$(dirname "$0")/lib.sh"
. "$HERE/orders-lib.sh" # problem, finish

API_ERROR_LINE='error: listing pending orders \(page 1\) failed'
ONCE_LIMIT=20
STOP_LIMIT=5
MAX_LINES=20
ITEMS=4000000

# logged_to NAME: reads the daemon's stderr from the FIFO $T/NAME.fifo;
# keeps the first 200 lines in $T/NAME.log, the count in $T/NAME.count
logged_to() {
    rm -f "$T/$1.fifo" "$T/$1.count"
    mkfifo "$T/$1.fifo"
    awk -v out="$T/$1.log" -v count="$T/$1.count" \
        'NR <= 200 { print > out } END { print NR > count }' "$T/$1.fifo" &
}

lines_in() {
    wait_until 100 "the log of $1 was not closed" test -s "$T/$1.count"
    cat "$T/$1.count"
}

echo '[]' >"$T/none.json"
python3 "$HERE/orders-api.py" "$T/none.json" "$T/requests.txt" --junk-page $ITEMS \
    >"$T/sandbox.out" 2>"$T/sandbox.err" &
SB_PID=$!
wait_until 200 "orders-api.py did not start" grep -q '^listening on ' "$T/sandbox.out"
URL=$(sed -n 's/^listening on //p' "$T/sandbox.out")
write_creds
write_rules 20 4

echo "--- run --once"
logged_to once
start=$(date +%s)
set +e
timeout -s KILL $((ONCE_LIMIT + 5)) "$APPROVALD" run -c "$T/rules.yaml" --once \
    --state-dir "$T/state" 2>"$T/once.fifo"
RC=$?
set -e
took=$(($(date +%s) - start))
n=$(lines_in once)
echo "--once: exit $RC after ${took}s, $n log lines"
[ "$took" -le "$ONCE_LIMIT" ] || problem "--once took ${took}s (limit ${ONCE_LIMIT}s)"
[ "$RC" = 75 ] || problem "--once exited $RC, want 75"
[ "$n" -le "$MAX_LINES" ] ||
    problem "$n log lines for one page (at most $MAX_LINES): $(sed -n 2p "$T/once.log")"
grep -Eq "$API_ERROR_LINE" "$T/once.log" || problem "no API error for the page"

echo "--- run, SIGTERM on the page"
logged_to service
: >"$T/requests.txt" # wait for the service's own listing below
"$APPROVALD" run -c "$T/rules.yaml" --state-dir "$T/state" 2>"$T/service.fifo" &
DAEMON_PID=$!
wait_until 600 "the listing was not asked for" grep -q '^GET /orders' "$T/requests.txt"
sleep 1 # the answer is read and parsed; the items are being gone through
start=$(date +%s)
kill -TERM "$DAEMON_PID"
i=0
while kill -0 "$DAEMON_PID" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt $((STOP_LIMIT * 10)) ]; then
        kill -9 "$DAEMON_PID"
        problem "still running ${STOP_LIMIT}s after SIGTERM"
        break
    fi
    sleep 0.1
done
set +e
wait "$DAEMON_PID"
RC=$?
set -e
DAEMON_PID=""
echo "run: exit $RC $(($(date +%s) - start))s after SIGTERM, $(lines_in service) log lines"
[ "$RC" = 0 ] || problem "the service exited $RC after SIGTERM, want 0"
finish
