#!/usr/bin/env bash
# tsan.sh SOURCE_DIR BUILD_DIR - concurrency under ThreadSanitizer: libcdc is
# built with -fsanitize=thread (its own build folder, BUILD_DIR/tsan) and the
# API test api_concurrency (threads sharing one model, each with its own
# context, mixing encodes, decodes, thread counts and cancellations, every
# result compared with the serial one) runs against it. libtorch itself is not
# instrumented: the check covers libcdc's own code and its use of the API.
# Set CDC_SKIP_TSAN=1 to skip (e.g. on a machine without the time to build).
set -euo pipefail
src=$(cd "${1:?usage: tsan.sh SOURCE_DIR BUILD_DIR}" && pwd)
build=$(cd "${2:?usage: tsan.sh SOURCE_DIR BUILD_DIR}" && pwd)
if [ "${CDC_SKIP_TSAN:-0}" = 1 ]; then
  echo "tsan.sh: skipped (CDC_SKIP_TSAN=1)"
  exit 0
fi
out=$build/tsan
flags="-fsanitize=thread -g -O1"
cmake -S "$src" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
  -DCDC_BUILD_TOOLS=OFF -DCDC_BUILD_PYTHON=OFF -DCDC_BUILD_EXAMPLES=OFF \
  -DCDC_BUILD_BENCHMARKS=OFF > "$out.configure.log" 2>&1 || { cat "$out.configure.log" >&2; exit 1; }
cmake --build "$out" -j "$(nproc)" --target api_concurrency > "$out.build.log" 2>&1 ||
  { tail -40 "$out.build.log" >&2; exit 1; }
# Reports in libtorch's own (uninstrumented) code are not ours to act on.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1 ${TSAN_OPTIONS:-}" \
  "$out/tests/api_concurrency"
echo "tsan: OK"
