#!/bin/sh
# run-evaluate.sh: the rule-engine benchmark.  Generates N orders (default
# 100,000) with the example rules and a 10,000-entry blocked list, then runs
# the parse-only baseline and `approvald evaluate` over the same input,
# alternating, ROUNDS times (default 5), and prints orders/s for each (best
# round), the ratio, and the peak RSS of each.
#   usage: tests/bench/run-evaluate.sh [BUILD_DIR] [N] [ROUNDS]
set -eu

build=${1:-build}
n=${2:-100000}
rounds=${3:-5}
for p in "$build/bench-gen" "$build/bench-baseline" "$build/approvald"; do
        [ -x "$p" ] || { echo "run-evaluate.sh: $p missing; build first" >&2; exit 1; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM

"$build/bench-gen" "$n" "$dir"
"$build/approvald" check -c "$dir/rules.yaml" >/dev/null
bytes=$(wc -c <"$dir/orders.jsonl")
echo "input: $n orders, $((bytes / n)) bytes each on average"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"

# One timed run: prints "SECONDS MAXRSS_KB" (wall clock in ns: /usr/bin/time
# gives only centiseconds; it is kept for the peak RSS).
timed() {
        t0=$(date +%s%N)
        /usr/bin/time -f '%M' -o "$dir/time" "$@" <"$dir/orders.jsonl" >"$dir/out" 2>"$dir/err" || {
                echo "run-evaluate.sh: '$*' failed:" >&2
                cat "$dir/err" >&2
                exit 1
        }
        t1=$(date +%s%N)
        echo "$(((t1 - t0) / 1000)) $(tail -1 "$dir/time")" | awk '{printf "%.4f %d\n", $1 / 1e6, $2}'
}

best_base=999999 best_eval=999999 rss_base=0 rss_eval=0
i=1
while [ "$i" -le "$rounds" ]; do
        set -- $(timed "$build/bench-baseline")
        b=$1 rss_base=$2
        set -- $(timed "$build/approvald" evaluate -c "$dir/rules.yaml")
        e=$1 rss_eval=$2
        lines=$(wc -l <"$dir/out")
        [ "$lines" -eq "$n" ] || { echo "evaluate wrote $lines lines, want $n" >&2; exit 1; }
        echo "round $i: baseline ${b}s, evaluate ${e}s"
        best_base=$(echo "$b $best_base" | awk '{print ($1 < $2) ? $1 : $2}')
        best_eval=$(echo "$e $best_eval" | awk '{print ($1 < $2) ? $1 : $2}')
        i=$((i + 1))
done
awk -v n="$n" -v b="$best_base" -v e="$best_eval" -v rb="$rss_base" -v re="$rss_eval" 'BEGIN {
        bs = (b > 0) ? n / b : 0; es = (e > 0) ? n / e : 0
        printf "baseline: %.0f orders/s (best of rounds), peak RSS %d KiB\n", bs, rb
        printf "evaluate: %.0f orders/s (best of rounds), peak RSS %d KiB\n", es, re
        printf "ratio: evaluate runs at %.0f%% of the baseline speed\n", (bs > 0) ? 100 * es / bs : 0
}'
echo "decisions:"
sed -n 's/.*"decision":"\([a-z]*\)","rule":\(null\|"[^"]*"\).*/\1 \2/p' "$dir/out" | sort | uniq -c | sort -rn
