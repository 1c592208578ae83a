#!/usr/bin/env bash
# fuzz_torch.sh SOURCE_DIR BUILD_DIR - short libFuzzer runs of the parsers that
# need libtorch (clang-14, ASan + UBSan; fuzz/build_torch.sh):
#   fuzz_model_file  the model file parser and the JSON config
#   fuzz_checkpoint  the checkpoint reader (zip records, unpickler, tensors)
# each from a fresh seed corpus, with a 2 GB RSS limit (a parser whose memory
# grows out of proportion to its input fails the run). The long runs are not
# part of the suite: see fuzz/build_torch.sh.
# CDC_FUZZ_SECONDS sets the length of each run (default 20).
set -euo pipefail
src=$(cd "${1:?usage: fuzz_torch.sh SOURCE_DIR BUILD_DIR}" && pwd)
build=$(cd "${2:?usage: fuzz_torch.sh SOURCE_DIR BUILD_DIR}" && pwd)
out=$build/fuzz-torch
# shellcheck source=lib/fuzz.sh
. "$src/tests/scripts/lib/fuzz.sh"
seconds=${CDC_FUZZ_SECONDS:-20}

if ! command -v clang++-14 >/dev/null; then
  echo "fuzz_torch.sh: clang++-14 not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi
sh "$src/fuzz/build_torch.sh" "$out" >/dev/null
rm -rf "$out/corpus_model" "$out/corpus_checkpoint"
mkdir -p "$out/corpus_model" "$out/corpus_checkpoint"
"$out/make_torch_seeds" "$out/corpus_model" "$out/corpus_checkpoint" >/dev/null
echo "== libFuzzer smoke runs (${seconds} s each)"
for target in fuzz_model_file fuzz_checkpoint; do
  case $target in
    fuzz_model_file) corpus=$out/corpus_model ;;
    *) corpus=$out/corpus_checkpoint ;;
  esac
  # One thread for libtorch (fuzz_smoke): the runs are short and the machine may be busy.
  fuzz_smoke fuzz_torch.sh "$out/$target" "$corpus" "$seconds" -rss_limit_mb=2048 -timeout=10
done
