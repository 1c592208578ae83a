#!/usr/bin/env bash
# train_models.sh - trains libcdc's built-in rate points with cdc-train, one command.
#
#   training/train_models.sh BUILD_DIR [MINUTES]
#
# Trains both rate points (default-low, default-mid) with cdc-train, in parallel, one compute
# thread each (on this 2-core CPU two 1-thread runs give 1.2-1.4x the steps of one 2-thread run), for
# at most MINUTES of wall time (default 110); a later call resumes where it stopped.
#   - Photos: training/cache/{train,val} (made by training/python/prepare_data.py, which fetches
#     the photos of training/data/*.list from Debian packages); fetched here when missing.
#   - Each run lives in $RUNS/<low|mid>/ (default RUNS=training/runs/cpp; checkpoint.ckpt,
#     model.cdcm, train.csv, val.csv, run.json). With a checkpoint the run resumes; without one it
#     warm-starts from the committed models/default-<tag>.cdcm. FROM_SCRATCH=1 trains from random
#     weights instead, in $RUNS/scratch-<tag>-stage1 (compressor and MSE head only, lambda
#     warm-up from a high rate) and then $RUNS/scratch-<tag> (everything); MINUTES is per stage.
#   - INSTALL=1 copies each finished run's model.cdcm over models/default-<tag>.cdcm (rebuild
#     the library to embed it). Record the new RD point in models/README.md.
# Env: STEPS (schedule length of the fine-tune, default 3000), EXTRA (more cdc-train options).
set -euo pipefail
build=$(cd "${1:?usage: train_models.sh BUILD_DIR [MINUTES]}" && pwd)
minutes=${2:-110}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
train=$build/tools/cdc-train
[ -x "$train" ] || { echo "error: $train not built" >&2; exit 1; }
py=/usr/bin/python3; [ -x "$py" ] || py=python3
if [ ! -d "$here/cache/train" ] || [ ! -d "$here/cache/val" ]; then
  "$py" "$here/python/prepare_data.py"
fi
steps=${STEPS:-3000}
runs=${RUNS:-$here/runs/cpp}
mkdir -p "$runs"

# tag lambda target-bpp
rate_points=("low 0.0095 0.22" "mid 0.00063 0.65")

common=(--train-dir "$here/cache/train" --val-dir "$here/cache/val" --threads 1
        --crop 128 --batch 8 --save-every 100 --val-photos 6 --val-max-side 384 --log-every 25)

run_point() {
  local tag=$1 lambda=$2 target=$3 run=$runs/$1
  local shaping=(--name "default-$tag" --lambda "$lambda" --target-bpp "$target")
  if [ "${FROM_SCRATCH:-0}" = 1 ]; then
    # Stage 1: compressor + MSE head (no U-Net call, ~2x the steps per hour), with the
    # lambda warm-up from a high rate; stage 2: everything, starting from stage 1's export.
    run=$runs/scratch-$tag
    "$train" --run "$run-stage1" --config compact --stage compressor --steps "$steps" \
      --lr 4e-4 --val-every 0 --minutes "$minutes" "${shaping[@]}" "${common[@]}" ${EXTRA:-}
    [ -f "$run-stage1/model.cdcm" ] || return 1
    "$train" --run "$run" --init "$run-stage1/model.cdcm" --steps "$steps" --head-warmup 300 \
      --lr 2e-4 --lambda-warmup-frac 0 --val-every 800 --minutes "$minutes" \
      "${shaping[@]}" "${common[@]}" ${EXTRA:-}
  else
    # Fine-tune of the committed model: a fresh MSE head learns alone first (its early
    # gradients would disturb the trained compressor), then everything at a low learning rate.
    "$train" --run "$run" --init "$root/models/default-$tag.cdcm" --steps "$steps" \
      --head-warmup 600 --lr 1e-4 --lambda-warmup-frac 0 --val-every 800 --minutes "$minutes" \
      "${shaping[@]}" "${common[@]}" ${EXTRA:-}
  fi
}

pids=()
for point in "${rate_points[@]}"; do
  set -- $point
  run_point "$1" "$2" "$3" > "$runs/$1.log" 2>&1 &
  pids+=($!)
  echo "training default-$1 (log: $runs/$1.log)"
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for point in "${rate_points[@]}"; do
  set -- $point
  echo "== default-$1: last validation (step,seconds,photos,bpp,psnr,encode_s,decode_s)"
  dir=$runs/$1
  [ "${FROM_SCRATCH:-0}" = 1 ] && dir=$runs/scratch-$1
  tail -n 1 "$dir/val.csv" 2>/dev/null || true
  if [ "${INSTALL:-0}" = 1 ] && [ -f "$dir/model.cdcm" ]; then
    cp "$dir/model.cdcm" "$root/models/default-$1.cdcm"
    echo "installed models/default-$1.cdcm"
  fi
done
exit $status
