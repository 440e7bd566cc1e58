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

# One timed run: prints "WALL_SECONDS CPU_SECONDS MAXRSS_KB".  Wall clock
# from date(1) in ns; CPU (user + system) and peak RSS from /usr/bin/time.
# On a shared machine CPU time is the steadier figure of the two.
timed() {
        t0=$(date +%s%N)
        /usr/bin/time -f '%U %S %M' -o "$dir/time" "$@" <"$dir/orders.jsonl" >"$dir/out" 2>"$dir/err" || {
                echo "run-evaluate.sh: '$*' failed:" >&2
                cat "$dir/err" >&2
                exit 1
        }
        t1=$(date +%s%N)
        echo "$(((t1 - t0) / 1000)) $(tail -1 "$dir/time")" |
                awk '{printf "%.4f %.2f %d\n", $1 / 1e6, $2 + $3, $4}'
}

min() {
        echo "$1 $2" | awk '{print ($1 < $2) ? $1 : $2}'
}

bw=999999 bc=999999 ew=999999 ec=999999 rss_base=0 rss_eval=0
: >"$dir/ratios"
i=1
while [ "$i" -le "$rounds" ]; do
        set -- $(timed "$build/bench-baseline")
        bw=$(min "$1" "$bw") bc=$(min "$2" "$bc") rss_base=$3
        echo "round $i: baseline wall ${1}s cpu ${2}s"
        this_bc=$2
        set -- $(timed "$build/approvald" evaluate -c "$dir/rules.yaml")
        ew=$(min "$1" "$ew") ec=$(min "$2" "$ec") rss_eval=$3
        echo "round $i: evaluate wall ${1}s cpu ${2}s"
        # The same round's pair: both ran under the same load.
        echo "$this_bc $2" | awk '$2 > 0 {print 100 * $1 / $2}' >>"$dir/ratios"
        lines=$(wc -l <"$dir/out")
        [ "$lines" -eq "$n" ] || { echo "evaluate wrote $lines lines, want $n" >&2; exit 1; }
        i=$((i + 1))
done
awk -v n="$n" -v bw="$bw" -v bc="$bc" -v ew="$ew" -v ec="$ec" -v rb="$rss_base" -v re="$rss_eval" '
function rate(t) { return (t > 0) ? n / t : 0 }
BEGIN {
        printf "baseline: %.0f orders/s wall, %.0f orders/s CPU (best of rounds), peak RSS %d KiB\n",
                rate(bw), rate(bc), rb
        printf "evaluate: %.0f orders/s wall, %.0f orders/s CPU (best of rounds), peak RSS %d KiB\n",
                rate(ew), rate(ec), re
        printf "ratio: evaluate runs at %.0f%% (wall) / %.0f%% (CPU) of the baseline speed\n",
                (rate(bw) > 0) ? 100 * rate(ew) / rate(bw) : 0,
                (rate(bc) > 0) ? 100 * rate(ec) / rate(bc) : 0
}'
sort -n "$dir/ratios" | awk '{r[NR] = $1} END {
        if (NR) printf "ratio per round (CPU, paired): median %.0f%%, range %.0f%%..%.0f%%\n",
                (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2, r[1], r[NR]
}'
echo "decisions:"
sed -n 's/.*"decision":"\([a-z]*\)","rule":\(null\|"[^"]*"\).*/\1 \2/p' "$dir/out" | sort | uniq -c | sort -rn
