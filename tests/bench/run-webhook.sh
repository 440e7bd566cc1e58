#!/bin/sh
# The webhook's benchmark (issue 11): 200 orders created at random moments
# over 20 s behind appxite-sandbox --latency-ms 20, the daemon polling every
# 60 s; once with the webhook, once without.  For each run: the time from an
# order's creation to its approve call reaching the sandbox (p50/p99/max),
# and the API requests per decided order.
#   tests/bench/run-webhook.sh [BUILD_DIR] [ORDERS] [SPREAD_S]
#                                            (default: build, 200, 20)
# BENCH_MODES="webhook poll" picks the runs (the poll run waits for the
# next poll, about a minute).
# How it is measured: the creation time is taken when the create call
# (POST /_sandbox/orders, which is not delayed) returns; a poller reads
# /_sandbox/stats every 5 ms and takes the first reading that shows the
# order Approved (the sandbox applies a call on arrival and delays only its
# answer), so each figure is late by up to ~5 ms plus one stats read.
# Requests: the sandbox's count of answers on its API listener from the
# daemon's start until the last order is decided, minus the creates, per
# order; the token and the start's bootstrap are included.
# Goal (docs/performance.md): webhook p99 under 150 ms.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/sandbox-env.sh"
build=${1:-"$top/build"}
orders=${2:-200}
spread=${3:-20}
modes=${BENCH_MODES:-"webhook poll"}

tmp=$(mktemp -d /tmp/approvald-bench.XXXXXX)
pid="" dpid=""
cleanup() {
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

sandbox_credentials "$tmp/credentials"
printf 'Bearer bench\n' >"$tmp/credentials/webhook-authorization"
echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)," \
    "kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$orders orders over ${spread} s, --latency-ms 20, poll.interval 60s"
for mode in $modes; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    hook=""
    [ "$mode" = webhook ] && hook="--webhook http://127.0.0.1:$port/webhook --webhook-authorization"
    # shellcheck disable=SC2086
    sandbox_start "$build/appxite-sandbox" "$tmp/sandbox.out" --latency-ms 20 \
        ${hook:+$hook "Bearer bench"} || exit 1
    pid=$SANDBOX_PID url=$SANDBOX_URL
    cat >"$tmp/rules.yaml" <<EOF
version: 1
api:
  base_url: $url
  token_url: $url/oauth2/token
  credentials_dir: $tmp/credentials
  max_parallel: 8
poll:
  interval: 60s
rules: []
default: approve
EOF
    [ "$mode" = webhook ] && printf 'webhook:\n  listen: 127.0.0.1:%s\n' "$port" >>"$tmp/rules.yaml"
    rm -rf "$tmp/state"
    mkdir "$tmp/state"
    : >"$tmp/log"
    "$build/approvald" run -c "$tmp/rules.yaml" --state-dir "$tmp/state" 2>"$tmp/log" &
    dpid=$!
    i=0
    until grep -q 'cycle done' "$tmp/log"; do
        i=$((i + 1))
        [ $i -lt 200 ] || { cat "$tmp/log"; exit 1; }
        sleep 0.05
    done
    python3 - "$url" "$orders" "$spread" "$mode" <<'PY'
import json, random, sys, threading, time, urllib.request
url, n, spread, mode = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]

def get(path):
    with urllib.request.urlopen(url + path, timeout=10) as r:
        return json.load(r)

def requests():
    return sum(get("/_sandbox/stats")["requests"].values())

before = requests()  # the daemon's start: token, bootstrap, first listing
rng = random.Random(11)
moments = sorted(rng.uniform(0, spread) for _ in range(n))
created, decided, lock = {}, {}, threading.Lock()
done = threading.Event()

def poller():
    while not done.is_set():
        t = time.monotonic()
        for oid, o in get("/_sandbox/stats")["orders"].items():
            if o["status"] == "Approved" and oid not in decided:
                decided[oid] = t
        time.sleep(0.005)

threading.Thread(target=poller, daemon=True).start()
start = time.monotonic()
body = json.dumps({"customer": {"id": "C1"}, "currency": "EUR",
                   "items": [{"offerId": "O", "sku": "S", "quantity": 1, "unitPrice": 10}]}).encode()
for m in moments:
    time.sleep(max(0, start + m - time.monotonic()))
    req = urllib.request.Request(url + "/_sandbox/orders", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        created[json.load(r)["id"]] = time.monotonic()
deadline = time.monotonic() + 90
while len([o for o in created if o in decided]) < n and time.monotonic() < deadline:
    time.sleep(0.05)
done.set()
time.sleep(0.05)
lat = sorted((decided[o] - created[o]) * 1000 for o in created if o in decided)
if len(lat) < n:
    sys.exit(f"{mode}: only {len(lat)} of {n} orders decided")
used = requests() - before - n  # the creates are counted too
total = requests() - n
def pct(p):
    return lat[min(len(lat) - 1, int(round(p / 100 * len(lat) + 0.5)) - 1)]
print(f"{mode:8s} creation -> approve: p50 {pct(50):.0f} ms, p99 {pct(99):.0f} ms, "
      f"max {lat[-1]:.0f} ms, mean {sum(lat) / len(lat):.0f} ms; "
      f"API requests per decided order {used / n:.2f} "
      f"({total / n:.2f} with the start's)")
PY
    kill "$dpid"
    wait "$dpid" 2>/dev/null || true
    dpid=""
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
done
