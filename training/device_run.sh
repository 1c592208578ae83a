#!/bin/bash
# One device call: optional speed bench, then both rate points trained in parallel on the one GPU.
# Usage (from the repo root, on the GPU machine): training/device_run.sh MINUTES [BENCH_SECONDS]
# Env: TOTAL_MINUTES (schedule horizon), EXTRA (more train.py options), BENCH (bench.py settings).
# Resumable state stays on the machine's disk in $STATE (it survives between warm calls); when it
# is missing, training starts from training/runs/init/<tag>.pt if that was carried, else from scratch.
# Exports (<tag>.pt, .config.json, .log.json) and the logs go to $OUT.
set -u
MIN=${1:-8}
BENCH_SECONDS=${2:-0}
TOTAL=${TOTAL_MINUTES:-20}
STATE=${STATE:-/root/cdc_state}
OUT=${OUT:-/tmp/cdc_out}
mkdir -p "$STATE" "$OUT"
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())"
ls "$STATE"
if [ "$BENCH_SECONDS" != 0 ]; then
    timeout 150 python3 python/bench.py --seconds "$BENCH_SECONDS" 2>&1 | grep -v Warning | tee "$OUT/bench.txt"
fi
COMMON="--minutes $MIN --total-minutes $TOTAL --state-dir $STATE --out $OUT --eval-every 150"
for spec in "cdc_low 0.22 0.02" "cdc_mid 0.65 0.004"; do
    set -- $spec
    init=""
    [ -f "runs/init/$1.pt" ] && [ ! -f "$STATE/$1.state.pt" ] && init="--init runs/init/$1.pt"
    python3 python/train.py --tag "$1" --target-bpp "$2" --lmbda "$3" $COMMON $init ${EXTRA:-} \
        >> "$OUT/train_log.txt" 2>&1 &
done
wait
grep -v Warning "$OUT/train_log.txt"
ls -la "$OUT" "$STATE"
