#!/bin/sh
# Installs, from Debian's packages, everything approvald needs to build and
# test.  Idempotent: apt-get only acts on what is missing.
set -eu

# The build, the tests (mandoc lints the man pages, bash-completion loads
# the completion, clang builds CI's second compiler), and the Debian
# package (debhelper, lintian: the package-deb test).
PACKAGES="clang-tools build-essential cmake pkg-config git \
  libcurl4-openssl-dev libcjson-dev libyaml-dev libsystemd-dev libmicrohttpd-dev libcmocka-dev \
  systemd curl openssl valgrind clang clang-format util-linux procps python3 \
  mandoc bash-completion debhelper lintian"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "install-deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
fi
