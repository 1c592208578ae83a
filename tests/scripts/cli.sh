#!/usr/bin/env bash
# cli.sh SOURCE_DIR BUILD_DIR
# The `cdc` tool as a user meets it: usage errors, every documented exit
# code we can provoke, image reading (PNG gray/gray+alpha/RGB/RGBA/palette/
# 1-bit/16-bit, 1x1, JPEG gray/RGB; truncated, corrupt, CMYK, empty and
# oversized files fail cleanly), atomic output (no partial file, an existing
# file is never replaced by a failed run) and, when a model is available, a
# real encode/decode/info round trip and Ctrl-C cancellation. Many files
# (-o DIR, --jobs): output names, a bad file does not stop the others, the
# exit code of the first failure, cancellation; `-` as standard input and
# output.
set -uo pipefail
src=$(cd "${1:?usage: cli.sh SOURCE_DIR BUILD_DIR}" && pwd)
build=$(cd "${2:?usage: cli.sh SOURCE_DIR BUILD_DIR}" && pwd)
cdc=$build/tools/cdc
[ -x "$cdc" ] || { echo "FAILED: $cdc not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# shellcheck source=lib/expect.sh
. "$src/tests/scripts/lib/expect.sh"
# no_leftovers DIR: no temporary file may remain after a failed write.
no_leftovers() {
  local left
  left=$(find "$1" -maxdepth 1 -name '.*.tmp-*')
  if [ -n "$left" ]; then
    echo "FAILED: temporary files left in $1: $left" >&2
    failures=$((failures + 1))
  fi
}

python3 "$src/tests/scripts/make_test_images.py" "$tmp/img" || { echo "FAILED: cannot make test images" >&2; exit 1; }
printf 'P6\n24 16\n255\n' > "$tmp/img/rgb.ppm"
head -c $((24 * 16 * 3)) /dev/urandom >> "$tmp/img/rgb.ppm"
if command -v cjpeg > /dev/null; then
  cjpeg -quality 90 "$tmp/img/rgb.ppm" > "$tmp/img/rgb.jpg"
  cjpeg -grayscale "$tmp/img/rgb.ppm" > "$tmp/img/gray.jpg"
fi
if python3 -c 'import PIL' 2> /dev/null; then
  python3 -c 'import sys; from PIL import Image; Image.new("CMYK", (8, 8), (0, 128, 255, 0)).save(sys.argv[1], "JPEG")' "$tmp/img/cmyk.jpg"
fi

# --- usage ---------------------------------------------------------------
expect 0 "--version" -- "$cdc" --version
grep -q "bitstream format" "$tmp/out.txt" || { echo "FAILED: --version lacks the format version" >&2; failures=$((failures + 1)); }
expect 0 "--help" -- "$cdc" --help
grep -q "Exit codes" "$tmp/out.txt" || { echo "FAILED: --help does not document the exit codes" >&2; failures=$((failures + 1)); }
expect 1 "no subcommand" -- "$cdc"
expect 1 "unknown subcommand" -- "$cdc" frobnicate
expect 1 "encode without arguments" -- "$cdc" encode
expect 1 "non-numeric --steps" -- "$cdc" encode "$tmp/img/rgb.png" "$tmp/x.cdc" --steps many
expect 1 "decode to an unknown extension" -- "$cdc" decode "$tmp/img/rgb.png" "$tmp/out.bmp"
expect 1 "JPEG quality out of range" -- "$cdc" decode "$tmp/x.cdc" "$tmp/out.jpg" -q 101
expect 1 "--threads out of bounds" -- "$cdc" encode "$tmp/img/rgb.png" "$tmp/x.cdc" --threads 100000
expect 0 "models" -- "$cdc" models
expect 0 "models --json" -- "$cdc" models --json

# --- unreadable input (2) ------------------------------------------------
expect 2 "encode a missing file" -- "$cdc" encode "$tmp/nope.png" "$tmp/x.cdc"
expect 2 "encode a directory" -- "$cdc" encode "$tmp" "$tmp/x.cdc"
for bad in truncated.png bad_crc.png not_an_image.png empty.png huge_header.png truncated.jpg; do
  expect 2 "encode $bad" -- "$cdc" encode "$tmp/img/$bad" "$tmp/x.cdc"
done
if [ -f "$tmp/img/cmyk.jpg" ]; then
  expect 2 "encode a CMYK JPEG" -- "$cdc" encode "$tmp/img/cmyk.jpg" "$tmp/x.cdc"
  grep -q CMYK "$tmp/err.txt" || { echo "FAILED: no clear CMYK message" >&2; failures=$((failures + 1)); }
fi
expect 2 "--max-pixels below the image size" -- "$cdc" encode "$tmp/img/rgb.png" "$tmp/x.cdc" --max-pixels 100
expect 1 "--max-pixels 0 (out of bounds, a usage error)" -- "$cdc" encode "$tmp/img/rgb.png" "$tmp/x.cdc" --max-pixels 0
expect 1 "compare with --max-pixels 0" -- "$cdc" compare "$tmp/img/rgb.png" "$tmp/img/rgb.png" --max-pixels 0
# Inputs are read with a cap (pixel limit x 8 bytes + 64 MiB): /dev/zero ends quickly.
expect 2 "encode /dev/zero" -- timeout 60 "$cdc" encode /dev/zero "$tmp/x.cdc" --max-pixels 1000
grep -q "limit" "$tmp/err.txt" || { echo "FAILED: /dev/zero: no size-limit message" >&2; failures=$((failures + 1)); }
expect 2 "info /dev/zero" -- timeout 60 "$cdc" info /dev/zero --max-pixels 1000
# An output that is the input itself is refused; the input stays.
cp "$tmp/img/rgb.png" "$tmp/self.png"
expect 1 "encode a file onto itself" -- "$cdc" encode "$tmp/self.png" "$tmp/self.png"
cmp -s "$tmp/img/rgb.png" "$tmp/self.png" || { echo "FAILED: encode replaced its own input" >&2; failures=$((failures + 1)); }
ln -sf "$tmp/self.png" "$tmp/self_link.png"
expect 1 "encode a file onto a link to itself" -- "$cdc" encode "$tmp/self.png" "$tmp/self_link.png"
cmp -s "$tmp/img/rgb.png" "$tmp/self.png" || { echo "FAILED: encode replaced its own input" >&2; failures=$((failures + 1)); }
expect 2 "convert a directory" -- "$cdc" convert "$tmp" "$tmp/m.cdcm"
[ ! -e "$tmp/x.cdc" ] || { echo "FAILED: a failed encode wrote output" >&2; failures=$((failures + 1)); }

# --- corrupt streams (3) -------------------------------------------------
expect 2 "decode a missing file" -- "$cdc" decode "$tmp/nope.cdc" "$tmp/out.png"
expect 3 "decode a text file" -- "$cdc" decode "$tmp/img/not_an_image.png" "$tmp/out.png"
expect 3 "decode an empty file" -- "$cdc" decode "$tmp/img/empty.png" "$tmp/out.png"
grep -q "empty" "$tmp/err.txt" || { echo "FAILED: an empty stream is not called empty" >&2; failures=$((failures + 1)); }
expect 1 "decode a file onto itself" -- "$cdc" decode "$tmp/img/empty.png" "$tmp/img/empty.png"
expect 3 "info on a PNG" -- "$cdc" info "$tmp/img/rgb.png"
expect 2 "info on a missing file" -- "$cdc" info "$tmp/nope.cdc"

# --- atomic output: a failed run never replaces an existing file --------
mkdir -p "$tmp/outdir"
echo "precious" > "$tmp/outdir/keep.png"
expect 3 "decode garbage over an existing file" -- "$cdc" decode "$tmp/img/not_an_image.png" "$tmp/outdir/keep.png"
grep -qx precious "$tmp/outdir/keep.png" || { echo "FAILED: an existing output was replaced" >&2; failures=$((failures + 1)); }
no_leftovers "$tmp/outdir"
expect 7 "encode into a missing directory" -- "$cdc" encode "$tmp/img/rgb.png" "$tmp/no/such/dir/x.cdc"

# --- many files (-o DIR) and `-`: usage and input errors -------------------
expect 1 "encode with three names and no -o" -- "$cdc" encode "$tmp/img/rgb.png" "$tmp/img/gray.png" "$tmp/x.cdc"
grep -q -- "-o DIR" "$tmp/err.txt" || { echo "FAILED: no hint at -o DIR" >&2; failures=$((failures + 1)); }
expect 1 "encode with one name and no -o" -- "$cdc" encode "$tmp/img/rgb.png"
expect 1 "- as an input with -o" -- "$cdc" encode - "$tmp/img/rgb.png" -o "$tmp/batch"
mkdir -p "$tmp/dup" && cp "$tmp/img/rgb.png" "$tmp/dup/rgb.png"
expect 1 "two inputs with the same output name" -- "$cdc" encode "$tmp/img/rgb.png" "$tmp/dup/rgb.png" -o "$tmp/batch"
expect 1 "--jobs 0" -- "$cdc" encode "$tmp/img/rgb.png" "$tmp/img/gray.png" -o "$tmp/batch" --jobs 0
expect 1 "decode --format bmp" -- "$cdc" decode - - --format bmp
expect 1 "decode --format contradicting the output name" -- "$cdc" decode "$tmp/nope.cdc" "$tmp/out.png" --format jpg
[ ! -e "$tmp/batch" ] || { echo "FAILED: a usage error created the output folder" >&2; failures=$((failures + 1)); }
expect 1 "-o NAME.cdc (a file name) with two inputs" -- "$cdc" encode "$tmp/img/rgb.png" "$tmp/img/gray.png" -o "$tmp/two.cdc"
[ ! -e "$tmp/two.cdc" ] || { echo "FAILED: -o NAME.cdc with two inputs created $tmp/two.cdc" >&2; failures=$((failures + 1)); }
touch "$tmp/plainfile"
expect 7 "-o naming a file, not a folder" -- "$cdc" encode "$tmp/img/rgb.png" "$tmp/img/gray.png" -o "$tmp/plainfile"
# Every file is tried; the exit code is the first failure's in command-line order.
expect 2 "encode two bad files into a folder" -- "$cdc" encode "$tmp/nope.png" "$tmp/img/truncated.png" -o "$tmp/bad_batch"
if ! grep -q "nope.png" "$tmp/err.txt" || ! grep -q "truncated.png" "$tmp/err.txt"; then
  echo "FAILED: not every failed file was reported" >&2; failures=$((failures + 1))
fi
grep -q "2 of 2 files failed" "$tmp/err.txt" || { echo "FAILED: no summary of the failures" >&2; failures=$((failures + 1)); }
expect 3 "decode bad files: the first failure's code (3, then 2)" -- "$cdc" decode "$tmp/img/not_an_image.png" "$tmp/nope.cdc" -o "$tmp/bad_batch"
expect 2 "decode bad files: the first failure's code (2, then 3)" -- "$cdc" decode "$tmp/nope.cdc" "$tmp/img/not_an_image.png" -o "$tmp/bad_batch" --jobs 2
[ -z "$(ls -A "$tmp/bad_batch")" ] || { echo "FAILED: failed files left output: $(ls -A "$tmp/bad_batch")" >&2; failures=$((failures + 1)); }
# Standard input: the size cap holds, corrupt data fails cleanly.
expect 2 "encode - from /dev/zero (size cap)" -- timeout 60 "$cdc" encode - "$tmp/x.cdc" --max-pixels 1000 < /dev/zero
grep -q "standard input.*limit" "$tmp/err.txt" || { echo "FAILED: stdin: no size-limit message" >&2; failures=$((failures + 1)); }
expect 3 "decode - - of text" -- "$cdc" decode - - < "$tmp/img/not_an_image.png"
[ ! -s "$tmp/out.txt" ] || { echo "FAILED: a failed decode to stdout wrote to stdout" >&2; failures=$((failures + 1)); }
expect 2 "encode - of a truncated PNG" -- "$cdc" encode - "$tmp/x.cdc" < "$tmp/img/truncated.png"
[ ! -e "$tmp/x.cdc" ] || { echo "FAILED: a failed encode wrote output" >&2; failures=$((failures + 1)); }

# --- model errors (5) ----------------------------------------------------
expect 5 "--model that is neither a built-in name nor a file" -- "$cdc" encode "$tmp/img/rgb.png" "$tmp/x.cdc" --model no-such-model
expect 5 "--model that is not a model file" -- "$cdc" encode "$tmp/img/rgb.png" "$tmp/x.cdc" --model "$tmp/img/rgb.png"
expect 2 "convert a missing checkpoint" -- "$cdc" convert "$tmp/nope.pt" "$tmp/m.cdcm"
expect 5 "convert a non-checkpoint" -- "$cdc" convert "$tmp/img/rgb.png" "$tmp/m.cdcm"
[ ! -e "$tmp/m.cdcm" ] || { echo "FAILED: a failed convert wrote output" >&2; failures=$((failures + 1)); }

# --- with a model: real round trips --------------------------------------
model=${CDC_TEST_MODEL:-}
if [ -z "$model" ]; then
  for candidate in "$build"/tests/data/*.cdcm "$build"/tests/*.cdcm "$src"/tests/data/*.cdcm; do
    if [ -f "$candidate" ]; then model=$candidate; break; fi
  done
fi
model_args=()
[ -n "$model" ] && model_args=(--model "$model")
if [ -z "$model" ] && ! "$cdc" models --json | grep -q '"name"'; then
  # Valid images are read, then the missing model fails (5), not the image (2).
  for good in rgb.png rgba.png gray.png gray_alpha.png rgb16.png palette.png gray1bit.png one_pixel.png rgb.jpg gray.jpg; do
    [ -f "$tmp/img/$good" ] && expect 5 "encode $good with no model available" -- "$cdc" encode "$tmp/img/$good" "$tmp/x.cdc"
  done
  no_leftovers "$tmp"
  echo "NOTE: no model (no test model file, no built-in model): round trips not run"
else
  echo "model: ${model:-built-in default}"
  for good in rgb.png rgba.png gray.png gray_alpha.png rgb16.png palette.png gray1bit.png one_pixel.png rgb.jpg gray.jpg; do
    [ -f "$tmp/img/$good" ] || continue
    expect 0 "encode $good" -- "$cdc" encode --quiet "${model_args[@]}" "$tmp/img/$good" "$tmp/$good.cdc"
    expect 0 "decode $good.cdc to PNG" -- "$cdc" decode --quiet --steps 3 "${model_args[@]}" "$tmp/$good.cdc" "$tmp/$good.out.png"
    expect 0 "compare $good" -- "$cdc" compare "$tmp/img/$good" "$tmp/$good.out.png"
  done
  expect 0 "decode to JPEG" -- "$cdc" decode --quiet --steps 3 "${model_args[@]}" "$tmp/rgba.png.cdc" "$tmp/rgba.out.jpg" -q 80
  # Tiles: a stream encoded in tiles decodes whole and in other tiles, close to the whole decode.
  python3 -c 'import sys; from PIL import Image; Image.open(sys.argv[1]).convert("RGB").resize((300, 200)).save(sys.argv[2])' \
    "$tmp/img/rgb.png" "$tmp/wide.png" 2> /dev/null || cp "$tmp/img/rgb.png" "$tmp/wide.png"
  expect 0 "encode with --tile 128" -- "$cdc" encode --quiet --tile 128 --tile-overlap 64 "${model_args[@]}" "$tmp/wide.png" "$tmp/wide.cdc"
  expect 0 "decode whole (--tile 0)" -- "$cdc" decode --quiet --tile 0 "${model_args[@]}" "$tmp/wide.cdc" "$tmp/wide0.png"
  expect 0 "decode with --tile 64" -- "$cdc" decode --quiet --tile 64 "${model_args[@]}" "$tmp/wide.cdc" "$tmp/wide64.png"
  expect 0 "compare tiled with whole" -- "$cdc" compare "$tmp/wide0.png" "$tmp/wide64.png"
  awk '/PSNR/ { exit !($2 > 30) }' "$tmp/out.txt" || { echo "FAILED: tiled decode far from the whole decode: $(cat "$tmp/out.txt")" >&2; failures=$((failures + 1)); }
  expect 1 "--tile below 64" -- "$cdc" decode --quiet --tile 10 "${model_args[@]}" "$tmp/wide.cdc" "$tmp/wide10.png"
  # A stream that passes every checksum but fails in the entropy decoder must not make the
  # output's pages resident: decoding an 8192x8192 one costs no more memory than a 64x64 one.
  if [ -x /usr/bin/time ]; then
  python3 "$src/tests/scripts/lib/craft_stream.py" "$tmp/rgb.png.cdc" 64 "$tmp/craft64.cdc"
  python3 "$src/tests/scripts/lib/craft_stream.py" "$tmp/rgb.png.cdc" 8192 "$tmp/craft8192.cdc"
  expect 3 "decode a damaged 64x64 payload" -- /usr/bin/time -f "rss %M" -o "$tmp/rss64" "$cdc" decode --quiet "${model_args[@]}" "$tmp/craft64.cdc" "$tmp/craft.png"
  expect 3 "decode a damaged 8192x8192 payload" -- /usr/bin/time -f "rss %M" -o "$tmp/rss8192" "$cdc" decode --quiet "${model_args[@]}" "$tmp/craft8192.cdc" "$tmp/craft.png"
  rss64=$(awk '/rss/ { print $2 }' "$tmp/rss64"); rss8192=$(awk '/rss/ { print $2 }' "$tmp/rss8192")
  [ -n "$rss64" ] && [ -n "$rss8192" ] && [ $((rss8192 - rss64)) -lt 65536 ] || { echo "FAILED: a damaged 8192x8192 stream took ${rss8192:-?} KB against ${rss64:-?} KB for 64x64" >&2; failures=$((failures + 1)); }
  [ ! -e "$tmp/craft.png" ] || { echo "FAILED: a failed decode wrote its output" >&2; failures=$((failures + 1)); }
  else
    echo "NOTE: /usr/bin/time missing (Debian: time): the damaged-payload memory check is not run"
  fi
  # Quality ladder, --target-bpp and --effort (built-in models).
  expect 1 "--effort out of range" -- "$cdc" encode --quiet --effort 5 "${model_args[@]}" "$tmp/img/rgb.png" "$tmp/e5.cdc"
  # --device: cuda is refused with a message naming CUDA where the engine's
  # libtorch lacks it (or no GPU is visible); where it runs, its stream
  # decodes on the CPU.
  expect 1 "--device tpu" -- "$cdc" encode --quiet --device tpu "${model_args[@]}" "$tmp/img/rgb.png" "$tmp/tpu.cdc"
  if "$cdc" encode --quiet --device cuda "${model_args[@]}" "$tmp/img/rgb.png" "$tmp/cuda.cdc" 2> "$tmp/cuda.err"; then
    expect 0 "decode a stream encoded on CUDA with the CPU" -- "$cdc" decode --quiet "${model_args[@]}" "$tmp/cuda.cdc" "$tmp/cuda.png"
  else
    grep -q CUDA "$tmp/cuda.err" || { echo "FAILED: --device cuda failed without saying why: $(cat "$tmp/cuda.err")" >&2; failures=$((failures + 1)); }
    [ ! -e "$tmp/cuda.cdc" ] || { echo "FAILED: a refused --device cuda encode wrote its output" >&2; failures=$((failures + 1)); }
  fi
  if "$cdc" models --json | grep -q '"quality": "1-'; then
    expect 0 "encode --quality 1" -- "$cdc" encode --quiet --quality 1 "$tmp/wide.png" "$tmp/q1.cdc"
    expect 0 "encode --quality 100" -- "$cdc" encode --quiet --quality 100 "$tmp/wide.png" "$tmp/q100.cdc"
    [ "$(stat -c %s "$tmp/q1.cdc")" -lt "$(stat -c %s "$tmp/q100.cdc")" ] || { echo "FAILED: --quality 100 is not larger than --quality 1" >&2; failures=$((failures + 1)); }
    expect 0 "decode a --quality stream with its built-in model" -- "$cdc" decode --quiet "$tmp/q1.cdc" "$tmp/q1.png"
    expect 1 "--quality 0" -- "$cdc" encode --quiet --quality 0 "$tmp/wide.png" "$tmp/q0.cdc"
    expect 1 "--quality 101" -- "$cdc" encode --quiet --quality 101 "$tmp/wide.png" "$tmp/q0.cdc"
    expect 1 "--quality with --model" -- "$cdc" encode --quiet --quality 50 --model default-mid "$tmp/wide.png" "$tmp/q0.cdc"
    expect 1 "--target-bpp with --quality" -- "$cdc" encode --quiet --quality 50 --target-bpp 0.5 "$tmp/wide.png" "$tmp/q0.cdc"
    [ ! -e "$tmp/q0.cdc" ] || { echo "FAILED: a refused encode wrote its output" >&2; failures=$((failures + 1)); }
    # A rate below the base model's own (a tiny image's header dominates):
    # the base stream alone, as --quality 1 writes it.
    expect 0 "encode --target-bpp below the base rate" -- "$cdc" encode --quiet --target-bpp 0.3 "$tmp/wide.png" "$tmp/t.cdc"
    cmp -s "$tmp/t.cdc" "$tmp/q1.cdc" || { echo "FAILED: --target-bpp 0.3 is not the base stream" >&2; failures=$((failures + 1)); }
    expect 0 "encode --target-bpp" -- "$cdc" encode --target-bpp 20 "$tmp/wide.png" "$tmp/t.cdc"
    grep -q "(residual step" "$tmp/out.txt" || { echo "FAILED: --target-bpp does not say which residual step it chose: $(cat "$tmp/out.txt")" >&2; failures=$((failures + 1)); }
    expect 0 "decode a --target-bpp stream" -- "$cdc" decode --quiet "$tmp/t.cdc" "$tmp/t.png"
    expect 0 "encode --residual with --model" -- "$cdc" encode --quiet --model default-xlow --residual 6 "$tmp/wide.png" "$tmp/r6.cdc"
    expect 0 "info of a residual stream" -- "$cdc" info "$tmp/r6.cdc"
    grep -q "residual layer:  step 6 " "$tmp/out.txt" || { echo "FAILED: info does not show the residual layer: $(cat "$tmp/out.txt")" >&2; failures=$((failures + 1)); }
    expect 1 "--residual with --quality" -- "$cdc" encode --quiet --quality 50 --residual 6 "$tmp/wide.png" "$tmp/q0.cdc"
    expect 1 "--residual out of range" -- "$cdc" encode --quiet --model default-xlow --residual 300 "$tmp/wide.png" "$tmp/q0.cdc"
    expect 1 "--residual below 0.25" -- "$cdc" encode --quiet --model default-xlow --residual 0.1 "$tmp/wide.png" "$tmp/q0.cdc"
    expect 0 "encode --effort 1" -- "$cdc" encode --quiet --effort 1 --quality 50 "$tmp/img/rgb.png" "$tmp/e1.cdc"
    expect 0 "decode an --effort 1 stream" -- "$cdc" decode --quiet "$tmp/e1.cdc" "$tmp/e1.png"
  fi
  # Float16 weights: about half the file, its streams encode and decode; a bad --weights is refused.
  golden=$src/tests/data/golden_x8/checkpoint.pt
  if [ -f "$golden" ]; then
    expect 0 "convert (float32)" -- "$cdc" convert --quiet "$golden" "$tmp/full.cdcm"
    expect 0 "convert --weights f16" -- "$cdc" convert --quiet --weights f16 "$golden" "$tmp/half.cdcm"
    [ "$(stat -c %s "$tmp/half.cdcm")" -lt $(( $(stat -c %s "$tmp/full.cdcm") * 6 / 10 )) ] || { echo "FAILED: the float16 model file is not about half the size" >&2; failures=$((failures + 1)); }
    expect 0 "encode with a float16 model" -- "$cdc" encode --quiet --model "$tmp/half.cdcm" "$tmp/img/rgb.png" "$tmp/half.cdc"
    expect 0 "decode with a float16 model" -- "$cdc" decode --quiet --steps 3 --model "$tmp/half.cdcm" "$tmp/half.cdc" "$tmp/half.png"
    expect 1 "convert --weights f8" -- "$cdc" convert --weights f8 "$golden" "$tmp/f8.cdcm"
    [ ! -e "$tmp/f8.cdcm" ] || { echo "FAILED: a refused convert wrote its output" >&2; failures=$((failures + 1)); }
  fi
  # Replacing an existing output keeps its permissions.
  cp "$tmp/img/rgb.png" "$tmp/mode.cdc" && chmod 0640 "$tmp/mode.cdc"
  expect 0 "encode over an existing file" -- "$cdc" encode --quiet "${model_args[@]}" "$tmp/img/rgb.png" "$tmp/mode.cdc"
  [ "$(stat -c %a "$tmp/mode.cdc")" = 640 ] || { echo "FAILED: the output's mode changed to $(stat -c %a "$tmp/mode.cdc")" >&2; failures=$((failures + 1)); }
  expect 0 "info" -- "$cdc" info "$tmp/rgb.png.cdc"
  expect 0 "info --json" -- "$cdc" info --json "$tmp/rgb.png.cdc"
  grep -q '"estimated_bits"' "$tmp/out.txt" || { echo "FAILED: info --json lacks estimated_bits" >&2; failures=$((failures + 1)); }
  # Truncated and damaged streams.
  size=$(wc -c < "$tmp/rgb.png.cdc")
  head -c $((size - 1)) "$tmp/rgb.png.cdc" > "$tmp/cut.cdc"
  expect 3 "decode a truncated stream" -- "$cdc" decode --quiet "${model_args[@]}" "$tmp/cut.cdc" "$tmp/cut.png"
  head -c 10 "$tmp/rgb.png.cdc" > "$tmp/cut10.cdc"
  expect 3 "decode a 10-byte stream" -- "$cdc" decode --quiet "${model_args[@]}" "$tmp/cut10.cdc" "$tmp/cut.png"
  [ ! -e "$tmp/cut.png" ] || { echo "FAILED: a failed decode wrote output" >&2; failures=$((failures + 1)); }
  # Ctrl-C during a long decode (4,000 steps; the test models have T = 8193):
  # exit 6, no output, no temporary file.
  # The signal is sent once the diffusion steps have begun (before main()
  # runs, a background job ignores SIGINT).
  "$cdc" decode --steps 4000 "${model_args[@]}" "$tmp/rgb.png.cdc" "$tmp/outdir/cancelled.png" > /dev/null 2> "$tmp/cancel.log" &
  pid=$!
  for _ in $(seq 600); do
    grep -q 'diffusion' "$tmp/cancel.log" 2> /dev/null && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.2
  done
  kill -INT "$pid" 2> /dev/null
  wait "$pid"
  rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "NOTE: the decode finished before Ctrl-C; cancellation not checked"
  elif [ "$rc" -ne 6 ]; then
    echo "FAILED: Ctrl-C: exit $rc, expected 6" >&2; failures=$((failures + 1))
  else
    echo "ok: Ctrl-C cancels (exit 6)"
    [ ! -e "$tmp/outdir/cancelled.png" ] || { echo "FAILED: a cancelled decode wrote output" >&2; failures=$((failures + 1)); }
  fi
  no_leftovers "$tmp/outdir"

  # Many files: names from the inputs, a bad file in the middle does not stop
  # the others, results on stdout, progress (files done) on stderr.
  mkdir -p "$tmp/many"
  cp "$tmp/img/rgb.png" "$tmp/many/a.png"
  cp "$tmp/img/gray.png" "$tmp/many/b.png"
  cp "$tmp/img/truncated.png" "$tmp/many/c.png"
  cp "$tmp/img/rgba.png" "$tmp/many/d.png"
  expect 2 "encode 4 files (one bad) -o DIR --jobs 2" -- "$cdc" encode "${model_args[@]}" "$tmp/many/a.png" "$tmp/many/b.png" "$tmp/many/c.png" "$tmp/many/d.png" -o "$tmp/many_cdc" --jobs 2
  for f in a b d; do
    [ -s "$tmp/many_cdc/$f.cdc" ] || { echo "FAILED: batch encode did not write $f.cdc" >&2; failures=$((failures + 1)); }
  done
  [ ! -e "$tmp/many_cdc/c.cdc" ] || { echo "FAILED: the bad file has output" >&2; failures=$((failures + 1)); }
  grep -q "c.png" "$tmp/err.txt" || { echo "FAILED: the bad file is not reported" >&2; failures=$((failures + 1)); }
  grep -q "4/4 files" "$tmp/err.txt" || { echo "FAILED: no files-done progress" >&2; failures=$((failures + 1)); }
  [ "$(grep -c -- '->' "$tmp/out.txt")" -eq 3 ] || { echo "FAILED: expected 3 result lines on stdout" >&2; failures=$((failures + 1)); }
  cmp -s "$tmp/many_cdc/a.cdc" "$tmp/rgb.png.cdc" || { echo "FAILED: batch encode differs from a single encode" >&2; failures=$((failures + 1)); }
  no_leftovers "$tmp/many_cdc"
  expect 0 "decode 3 files -o DIR --format jpg --jobs 3" -- "$cdc" decode --quiet --steps 3 "${model_args[@]}" "$tmp"/many_cdc/*.cdc -o "$tmp/many_jpg" --format jpg --jobs 3
  for f in a b d; do
    head -c 3 "$tmp/many_jpg/$f.jpg" 2> /dev/null | od -An -tx1 | grep -q "ff d8 ff" ||
      { echo "FAILED: batch decode did not write $f.jpg" >&2; failures=$((failures + 1)); }
  done
  [ ! -s "$tmp/out.txt" ] || { echo "FAILED: --quiet batch printed to stdout" >&2; failures=$((failures + 1)); }
  expect 0 "decode one file with -o DIR (PNG)" -- "$cdc" decode --quiet --steps 3 "${model_args[@]}" "$tmp/many_cdc/a.cdc" -o "$tmp/one_png"
  cmp -s "$tmp/one_png/a.png" "$tmp/rgb.png.out.png" || { echo "FAILED: -o decode differs from IN OUT decode" >&2; failures=$((failures + 1)); }
  # -o with a file name (cwebp's and avifenc's spelling) and one input: that file.
  expect 0 "encode one file with -o NAME.cdc" -- "$cdc" encode --quiet "${model_args[@]}" "$tmp/many/a.png" -o "$tmp/named.cdc"
  cmp -s "$tmp/named.cdc" "$tmp/many_cdc/a.cdc" || { echo "FAILED: -o NAME.cdc did not write the stream to NAME.cdc" >&2; failures=$((failures + 1)); }
  expect 0 "decode one file with -o NAME.png" -- "$cdc" decode --quiet --steps 3 "${model_args[@]}" "$tmp/many_cdc/a.cdc" -o "$tmp/named.png"
  cmp -s "$tmp/named.png" "$tmp/rgb.png.out.png" || { echo "FAILED: -o NAME.png did not write the image to NAME.png" >&2; failures=$((failures + 1)); }
  mkdir -p "$tmp/dir.cdc"
  expect 0 "encode with -o naming an existing folder that ends in .cdc" -- "$cdc" encode --quiet "${model_args[@]}" "$tmp/many/a.png" -o "$tmp/dir.cdc"
  [ -s "$tmp/dir.cdc/a.cdc" ] || { echo "FAILED: -o EXISTING_FOLDER.cdc did not write into the folder" >&2; failures=$((failures + 1)); }

  # `-`: standard input and output; stdout carries only the data.
  expect 0 "encode - - (stdin to stdout)" -- "$cdc" encode "${model_args[@]}" - - < "$tmp/img/rgb.png"
  cmp -s "$tmp/out.txt" "$tmp/rgb.png.cdc" || { echo "FAILED: encode - - differs from a file encode" >&2; failures=$((failures + 1)); }
  grep -q "standard output" "$tmp/err.txt" || { echo "FAILED: encode - -: no result line on stderr" >&2; failures=$((failures + 1)); }
  cp "$tmp/out.txt" "$tmp/stdin.cdc"
  expect 0 "decode - - (stdin to stdout, PNG)" -- "$cdc" decode --steps 3 "${model_args[@]}" - - < "$tmp/stdin.cdc"
  cmp -s "$tmp/out.txt" "$tmp/rgb.png.out.png" || { echo "FAILED: decode - - differs from a file decode" >&2; failures=$((failures + 1)); }
  grep -q "diffusion" "$tmp/err.txt" || { echo "FAILED: decode - -: no progress on stderr" >&2; failures=$((failures + 1)); }
  # shellcheck disable=SC2002 # a pipe, not a file, on stdin
  if cat "$tmp/stdin.cdc" | "$cdc" decode --quiet --steps 3 "${model_args[@]}" --format jpg - - > "$tmp/piped.jpg" 2> "$tmp/err.txt" &&
      head -c 3 "$tmp/piped.jpg" | od -An -tx1 | grep -q "ff d8 ff"; then
    echo "ok: cat x.cdc | cdc decode --format jpg - - > out.jpg"
  else
    echo "FAILED: decode from a pipe to JPEG on stdout" >&2; failures=$((failures + 1))
  fi
  expect 0 "decode - FILE" -- "$cdc" decode --quiet --steps 3 "${model_args[@]}" - "$tmp/from_stdin.png" < "$tmp/stdin.cdc"
  cmp -s "$tmp/from_stdin.png" "$tmp/rgb.png.out.png" || { echo "FAILED: decode - FILE differs" >&2; failures=$((failures + 1)); }

  # Ctrl-C during a batch: exit 6, no output, no temporary file.
  "$cdc" decode --steps 4000 "${model_args[@]}" "$tmp/many_cdc/a.cdc" "$tmp/many_cdc/b.cdc" "$tmp/many_cdc/d.cdc" \
    -o "$tmp/outdir/batch" --jobs 2 > /dev/null 2> "$tmp/cancel_batch.log" &
  pid=$!
  sleep 3
  kill -INT "$pid" 2> /dev/null
  wait "$pid"
  rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "NOTE: the batch decode finished before Ctrl-C; cancellation not checked"
  elif [ "$rc" -ne 6 ]; then
    echo "FAILED: Ctrl-C in a batch: exit $rc, expected 6" >&2; failures=$((failures + 1))
    sed 's/^/  | /' "$tmp/cancel_batch.log" >&2
  else
    echo "ok: Ctrl-C cancels a batch (exit 6)"
    [ -z "$(ls -A "$tmp/outdir/batch" 2> /dev/null)" ] ||
      { echo "FAILED: a cancelled batch left files: $(ls -A "$tmp/outdir/batch")" >&2; failures=$((failures + 1)); }
  fi
fi

# --- built-in models: a stream of any of them decodes with no --model --------
builtins=$("$cdc" models --json | grep -o '"name": "[^"]*"' | sed 's/.*: "//; s/"$//')
if [ "$(echo "$builtins" | grep -c .)" -ge 2 ]; then
  second=$(echo "$builtins" | sed -n 2p)
  expect 0 "encode with built-in $second" -- "$cdc" encode --quiet --model "$second" "$tmp/img/rgb.png" "$tmp/second.cdc"
  expect 0 "decode it with no --model (the stream's built-in model)" -- "$cdc" decode --quiet "$tmp/second.cdc" "$tmp/second.png"
  expect 4 "decode it with the wrong --model" -- "$cdc" decode --quiet --model "$(echo "$builtins" | sed -n 1p)" "$tmp/second.cdc" "$tmp/second2.png"
fi

if [ "$failures" -ne 0 ]; then
  echo "cli: $failures check(s) FAILED" >&2
  exit 1
fi
echo "cli: OK"
