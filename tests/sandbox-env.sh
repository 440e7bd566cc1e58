# sandbox-env.sh: what the demo, the daemon benchmark and the daemon tests
# need to run approvald against appxite-sandbox (sourced, not run).

# sandbox_start PROGRAM OUTFILE [OPTIONS...]: starts the sandbox on a free
# loopback port, its output in OUTFILE; waits (10 s at most) for its
# address line.  Sets SANDBOX_PID and SANDBOX_URL; returns 1, with the
# output shown, if it did not start.
sandbox_start() {
    prog=$1 out=$2
    shift 2
    rm -f "$out" # never read a previous sandbox's address line
    "$prog" --listen 127.0.0.1:0 "$@" >"$out" 2>&1 &
    SANDBOX_PID=$!
    i=0
    until grep -q '^listening on .*:[0-9][0-9]*$' "$out" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -ge 200 ]; then
            cat "$out" >&2
            echo "the sandbox did not start" >&2
            return 1
        fi
        sleep 0.05
    done
    SANDBOX_URL=$(sed -n 's/^listening on //p' "$out" | head -n 1)
}

# sandbox_credentials DIR: the sandbox's documented demo credentials, one
# file each, as systemd's LoadCredential= would pass them
sandbox_credentials() {
    mkdir -p -m 0700 "$1"
    printf 'demo-key\n' >"$1/subscription-key"
    printf 'demo-client\n' >"$1/client-id"
    printf 'demo-secret\n' >"$1/client-secret"
}

# sandbox_rules TOP URL CREDS OUT [SED_ARGS...]: conf/rules.yaml, the
# production example, pointed at the sandbox and written to OUT, with the
# list file it names beside it.  The example's optional settings are
# commented out ("#key: value"); credentials_dir is set to CREDS, and
# poll.page_size and api.max_parallel are switched on at their defaults, so
# that SED_ARGS can change them ("s#^\(  page_size:\).*#\1 50#").
sandbox_rules() {
    top=$1 url=$2 creds=$3 out=$4
    shift 4
    sed -e "s#^\(  base_url:\).*#\1 $url#" \
        -e "s#^\(  token_url:\).*#\1 $url/oauth2/token#" \
        -e "s#^  \#credentials_dir:.*#  credentials_dir: $creds#" \
        -e 's/^#\(poll:\)/\1/' -e 's/^#\(  page_size:\)/\1/' \
        -e 's/^  #\(max_parallel:\)/  \1/' "$@" \
        "$top/conf/rules.yaml" >"$out"
    cp "$top/conf/blocked-customers.txt" "$(dirname "$out")/"
}
