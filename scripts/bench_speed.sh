#!/usr/bin/env bash
# bench_speed.sh BUILD_DIR [REFROOT] - the speed figures of the README's
# performance section, measured side by side in one run on this machine.
# Benchmarks never fail on timing; run it on an idle machine.
#
#  1. the CPU (model, vector flags) and its float32 GEMM rate (plain sgemm);
#  2. per thread count (THREADS, default "1 2"): one U-Net call of the paper
#     configuration (random weights, 768x512) in the reference PyTorch code
#     (when REFROOT holds its xparam/ and epsilonparam/ folders; see
#     ../shared/reference/timing), in libcdc on libtorch (CDC_ONEDNN=0:
#     the path before lib/onednn) and in libcdc on oneDNN, each with the
#     compressor stages and peak memory (cdc_bench_model);
#  3. the entropy coder alone (symbols/s, MB/s: cdc_bench_coder);
#  4. the cdc tool as a user times it (process wall time, peak RSS) with the
#     default model on the sample photo: --version, encode, decode at 1 and 2
#     threads, and the same decode with another runnable process on the
#     machine (a niced busy loop): 2 threads must not lose to 1;
#  5. with PAPER_MODEL=a converted paper-configuration .cdcm: its 4-step decode
#     of the sample photo (process time and peak RSS) as a whole image
#     (--tile 0) on the libtorch path (CDC_ONEDNN=0), through the engine's
#     oneDNN networks (CDC_ENGINE=1), on the inference core whole and with
#     automatic tiles, in bfloat16 where the CPU has it, beside the
#     reference's compress(x, 4) (its only end-to-end decode, which encodes
#     too) and libcdc's encode.
set -uo pipefail
build=$(cd "${1:?usage: bench_speed.sh BUILD_DIR [REFROOT]}" && pwd)
refroot=${2:-}
src=$(cd "$(dirname "$0")/.." && pwd)
threads_list=${THREADS:-1 2}
cdc=$build/tools/cdc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${busy:-}" ] && kill "$busy" 2> /dev/null' EXIT

echo "== CPU"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread)' | sed 's/  */ /g'
echo "vector flags: $(grep -m1 -o -E 'avx2|fma|avx512[a-z_0-9]*|amx[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"
for t in $threads_list; do
  # OpenBLAS runs its own threads: tell it the count too.
  OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t /usr/bin/python3 - "$t" << 'PY'
import sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
a = torch.rand(3072, 3072); b = torch.rand(3072, 3072)
torch.mm(a, b)
best = min((lambda t0: (torch.mm(a, b), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(5))
print(f"sgemm 3072^3, {sys.argv[1]} thread(s): {2 * 3072**3 / best / 1e9:.1f} GFLOP/s")
PY
done

for t in $threads_list; do
  echo "== paper configuration, 768x512, $t thread(s)"
  if [ -n "$refroot" ]; then
    echo "-- reference PyTorch code (one denoising step = one U-Net call)"
    THREADS=$t REFROOT=$refroot /usr/bin/python3 "$src/../shared/reference/timing/refmodel.py" xparam 64 2>&1 |
      grep -E '512x768|params' || echo "(reference timing failed)"
  fi
  echo "-- libcdc, U-Net on libtorch (before)"
  CDC_ONEDNN=0 "$build/tools/cdc_bench_model" --threads "$t" --config paper --calls 2 | grep -E 'U-Net call|peak'
  echo "-- libcdc, U-Net on oneDNN"
  "$build/tools/cdc_bench_model" --threads "$t" --config all --calls 2
done

echo "== entropy coder (one thread)"
"$build/tools/cdc_bench_coder" 10

echo "== cdc tool, default model, data/sample.png (768x512): wall seconds, peak RSS"
timed() { /usr/bin/time -f "%e s %M KiB" "$@" 2>&1 > /dev/null | tail -n 1; }
"$cdc" encode --quiet "$src/data/sample.png" "$tmp/s.cdc"
for i in 1 2 3; do echo "cdc --version: $(timed "$cdc" --version)"; done
for t in 1 2; do
  for i in 1 2; do
    echo "encode, $t thread(s): $(timed "$cdc" --quiet --threads "$t" encode "$src/data/sample.png" "$tmp/e.cdc")"
    echo "decode, $t thread(s): $(timed "$cdc" --quiet --threads "$t" decode "$tmp/s.cdc" "$tmp/d.png")"
    # The same through the libtorch engine (libcdc before the inference core).
    echo "encode through the engine (CDC_ENGINE=1), $t thread(s): $(CDC_ENGINE=1 timed "$cdc" --quiet --threads "$t" encode "$src/data/sample.png" "$tmp/e.cdc")"
    echo "decode through the engine (CDC_ENGINE=1), $t thread(s): $(CDC_ENGINE=1 timed "$cdc" --quiet --threads "$t" decode "$tmp/s.cdc" "$tmp/d.png")"
  done
done
nice -n 19 bash -c 'while :; do :; done' & busy=$!
for t in 1 2; do
  echo "decode with a niced busy loop running, $t thread(s): $(timed "$cdc" --quiet --threads "$t" decode "$tmp/s.cdc" "$tmp/d.png")"
done
kill "$busy"; busy=

if [ -n "${PAPER_MODEL:-}" ]; then
  echo "== paper model ($PAPER_MODEL): 4-step decode of data/sample.png, whole image"
  "$cdc" --quiet --model "$PAPER_MODEL" encode "$src/data/sample.png" "$tmp/p.cdc"
  for t in $threads_list; do
    if [ -n "$refroot" ]; then
      # The reference has no decoder of its own: compress(x, sample_steps=4)
      # runs its compressor (encoder, hyperprior, context decoder) and the 4
      # U-Net steps on the image (random weights, model building not timed).
      THREADS=$t REFROOT=$refroot PYTHONPATH="$src/../shared/reference/timing" /usr/bin/python3 - 2> /dev/null << 'PY' || echo "(reference timing failed)"
import os, time, torch
import refmodel
torch.set_num_threads(int(os.environ["THREADS"]))
torch.manual_seed(0)
m = refmodel.build("xparam", 64)
x = torch.rand(1, 3, 512, 768) * 2 - 1
with torch.no_grad():
    t0 = time.perf_counter()
    m.compress(x, sample_steps=4)
    t1 = time.perf_counter()
print(f"reference compress(x, sample_steps=4), 768x512, {os.environ['THREADS']} thread(s): {t1 - t0:.2f} s")
PY
    fi
    echo "encode (for the reference's compress, which encodes too), $t thread(s): $(timed "$cdc" --quiet --model "$PAPER_MODEL" --threads "$t" encode "$src/data/sample.png" "$tmp/p2.cdc")"
    echo "inference core, automatic tiles, $t thread(s): $(timed "$cdc" --quiet --model "$PAPER_MODEL" --threads "$t" --steps 4 decode "$tmp/p.cdc" "$tmp/p.png")"
    echo "libtorch path, $t thread(s): $(CDC_ONEDNN=0 timed "$cdc" --quiet --model "$PAPER_MODEL" --threads "$t" --steps 4 --tile 0 decode "$tmp/p.cdc" "$tmp/p.png")"
    echo "oneDNN networks in the engine (CDC_ENGINE=1), $t thread(s): $(CDC_ENGINE=1 timed "$cdc" --quiet --model "$PAPER_MODEL" --threads "$t" --steps 4 --tile 0 decode "$tmp/p.cdc" "$tmp/p.png")"
    echo "inference core, $t thread(s): $(timed "$cdc" --quiet --model "$PAPER_MODEL" --threads "$t" --steps 4 --tile 0 decode "$tmp/p.cdc" "$tmp/p.png")"
    # bfloat16 (refused with a message where the CPU lacks AVX512-BF16/AMX).
    if "$cdc" --quiet --model "$PAPER_MODEL" --threads "$t" --steps 1 --precision bf16 decode "$tmp/p.cdc" "$tmp/pb.png" 2> "$tmp/bf16.err"; then
      echo "inference core, bfloat16, $t thread(s): $(timed "$cdc" --quiet --model "$PAPER_MODEL" --threads "$t" --steps 4 --tile 0 --precision bf16 decode "$tmp/p.cdc" "$tmp/pbw.png")"
      echo "inference core, bfloat16, automatic tiles, $t thread(s): $(timed "$cdc" --quiet --model "$PAPER_MODEL" --threads "$t" --steps 4 --precision bf16 decode "$tmp/p.cdc" "$tmp/pb.png")"
      echo "bfloat16 against float32 (4 steps, whole image): $("$cdc" compare "$tmp/p.png" "$tmp/pbw.png")"
    else
      echo "bfloat16: $(cat "$tmp/bf16.err")"
    fi
  done
fi
