#!/usr/bin/env bash
# sanitizers.sh SOURCE_DIR BUILD_DIR - the robustness checks of the entropy
# coders and the .cdc parser (lib/entropy, lib/bitstream, lib/residual; no
# libtorch):
#   1. their doctest unit tests built with g++ -fsanitize=address,undefined;
#   2. a short libFuzzer run (clang-14, ASan + UBSan) of each fuzz target.
# The long fuzzing runs are not part of the suite: see fuzz/build.sh.
# CDC_FUZZ_SECONDS sets the length of each fuzz run (default 20).
set -euo pipefail
src=$(cd "${1:?usage: sanitizers.sh SOURCE_DIR BUILD_DIR}" && pwd)
build=$(cd "${2:?usage: sanitizers.sh SOURCE_DIR BUILD_DIR}" && pwd)
out=$build/sanitizers
# shellcheck source=lib/fuzz.sh
. "$src/tests/scripts/lib/fuzz.sh"
mkdir -p "$out"
seconds=${CDC_FUZZ_SECONDS:-20}

lib_sources=$(ls "$src"/lib/entropy/*.cc "$src"/lib/bitstream/*.cc "$src"/lib/residual/*.cc)
test_sources=$(ls "$src"/tests/unit/main.cc "$src"/tests/unit/test_entropy_*.cc \
                  "$src"/tests/unit/test_bitstream_*.cc "$src"/tests/unit/test_residual_*.cc)
format_version=$(sed -n 's/^set(CDC_FORMAT_VERSION \([0-9]*\))$/\1/p' "$src/CMakeLists.txt")

echo "== unit tests of lib/entropy, lib/bitstream and lib/residual under ASan + UBSan"
# shellcheck disable=SC2086
g++ -std=c++17 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -fno-omit-frame-pointer -I"$src/lib" -I"$src/include" -I"$build/include" \
    -DCDC_FORMAT_VERSION_VALUE="$format_version" $lib_sources $test_sources -lfmt -lz \
    -o "$out/entropy_unit_tests_asan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$out/entropy_unit_tests_asan"

if ! command -v clang++-14 >/dev/null; then
  echo "sanitizers.sh: clang++-14 not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi
echo "== libFuzzer smoke runs (${seconds} s each)"
sh "$src/fuzz/build.sh" "$out/fuzz" >/dev/null
rm -rf "$out/fuzz/corpus_stream" "$out/fuzz/corpus_tables"
mkdir -p "$out/fuzz/corpus_stream" "$out/fuzz/corpus_tables"
"$out/fuzz/make_seeds" "$out/fuzz/corpus_stream" "$out/fuzz/corpus_tables" >/dev/null
for target in fuzz_stream fuzz_tables; do
  fuzz_smoke sanitizers.sh "$out/fuzz/$target" "$out/fuzz/corpus_${target#fuzz_}" "$seconds"
done
