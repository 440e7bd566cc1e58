#!/bin/sh
# HTTPS: the server's certificate is always verified.  Against a sandbox
# with a self-signed certificate, a run without api.ca_file sends nothing
# that changes an order and exits 75; with ca_file naming that certificate,
# the orders are decided.
. "$(dirname "$0")/lib.sh"

if ! openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
    -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1; then
    echo "SKIP: openssl could not make a test certificate"
    exit 77
fi
start_sandbox --seed 20 --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
case $URL in
https://*) ;;
*) echo "SKIP: the sandbox was built without TLS ($URL)"; exit 77 ;;
esac
write_rules 100 8
run_once
[ "$RC" = 75 ] || fail "without ca_file: exit $RC, not 75"
grep -q 'certificate\|SSL' "$T/daemon.log" || fail "no TLS error logged"
calls=$(curl -sf --cacert "$T/cert.pem" "$URL/_sandbox/stats" | python3 "$HERE/check.py" calls /dev/stdin)
[ "$calls" = 0 ] || fail "$calls calls without a trusted certificate"
sed -i "s#^  timeout:.*#&\n  ca_file: $T/cert.pem#" "$T/rules.yaml"
run_once
[ "$RC" = 0 ] || fail "with ca_file: exit $RC"
calls=$(curl -sf --cacert "$T/cert.pem" "$URL/_sandbox/stats" | python3 "$HERE/check.py" calls /dev/stdin)
[ "$calls" -gt 0 ] || fail "no call made with ca_file"
echo "ok: refused an unknown certificate; $calls calls once it was trusted"
