#!/usr/bin/env bash
# train_cli.sh SOURCE_DIR BUILD_DIR
# cdc-train as a user meets it: bad arguments and inputs fail with a message
# (never a crash or a half-written file); a tiny run on synthetic photos that
# is stopped (--stop-after) and resumed in a new process ends bit-identical to
# an uninterrupted run; the CSV logs and run.json are written; the exported
# model encodes and decodes with the cdc tool.
set -uo pipefail
src=$(cd "${1:?usage: train_cli.sh SOURCE_DIR BUILD_DIR}" && pwd)
build=$(cd "${2:?usage: train_cli.sh SOURCE_DIR BUILD_DIR}" && pwd)
train=$build/tools/cdc-train
cdc=$build/tools/cdc
[ -x "$train" ] || { echo "FAILED: $train not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAILED: $*" >&2; failures=$((failures + 1)); }

# shellcheck source=lib/expect.sh
. "$src/tests/scripts/lib/expect.sh"
err_mentions() {
  grep -qi -- "$1" "$tmp/err.txt" || { fail "stderr does not mention '$1'"; sed 's/^/  | /' "$tmp/err.txt" >&2; }
}

# Synthetic photos: smooth gradients with a disc, as PNG and JPEG.
mkdir -p "$tmp/photos" "$tmp/val" "$tmp/empty"
/usr/bin/python3 - "$tmp" <<'PY' || { echo "FAILED: cannot make test photos" >&2; exit 1; }
import sys
import numpy as np
from PIL import Image
tmp = sys.argv[1]
def photo(i, h, w):
    yy, xx = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    disc = ((yy - 0.5) ** 2 + (xx - 0.3 - 0.1 * i) ** 2 < 0.05).astype(float)
    rgb = np.stack([0.8 * yy + 0.2 * disc, xx, 0.5 + 0.3 * np.sin(xx * 8 * np.pi) * disc], -1)
    return Image.fromarray((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8))
for i in range(3):
    photo(i, 96, 128).save(f"{tmp}/photos/p{i}.png")
photo(3, 80, 96).save(f"{tmp}/photos/p3.jpg", quality=95)
photo(4, 40, 40).save(f"{tmp}/photos/small.png")   # below the crop: skipped
photo(5, 70, 90).save(f"{tmp}/val/v0.png")
open(f"{tmp}/photos/notes.txt", "w").write("not a photo")
PY

tiny=(--config golden-x8 --crop 64 --batch 2 --steps 6 --threads 1 --log-every 2 --seed 3)

expect 106 "missing --run" -- "$train" --train-dir "$tmp/photos"
expect 1 "rho without LPIPS weights" -- "$train" --run "$tmp/r0" --train-dir "$tmp/photos" "${tiny[@]}" --rho 0.5
err_mentions "LPIPS"
expect 1 "crop not a multiple of 64" -- "$train" --run "$tmp/r0" --train-dir "$tmp/photos" "${tiny[@]}" --crop 100
err_mentions "multiple of 64"
expect 1 "no photos" -- "$train" --run "$tmp/r0" --train-dir "$tmp/empty" "${tiny[@]}"
err_mentions "no PNG or JPEG"
expect 1 "missing folder" -- "$train" --run "$tmp/r0" --train-dir "$tmp/nope" "${tiny[@]}"
expect 1 "unknown preset" -- "$train" --run "$tmp/r0" --train-dir "$tmp/photos" "${tiny[@]}" --config nope
expect 1 "unknown init model" -- "$train" --run "$tmp/r0" --train-dir "$tmp/photos" "${tiny[@]}" --init nope
expect 1 "epsilon-param config" -- "$train" --run "$tmp/r0" --train-dir "$tmp/photos" "${tiny[@]}" --config golden-eps8
err_mentions "x-param"
cp "$tmp/photos/p0.png" "$tmp/bad.png"; head -c 200 "$tmp/bad.png" > "$tmp/photos/truncated.png"
expect 1 "a truncated photo" -- "$train" --run "$tmp/r0" --train-dir "$tmp/photos" "${tiny[@]}"
err_mentions "truncated.png"
rm -f "$tmp/photos/truncated.png"
[ -e "$tmp/r0/model.cdcm" ] && fail "a failed run left a model file"

