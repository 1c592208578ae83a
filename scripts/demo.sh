#!/usr/bin/env bash
# demo.sh - sets up a Debian 12 machine, builds libcdc and compresses then
# decompresses the bundled photo data/sample.png with the default model,
# printing the rate (bpp), the quality (PSNR) and the times.
#
#   bash scripts/demo.sh [IMAGE]       (any PNG or JPEG; default data/sample.png)
#   CDC_SKIP_SETUP=1 / CDC_BUILD_DIR=... as for scripts/test.sh;
#   CDC_DEMO_ARGS="--steps 20" passes options to `cdc`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${CDC_BUILD_DIR:-$root/build}
jobs=${CDC_JOBS:-$(nproc)}
image=${1:-$root/data/sample.png}

if [ "${CDC_SKIP_SETUP:-0}" != 1 ]; then
  bash "$root/scripts/setup-debian.sh"
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CDC_CMAKE_ARGS:-} > /dev/null
cmake --build "$build" -j "$jobs" --target cdc_cli

cdc=$build/tools/cdc
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
name=$(basename "${image%.*}")

echo
"$cdc" --version
"$cdc" models
echo
# shellcheck disable=SC2086
"$cdc" encode ${CDC_DEMO_ARGS:-} "$image" "$out/$name.cdc"
# shellcheck disable=SC2086
"$cdc" decode ${CDC_DEMO_ARGS:-} "$out/$name.cdc" "$out/$name.decoded.png"
echo
"$cdc" info "$out/$name.cdc"
"$cdc" compare "$image" "$out/$name.decoded.png"

if [ -n "${CDC_DEMO_KEEP:-}" ]; then
  mkdir -p "$CDC_DEMO_KEEP"
  cp "$out/$name.cdc" "$out/$name.decoded.png" "$CDC_DEMO_KEEP/"
  echo "kept the stream and the decoded image in $CDC_DEMO_KEEP"
fi
