#!/usr/bin/env bash
# tsan.sh SOURCE_DIR BUILD_DIR - concurrency under ThreadSanitizer: libcdc is
# built with -fsanitize=thread (its own build folder, BUILD_DIR/tsan) and the
# API test api_concurrency (threads sharing one model, each with its own
# context, mixing encodes, decodes, thread counts and cancellations, every
# result compared with the serial one) runs against it; then the `cdc` tool,
# built the same way, decodes three files with --jobs 2 and is interrupted
# (Ctrl-C) in the middle: the workers, the progress display and the signal
# handler must show no race. libtorch itself is not instrumented: the check
# covers libcdc's own code, the tool and their use of the API.
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
  -DCDC_BUILD_TOOLS=ON -DCDC_BUILD_PYTHON=OFF -DCDC_BUILD_EXAMPLES=OFF \
  -DCDC_BUILD_BENCHMARKS=OFF > "$out.configure.log" 2>&1 || { cat "$out.configure.log" >&2; exit 1; }
cmake --build "$out" -j "$(nproc)" --target api_concurrency cdc_cli > "$out.build.log" 2>&1 ||
  { tail -40 "$out.build.log" >&2; exit 1; }
# Reports in libtorch's own (uninstrumented) code are not ours to act on.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1 ${TSAN_OPTIONS:-}"
"$out/tests/api_concurrency"

# The tool: a batch decode interrupted by Ctrl-C (exit 6; a report exits 66).
cdc=$out/tools/cdc
if "$cdc" models --json | grep -q '"name"'; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 "$src/tests/scripts/make_test_images.py" "$tmp/img" > /dev/null
  mkdir -p "$tmp/streams"
  # Streams without a residual layer, so that --steps 4000 makes the decodes long
  # (a residual stream decodes with its own steps).
  for f in rgb gray rgba; do
    "$cdc" encode --quiet --residual 0 "$tmp/img/$f.png" "$tmp/streams/$f.cdc"
  done
  for delay in 1 3; do
    "$cdc" decode --steps 4000 "$tmp"/streams/*.cdc -o "$tmp/out" --jobs 2 > /dev/null 2> "$tmp/log" &
    pid=$!
    sleep "$delay"
    kill -INT "$pid" 2> /dev/null || true
    rc=0
    wait "$pid" || rc=$?
    if [ "$rc" -ne 6 ]; then
      cat "$tmp/log" >&2
      echo "tsan: FAILED: a batch decode interrupted after ${delay} s exited $rc, expected 6" >&2
      exit 1
    fi
    echo "ok: batch decode interrupted after ${delay} s (exit 6, no race reported)"
  done
else
  echo "tsan: no built-in model; the batch cancellation check is skipped"
fi
echo "tsan: OK"
