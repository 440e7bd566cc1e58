#!/bin/sh
# check-example-optional.sh APPROVALD SRCDIR: the commented-out holds: and
# notify: sections at the end of conf/rules.yaml are valid once uncommented
# (the example must not teach a key check refuses).
set -eu
approvald=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src/conf/rules.yaml" "$src/conf/blocked-customers.txt" "$tmp/"
# from "#holds:" on, drop one leading '#' of every line (and the one of the
# nested "#headers:" example)
awk '/^#holds:/ { on = 1 } { if (on) { sub(/^#/, ""); sub(/^      #headers/, "      headers") } print }' \
    "$src/conf/rules.yaml" >"$tmp/rules.yaml"
grep -q '^holds: ' "$tmp/rules.yaml" && grep -q '^notify: ' "$tmp/rules.yaml" &&
    grep -q '^      headers:' "$tmp/rules.yaml" || { echo "FAIL: the sections were not uncommented"; exit 1; }
out=$(cd "$tmp" && "$approvald" check -c rules.yaml 2>/dev/null)
case $out in
"rules.yaml: OK: 6 rules, 3 lists, 2 credit limits, 1 notify target, reminder after 4h, timeout after 2d: reject") echo "ok: $out" ;;
*) echo "FAIL: $out"; (cd "$tmp" && "$approvald" check -c rules.yaml); exit 1 ;;
esac
