#!/bin/sh
# The README's test command: installs the Debian packages the build needs,
# configures, builds and runs every test with ctest.
#   tests/run-all.sh [BUILD_DIR] [extra cmake -D options...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$top/build"}
[ $# -gt 0 ] && shift

sh "$top/tests/install-deps.sh"
cmake -S "$top" -B "$build" -DAPPROVALD_WERROR=ON "$@"
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 900
