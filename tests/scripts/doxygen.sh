#!/usr/bin/env bash
# doxygen.sh SOURCE_DIR BUILD_DIR
# The API reference: doxygen builds HTML from the public headers (cdc.h,
# cdc_cxx.h, the generated cdc_version.h) with docs/Doxyfile.in and writes
# no warning at all (EXTRACT_ALL=NO, WARN_IF_UNDOCUMENTED=YES: an
# undocumented public symbol is a warning). A second run on a copy of cdc.h
# with one undocumented function checks that such a gap is caught.
# Skipped (with a note) when doxygen is not installed.
set -uo pipefail
src=$(cd "${1:?usage: doxygen.sh SOURCE_DIR BUILD_DIR}" && pwd)
build=$(cd "${2:?usage: doxygen.sh SOURCE_DIR BUILD_DIR}" && pwd)
if ! command -v doxygen > /dev/null; then
  echo "NOTE: doxygen is not installed: API reference not checked"
  exit 0
fi
version_h=$build/include/cdc_version.h
[ -f "$version_h" ] || { echo "FAILED: $version_h missing (configure the build first)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# run_doxygen OUT_DIR INCLUDE_DIR: the headers of INCLUDE_DIR (and
# cdc_version.h) into OUT_DIR/html; the warnings into OUT_DIR/warnings.log.
run_doxygen() {
  local out=$1 inc=$2
  mkdir -p "$out"
  sed -e "s|@PROJECT_VERSION@|test|" \
      -e "s|@CDC_DOXYGEN_OUTPUT_DIR@|\"$out\"|" \
      -e "s|@CDC_DOXYGEN_INPUT@|\"$inc/cdc.h\" \"$inc/cdc_cxx.h\" \"$version_h\"|" \
      -e "s|@CDC_DOXYGEN_STRIP_FROM_PATH@|\"$inc\" \"$build/include\"|" \
      -e "s|@CDC_DOXYGEN_INCLUDE_PATH@|\"$inc\" \"$build/include\"|" \
      -e "s|@CDC_DOXYGEN_WARN_LOG@|\"$out/warnings.log\"|" \
      "$src/docs/Doxyfile.in" > "$out/Doxyfile"
  if grep -q '@[A-Z_]*@' "$out/Doxyfile"; then
    echo "FAILED: unfilled variables in the Doxyfile: $(grep -o '@[A-Z_]*@' "$out/Doxyfile" | sort -u | tr '\n' ' ')" >&2
    return 1
  fi
  (cd "$out" && doxygen Doxyfile > doxygen.out 2>&1)
}

# 1. The real headers: HTML, and no warning.
if ! run_doxygen "$tmp/real" "$src/include"; then
  echo "FAILED: doxygen failed" >&2; cat "$tmp/real/doxygen.out" >&2; failures=$((failures + 1))
fi
if [ ! -f "$tmp/real/warnings.log" ]; then
  echo "FAILED: doxygen wrote no warning log" >&2; failures=$((failures + 1))
elif [ -s "$tmp/real/warnings.log" ]; then
  echo "FAILED: doxygen warnings on the public headers:" >&2
  sed 's/^/  | /' "$tmp/real/warnings.log" >&2
  failures=$((failures + 1))
else
  echo "ok: no doxygen warning on the public headers"
fi
for page in index.html cdc_8h.html cdc__cxx_8h.html cdc__version_8h.html; do
  [ -f "$tmp/real/html/$page" ] || { echo "FAILED: no html/$page" >&2; failures=$((failures + 1)); }
done
for symbol in cdc_encode cdc_decode cdc_stream_get_info cdc_model_load CDC_VERSION_NUMBER; do
  grep -q "$symbol" "$tmp/real/html/cdc_8h.html" "$tmp/real/html/cdc__version_8h.html" 2> /dev/null ||
    { echo "FAILED: $symbol is not in the reference" >&2; failures=$((failures + 1)); }
done
# No build-machine path in the pages (STRIP_FROM_PATH).
if grep -rlF "$src/include" "$tmp/real/html" > /dev/null 2>&1; then
  echo "FAILED: the HTML names the source folder $src/include" >&2; failures=$((failures + 1))
fi

# 2. An undocumented public function must be reported.
mkdir -p "$tmp/probe_include"
cp "$src/include/cdc.h" "$src/include/cdc_cxx.h" "$tmp/probe_include/"
sed -i 's|^CDC_API void cdc_buffer_free(void \*buffer);|&\nCDC_API int cdc_undocumented_probe(void);|' "$tmp/probe_include/cdc.h"
grep -q cdc_undocumented_probe "$tmp/probe_include/cdc.h" || { echo "FAILED: cannot plant the probe" >&2; exit 1; }
run_doxygen "$tmp/probe" "$tmp/probe_include" || true
if grep -q 'cdc_undocumented_probe.*not documented' "$tmp/probe/warnings.log" 2> /dev/null; then
  echo "ok: an undocumented public function is reported"
else
  echo "FAILED: an undocumented public function went unnoticed" >&2
  failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  echo "doxygen: $failures check(s) FAILED" >&2
  exit 1
fi
echo "doxygen: OK"
