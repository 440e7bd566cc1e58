#!/bin/sh
# TLS refusals say what failed, in libcurl's words after ours: a certificate
# nobody vouches for (self-signed, no api.ca_file), one for another host,
# one that has expired.  Each run exits 75, makes no call, and its log names
# the certificate problem.
. "$(dirname "$0")/lib.sh"

# cert NAME SUBJECT_ALT_NAME [START END]: $T/NAME.pem and $T/NAME.key,
# self-signed, valid from START to END (openssl ca's YYYYMMDDHHMMSSZ)
cert() {
    mkdir -p "$T/ca-$1"
    (
        cd "$T/ca-$1"
        : >index.txt
        echo 01 >serial
        printf '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n' >ca.cnf
        printf 'default_md=sha256\npolicy=p\ncopy_extensions=copy\ndefault_days=2\n' >>ca.cnf
        printf '[p]\ncommonName=supplied\n' >>ca.cnf
        openssl req -new -newkey rsa:2048 -nodes -keyout "$T/$1.key" -out csr.pem \
            -subj "/CN=approvald test" -addext "subjectAltName=$2" &&
            openssl ca -config ca.cnf -selfsign -keyfile "$T/$1.key" -in csr.pem \
                -out "$T/$1.pem" -batch -notext ${3:+-startdate "$3" -enddate "$4"}
    ) >/dev/null 2>&1
}

if ! cert good IP:127.0.0.1 || ! cert wrong-host DNS:wrong-host.example ||
    ! cert expired IP:127.0.0.1 20200101000000Z 20200102000000Z; then
    echo "SKIP: openssl could not make the test certificates"
    exit 77
fi

# refused NAME CA_FILE PATTERN: the sandbox serves $T/NAME.pem; a run that
# trusts CA_FILE ("" for the system's) exits 75, calls nothing, and logs
# "TLS certificate verification failed: ..." matching PATTERN
refused() {
    start_sandbox --seed 5 --tls-cert "$T/$1.pem" --tls-key "$T/$1.key"
    case $URL in
    https://*) ;;
    *) echo "SKIP: the sandbox was built without TLS ($URL)"; exit 77 ;;
    esac
    write_rules 100 4
    [ -z "$2" ] || sed -i "s#^  timeout:.*#&\n  ca_file: $2#" "$T/rules.yaml"
    : >"$T/daemon.log"
    run_once
    [ "$RC" = 75 ] || fail "$1: exit $RC, not 75"
    grep -q "TLS certificate verification failed: .*$3" "$T/daemon.log" ||
        fail "$1: the log does not say 'TLS certificate verification failed: ...$3'"
    calls=$(curl -sfk "$URL/_sandbox/stats" | python3 "$HERE/check.py" calls /dev/stdin)
    [ "$calls" = 0 ] || fail "$1: $calls calls were made"
    echo "$1: $(grep -o 'TLS certificate verification failed: .*' "$T/daemon.log" | head -n 1)"
    kill "$SB_PID"
    wait "$SB_PID" 2>/dev/null || true
    SB_PID=""
}

refused good "" "self.signed certificate"
refused wrong-host "$T/wrong-host.pem" "host name"
refused expired "$T/expired.pem" "certificate has expired"
echo ok
