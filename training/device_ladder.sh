#!/bin/bash
# One GPU-machine call: fine-tune several rate points of the built-in model in parallel on one GPU,
# each warm-started from a shipped model file, on the downscaled photos plus full-resolution crops.
# Usage (repo root, on the GPU machine):
#   training/device_ladder.sh MINUTES DATA_DIR TAG:TARGET_BPP:LAMBDA:INIT_MODEL [...]
# Env: EXTRA (more train.py options). Each rate point's export (<tag>.pt, .config.json, .log.json)
# comes back as one $OUT/<tag>.tar; the merged log as $OUT/train_log.txt.
set -u
MIN=$1 DATA=$2
shift 2
OUT=${OUT:-/tmp/cdc_out}
STATE=${STATE:-/root/cdc_state}
mkdir -p "$OUT" "$STATE"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())"
extra=""
[ -d "$DATA/train_full" ] && extra="--extra-train train_full"
tags=()
for spec in "$@"; do
    IFS=: read -r tag target lam init <<<"$spec"
    tags+=("$tag")
    python3 training/python/train.py --tag "$tag" --target-bpp "$target" --lmbda "$lam" --init "$init" \
        --data "$DATA" $extra --minutes "$MIN" --total-minutes "$MIN" --state-dir "$STATE" \
        --out "$STATE/out" --lmbda-start-frac 1 --warmup-frac 0 ${EXTRA:-} 2>&1 |
        grep --line-buffered -v Warning >> "$OUT/train_log.txt" &
done
wait
grep -E "VAL|done|error|Error" "$OUT/train_log.txt" | tail -40
for tag in "${tags[@]}"; do
    tar -C "$STATE/out" -cf "$OUT/$tag.tar" "$tag.pt" "$tag.config.json" "$tag.log.json"
done
ls -la "$OUT"
