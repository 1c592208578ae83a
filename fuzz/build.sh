#!/bin/sh
# Builds the libFuzzer targets of libcdc's entropy coder and .cdc parser with
# clang (Debian's clang-14), ASan and UBSan. Only lib/entropy and lib/bitstream
# are compiled: no libtorch needed.
#
#   fuzz/build.sh [build dir]          (default: build-fuzz)
#   build-fuzz/make_seeds build-fuzz/corpus_stream build-fuzz/corpus_tables
#   build-fuzz/fuzz_stream -max_total_time=600 build-fuzz/corpus_stream
#   build-fuzz/fuzz_tables -max_total_time=60 build-fuzz/corpus_tables
# (CMake: -DCDC_BUILD_FUZZERS=ON with clang, see fuzz/CMakeLists.txt.)
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build-fuzz}
CXX=${CXX:-clang++-14}
mkdir -p "$out/include" "$out/corpus_stream" "$out/corpus_tables"
format_version=$(sed -n 's/^set(CDC_FORMAT_VERSION \([0-9]*\))$/\1/p' "$root/CMakeLists.txt")
# The version header that CMake would generate (only the format version matters here).
sed -e 's/@PROJECT_VERSION_MAJOR@/0/;s/@PROJECT_VERSION_MINOR@/0/;s/@PROJECT_VERSION_PATCH@/0/' \
    -e 's/@PROJECT_VERSION@/0.0.0/;s/@CDC_ABI_VERSION@/0/;s/@CDC_FORMAT_VERSION@/'"$format_version"'/' \
    "$root/cmake/cdc_version.h.in" > "$out/include/cdc_version.h"
common="-std=c++17 -g -O1 -I$root/lib -I$root/include -I$out/include -DCDC_FORMAT_VERSION_VALUE=$format_version"
srcs="$root/lib/entropy/cdf.cc $root/lib/entropy/entropy_tables.cc $root/lib/entropy/rans.cc \
      $root/lib/bitstream/format.cc $root/lib/bitstream/latent_coding.cc"
san="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
     -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
$CXX $common $san $srcs "$root/fuzz/fuzz_stream.cc" -lfmt -lz -o "$out/fuzz_stream" & p1=$!
$CXX $common $san $srcs "$root/fuzz/fuzz_tables.cc" -lfmt -lz -o "$out/fuzz_tables" & p2=$!
# The seed generator is an ordinary program (CRCs on: the seeds are valid streams).
$CXX $common -O2 $srcs "$root/fuzz/make_seeds.cc" -lfmt -lz -o "$out/make_seeds" & p3=$!
wait $p1 && wait $p2 && wait $p3
echo "built $out/fuzz_stream $out/fuzz_tables $out/make_seeds"
