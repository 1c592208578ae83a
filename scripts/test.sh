#!/usr/bin/env bash
# test.sh - sets up a Debian 12 machine, builds libcdc (Ninja, Release) and
# runs the whole test suite. Exits non-zero if anything fails.
#
#   bash scripts/test.sh            # everything
#   CDC_BUILD_DIR=build bash scripts/test.sh
#   CDC_SKIP_SETUP=1 bash scripts/test.sh   # skip apt (packages already there)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${CDC_BUILD_DIR:-$root/build}
jobs=${CDC_JOBS:-$(nproc)}

if [ "${CDC_SKIP_SETUP:-0}" != 1 ]; then
  bash "$root/scripts/setup-debian.sh"
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CDC_CMAKE_ARGS:-}
cmake --build "$build" -j "$jobs"

status=0
# Tests run one at a time: each uses every core (libtorch threads).
ctest --test-dir "$build" --output-on-failure || status=1

# (The pycdc pytest suite runs inside ctest as the test "python".)
if [ "$status" -ne 0 ]; then
  echo "test.sh: FAILED" >&2
else
  echo "test.sh: all tests passed"
fi
exit "$status"
