#!/usr/bin/env bash
# fuzz_api.sh SOURCE_DIR BUILD_DIR - short libFuzzer runs of two more input
# paths (clang-14):
#   fuzz_image   the cdc tool's PNG/JPEG reading (tools/image_io), ASan + UBSan
#   fuzz_decode  the whole decode through the C API with the built-in default
#                model, CRCs recomputed so that mutants reach the networks
#                (libcdc.so as built: crashes, hangs and memory are checked)
#   fuzz_model_load  model loading through the C API (libcdc.so's reader),
#                checksums and id recomputed, each accepted model encoding and
#                decoding a small image (seeds: tiny models made by cdc-train)
# each from seeds made here, with a 2 GB RSS limit. CDC_FUZZ_SECONDS sets the
# length of each run (default 20).
set -euo pipefail
src=$(cd "${1:?usage: fuzz_api.sh SOURCE_DIR BUILD_DIR}" && pwd)
build=$(cd "${2:?usage: fuzz_api.sh SOURCE_DIR BUILD_DIR}" && pwd)
out=$build/fuzz-api
# shellcheck source=lib/fuzz.sh
. "$src/tests/scripts/lib/fuzz.sh"
seconds=${CDC_FUZZ_SECONDS:-20}
command -v clang++-14 > /dev/null || { echo "fuzz_api.sh: clang++-14 not found" >&2; exit 1; }
lib=$(find "$build" -name 'libcdc.so' -not -path '*/CMakeFiles/*' -not -path '*/tsan/*' | head -n 1)
[ -n "$lib" ] && [ -x "$build/tools/cdc" ] || { echo "fuzz_api.sh: build libcdc and cdc first" >&2; exit 1; }
libdir=$(dirname "$(readlink -f "$lib")")
rm -rf "$out"
mkdir -p "$out/corpus_image" "$out/corpus_decode" "$out/corpus_model_load"

clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -fno-omit-frame-pointer -I"$src/tools" "$src/fuzz/fuzz_image.cc" "$src"/tools/image_io/*.cc \
  -lpng -ljpeg -lfmt -lz -o "$out/fuzz_image" &
p1=$!
clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer -I"$src/include" -I"$build/include" \
  "$src/fuzz/fuzz_decode.cc" -L"$libdir" -Wl,-rpath,"$libdir" -lcdc -lz -o "$out/fuzz_decode" &
p2=$!
clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer -I"$src/include" -I"$build/include" \
  -I"$src/tests/unit" "$src/fuzz/fuzz_model_load.cc" -L"$libdir" -Wl,-rpath,"$libdir" -lcdc -lxxhash \
  -o "$out/fuzz_model_load" &
p3=$!
wait $p1 && wait $p2 && wait $p3

# Seeds: the test images of cli.sh, and streams of a few of them.
python3 "$src/tests/scripts/make_test_images.py" "$out/img" > /dev/null
cp "$out"/img/*.png "$out/corpus_image/"
for name in rgb rgba gray one_pixel; do
  [ -f "$out/img/$name.png" ] &&
    "$build/tools/cdc" encode --quiet "$out/img/$name.png" "$out/corpus_decode/$name.cdc"
done

# Model seeds: tiny models (every width 1 or 2) trained for one step.
bash "$src/fuzz/make_model_seeds.sh" "$build/tools/cdc-train" "$src/data/sample.png" \
  "$out/corpus_model_load" > /dev/null

echo "== libFuzzer smoke runs (${seconds} s each)"
for target in fuzz_image fuzz_decode fuzz_model_load; do
  fuzz_smoke fuzz_api.sh "$out/$target" "$out/corpus_${target#fuzz_}" "$seconds" \
    -rss_limit_mb=2048 -timeout=20
done
