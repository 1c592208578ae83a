#!/usr/bin/env bash
# make_model_seeds.sh CDC_TRAIN PHOTO OUT_DIR - writes small, valid model files
# (the seeds of fuzz_model_load): tiny configurations (widths 1 and 2, one
# compressor stage, T = 3, x-param) trained by cdc-train
# for one step on a 64x64 crop of PHOTO, so that every tensor has the name and
# shape its configuration gives; each also with float16 weights (format
# version 2, `cdc convert --weights f16`; the cdc tool beside CDC_TRAIN).
set -euo pipefail
train=${1:?usage: make_model_seeds.sh CDC_TRAIN PHOTO OUT_DIR}
photo=${2:?usage: make_model_seeds.sh CDC_TRAIN PHOTO OUT_DIR}
out=${3:?usage: make_model_seeds.sh CDC_TRAIN PHOTO OUT_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/photos" "$out"
cp "$photo" "$tmp/photos/"
for width in 1 2; do
  cat > "$tmp/tiny$width.json" << JSON
{"variant": "xparam", "dim": $width, "dim_mults": [1, 2], "context_dim_mults": [1],
 "channels": 3, "context_channels": $width, "embd_type": "01", "compressor_dim": $width,
 "compressor_dim_mults": [1], "reverse_dim_mults": [1], "hyper_dims_mults": [1],
 "out_channels": $width, "num_timesteps": 3, "var_schedule": "cosine", "pred_mode": "x",
 "default_steps": 1, "default_gamma": 0.0}
JSON
  "$train" --run "$tmp/run$width" --train-dir "$tmp/photos" --config "$tmp/tiny$width.json" \
    --name "tiny$width" --steps 1 --batch 1 --crop 64 --threads 1 --val-every 0 > /dev/null
  cp "$tmp/run$width/model.cdcm" "$out/tiny$width.cdcm"
  cdc=$(dirname "$train")/cdc
  if [ -x "$cdc" ]; then
    "$cdc" convert --quiet --weights f16 "$out/tiny$width.cdcm" "$out/tiny${width}_f16.cdcm"
  fi
done
ls -l "$out"