# An uninterrupted run, and one stopped after 3 steps and resumed.
expect 0 "tiny run" -- "$train" --run "$tmp/a" --train-dir "$tmp/photos" --val-dir "$tmp/val" "${tiny[@]}"
grep -q "1 smaller than the crop skipped" "$tmp/out.txt" || fail "the small photo was not reported as skipped"
expect 0 "tiny run, first part" -- "$train" --run "$tmp/b" --train-dir "$tmp/photos" --val-dir "$tmp/val" "${tiny[@]}" --stop-after 3
grep -q "stop-after reached at step 3/6" "$tmp/out.txt" || fail "no stop message"
# The resumed call passes a different seed: the checkpoint's settings win.
expect 0 "tiny run, resumed" -- "$train" --run "$tmp/b" --train-dir "$tmp/photos" --val-dir "$tmp/val" "${tiny[@]}" --seed 99
grep -q "resuming" "$tmp/out.txt" || fail "the second call did not resume"
if cmp -s "$tmp/a/model.cdcm" "$tmp/b/model.cdcm"; then
  echo "ok: resumed run is bit-identical to the uninterrupted one"
else
  fail "resumed run differs from the uninterrupted one"
fi
for f in checkpoint.ckpt model.cdcm train.csv val.csv run.json; do
  [ -s "$tmp/a/$f" ] || fail "run folder lacks $f"
done
[ "$(head -n 1 "$tmp/a/train.csv")" = "step,seconds,steps_per_s,loss,bpp,mse,head_mse,median_loss,lambda,lr" ] \
  || fail "train.csv header"
[ "$(wc -l < "$tmp/a/train.csv")" -eq 4 ] || fail "train.csv should have 3 rows"
[ "$(wc -l < "$tmp/b/train.csv")" -eq 4 ] || fail "the resumed train.csv should have 3 rows"
[ "$(wc -l < "$tmp/a/val.csv")" -eq 2 ] || fail "val.csv should have 1 row"
ls -a "$tmp/a" | grep -q '\.tmp' && fail "temporary files left in the run folder"

# A finished run does nothing more; the export is a model the cdc tool uses.
expect 0 "finished run" -- "$train" --run "$tmp/a" --train-dir "$tmp/photos" "${tiny[@]}"
if [ -x "$cdc" ]; then
  expect 0 "encode with the exported model" -- "$cdc" encode "$tmp/val/v0.png" "$tmp/v0.cdc" --model "$tmp/a/model.cdcm"
  expect 0 "decode with the exported model" -- "$cdc" decode "$tmp/v0.cdc" "$tmp/v0.png" --model "$tmp/a/model.cdcm"
  expect 0 "info" -- "$cdc" info "$tmp/v0.cdc"
fi

# --validate-only: the RD point of a model on held-out photos, nothing written.
expect 0 "validate a model file" -- "$train" --validate-only "$tmp/a/model.cdcm" --val-dir "$tmp/val" --threads 1
grep -q "^photos,bpp,psnr" "$tmp/out.txt" || fail "--validate-only printed no CSV"
expect 1 "validate without --val-dir" -- "$train" --validate-only "$tmp/a/model.cdcm"
expect 1 "validate a missing model" -- "$train" --validate-only "$tmp/nope.cdcm" --val-dir "$tmp/val"
expect 108 "validate-only excludes --run" -- "$train" --validate-only "$tmp/a/model.cdcm" --run "$tmp/a" --val-dir "$tmp/val"

# A damaged checkpoint is refused with a message.
head -c 1000 "$tmp/a/checkpoint.ckpt" > "$tmp/a/cut" && mv "$tmp/a/cut" "$tmp/a/checkpoint.ckpt"
expect 1 "damaged checkpoint" -- "$train" --run "$tmp/a" --train-dir "$tmp/photos" "${tiny[@]}"
err_mentions "checkpoint"

if [ "$failures" -ne 0 ]; then
  echo "train_cli.sh: $failures failure(s)" >&2
  exit 1
fi
echo "train_cli.sh: all checks passed"
