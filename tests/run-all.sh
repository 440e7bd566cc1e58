#!/bin/sh
# The README's test command: installs the Debian packages the build needs,
# configures, builds and runs every test with ctest.
#   tests/run-all.sh [BUILD_DIR] [extra cmake -D options...]
# It builds in a folder of its own (build-test/ by default), with warnings
# as errors, so that the README's own build in build/ keeps the options
# it was configured with.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$top/build-test"}
[ $# -gt 0 ] && shift

sh "$top/tests/install-deps.sh"
cmake -S "$top" -B "$build" -DAPPROVALD_WERROR=ON "$@"
cmake --build "$build" -j"$(nproc)"
cd "$build"
# APPROVALD_CTEST_ARGS: more ctest options, such as -LE package (CI's
# sanitizer run leaves out the package test, which builds its own binaries).
# shellcheck disable=SC2086
ctest --output-on-failure -j"$(nproc)" --timeout 900 ${APPROVALD_CTEST_ARGS:-}
