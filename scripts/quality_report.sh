#!/bin/sh
# Quality report: libcdc's built-in models against JPEG, WebP, AVIF and JPEG XL.
#
# Usage: scripts/quality_report.sh BUILD_DIR PHOTO_DIR [OUT_DIR]
#
#   BUILD_DIR  an existing libcdc build (its python/ folder holds pycdc); nothing is built here
#   PHOTO_DIR  a folder of PNG/JPEG photos (docs/quality.md: the 16 validation photos,
#              downscaled by 2 to PNG)
#   OUT_DIR    where the results go (default: quality-report)
#
# Runs `python3 -m pycdc.eval` with the quality scale of `cdc encode --quality` (the base
# built-in model and the residual steps of qualities 10, 20, ..., 100) and quality
# sweeps of cjpeg, cwebp, avifenc and cjxl (Debian: libjpeg-turbo-progs, webp, libavif-bin,
# libjxl-tools) that cover about 0.1-1.0 bpp, and writes into OUT_DIR:
#   results.csv   one row per photo and point (bpp, PSNR, MS-SSIM, encode/decode seconds)
#   summary.csv   one row per codec and point, averaged over the photos
#   bd_rates.csv  BD-rates of libcdc against each baseline (PSNR and MS-SSIM)
#   rd.png        the RD plot (PSNR and MS-SSIM against bpp)
#   table.md      the averaged table and the BD-rates as markdown (for README/docs)
#   eval.log      the evaluation's log
#
# Environment: PYTHON (default /usr/bin/python3 when present: Debian's python, which has
# numpy, Pillow and matplotlib), THREADS (libcdc, avifenc and cjxl threads, default 2),
# EFFORTS (libcdc encoder effort levels, one curve each, default "0 1").
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
build=$(cd "$1" && pwd)
photos=$2
out=${3:-quality-report}
threads=${THREADS:-2}
if [ -z "${PYTHON:-}" ]; then
    if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
[ -d "$build/python/pycdc" ] || { echo "error: no $build/python/pycdc (build libcdc first)" >&2; exit 1; }
[ -d "$photos" ] || { echo "error: no folder $photos" >&2; exit 1; }
mkdir -p "$out"

PYTHONPATH="$build/python${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH

# The sweeps reach a little below 0.1 and above 1.0 bpp on the validation photos (cjxl's
# distance: 25 at most, lower = better). libcdc: the quality scale of `cdc encode --quality`,
# the base model with the residual steps of qualities 10, 20, ..., 100 (cdc_quality_settings).
read -r base steps <<STEPS
$("$PYTHON" -c '
import pycdc
from pycdc import _pycdc
print(_pycdc.quality_settings(10)[0], " ".join(f"{_pycdc.quality_settings(q)[1]:g}" for q in range(10, 101, 10)))
')
STEPS
# shellcheck disable=SC2086
"$PYTHON" -m pycdc.eval "$photos" --threads "$threads" --effort ${EFFORTS:-0 1} \
    --model "$base" --residual $steps \
    --jpeg-qualities 5,10,20,30,40,50,60,70,80 \
    --webp-qualities 1,5,15,25,40,55,70,80,85 \
    --avif-quantizers 60,54,48,42,36,30,24,18 \
    --jxl-distances 25,16,10,6,4,2.5,1.6,1,0.7 \
    --out "$out" 2>&1 | tee "$out/eval.log"

"$PYTHON" - "$out" <<'EOF'
import csv, os, sys
out = sys.argv[1]
summary = list(csv.DictReader(open(os.path.join(out, "summary.csv"))))
bd = list(csv.DictReader(open(os.path.join(out, "bd_rates.csv"))))
names = {"jpeg": "JPEG (cjpeg -optimize, 4:2:0)", "webp": "WebP (cwebp -m 4)",
         "avif": "AVIF (avifenc -s 6, 4:2:0)", "jxl": "JPEG XL (cjxl -e 7)"}
params = {"jpeg": "quality", "webp": "quality", "avif": "quantizer", "jxl": "distance"}
n = summary[0]["images"] if summary else "0"
lines = [f"Averages over {n} photos (bpp, PSNR and MS-SSIM: mean of the per-photo values; "
         "RGB).", "",
         "| codec | setting | bpp | PSNR (dB) | MS-SSIM | MS-SSIM (dB) | encode (s) | decode (s) |",
         "|---|---|---:|---:|---:|---:|---:|---:|"]
for s in summary:
    if s["codec"] == "cdc":
        codec, setting = "libcdc", f"{s['point']} ({s.get('setting', 'default steps')})"
    else:
        codec, setting = names[s["codec"]], f"{params[s['codec']]} {s['point']}"
    lines.append(f"| {codec} | {setting} | {float(s['bpp']):.3f} | {float(s['psnr']):.2f} | "
                 f"{float(s['ms_ssim']):.4f} | {float(s['ms_ssim_db']):.2f} | "
                 f"{float(s['encode_s']):.2f} | {float(s['decode_s']):.2f} |")
lines += ["", "BD-rate of libcdc against each baseline (negative = libcdc needs fewer bits for "
          "the same quality; pchip interpolation over the overlapping quality range):", "",
          "| libcdc curve | anchor | BD-rate (PSNR) | BD-rate (MS-SSIM dB) | BD-PSNR (dB) |",
          "|---|---|---:|---:|---:|"]
for t in bd:
    lines.append(f"| {t['test']} | {names.get(t['anchor'], t['anchor'])} | "
                 f"{float(t['bd_rate_psnr']):+.1f} % | {float(t['bd_rate_ms_ssim']):+.1f} % | "
                 f"{float(t['bd_psnr_db']):+.2f} |")
with open(os.path.join(out, "table.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"Wrote {out}/table.md")
EOF
