#!/bin/sh
# Builds the libFuzzer targets that need libtorch, with clang (Debian's
# clang-14), ASan and UBSan:
#   fuzz_model_file  read_model_file and ModelConfig::from_json (lib/model)
#   fuzz_checkpoint  load_torch_pickle: the zip reader and unpickler (lib/convert)
# and their seed generator. Only the sources under test are compiled; libtorch
# (built by Debian with g++, not instrumented) is linked as is.
#
#   fuzz/build_torch.sh [build dir]          (default: build-fuzz-torch)
#   build-fuzz-torch/make_torch_seeds build-fuzz-torch/corpus_model build-fuzz-torch/corpus_checkpoint
#   build-fuzz-torch/fuzz_model_file -rss_limit_mb=2048 -max_total_time=600 build-fuzz-torch/corpus_model
#   build-fuzz-torch/fuzz_checkpoint -rss_limit_mb=2048 -max_total_time=600 build-fuzz-torch/corpus_checkpoint
# TORCH_INCLUDE: libtorch's C++ API headers (default: Debian's libtorch-dev).
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build-fuzz-torch}
CXX=${CXX:-clang++-14}
TORCH_INCLUDE=${TORCH_INCLUDE:-/usr/include/torch/csrc/api/include}
mkdir -p "$out/include" "$out/corpus_model" "$out/corpus_checkpoint"
sed -e 's/@PROJECT_VERSION_MAJOR@/0/;s/@PROJECT_VERSION_MINOR@/0/;s/@PROJECT_VERSION_PATCH@/0/' \
    -e 's/@PROJECT_VERSION@/0.0.0/;s/@CDC_ABI_VERSION@/0/;s/@CDC_FORMAT_VERSION@/2/' \
    "$root/cmake/cdc_version.h.in" > "$out/include/cdc_version.h"
common="-std=c++17 -g -O1 -I$root/lib -I$root/include -I$out/include -I$root/tests/unit \
        -isystem $TORCH_INCLUDE -DCDC_FORMAT_VERSION_VALUE=2"
libs="-ltorch -ltorch_cpu -lc10 -lfmt -lxxhash -lz"
model_srcs="$root/lib/model/model_file.cc $root/lib/model/model_file_reader.cc $root/lib/model/model_config.cc $root/lib/common/json.cc $root/lib/common/float_tensor.cc $root/lib/common/float16.cc"
checkpoint_srcs="$root/lib/convert/torch_checkpoint.cc"
# vptr: libtorch's classes come from uninstrumented libraries.
san="-fsanitize=fuzzer,address,undefined -fno-sanitize=vptr -fno-sanitize-recover=undefined \
     -fno-omit-frame-pointer -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
$CXX $common $san $model_srcs "$root/fuzz/fuzz_model_file.cc" $libs -o "$out/fuzz_model_file" & p1=$!
$CXX $common $san $checkpoint_srcs "$root/fuzz/fuzz_checkpoint.cc" $libs -o "$out/fuzz_checkpoint" & p2=$!
wait $p1 && wait $p2
# The seed generator is an ordinary program (checksums on: the seeds are valid).
$CXX $common -O1 $model_srcs "$root/fuzz/make_torch_seeds.cc" $libs -o "$out/make_torch_seeds"
echo "built $out/fuzz_model_file $out/fuzz_checkpoint $out/make_torch_seeds"
