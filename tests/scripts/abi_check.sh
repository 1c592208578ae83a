#!/usr/bin/env bash
# abi_check.sh SOURCE_DIR BUILD_DIR
# Compares the ABI of the built libcdc.so with the committed baseline
# tests/abi/libcdc.abi (libabigail's abidw output; only the types of the
# public headers, --headers-dir). Policy (see tests/abi/README.md):
#  - an incompatible change (a removed or changed function, a type change that
#    breaks callers) fails;
#  - any other reported change to existing functions or public types (a new
#    enum value, a grown struct) also fails until the baseline is refreshed on
#    purpose, so that every ABI change is looked at;
#  - added functions pass (--no-added-syms): adding to the ABI is compatible.
# The soname must match the baseline's; bumping it means a new baseline.
#
#   abi_check.sh SOURCE_DIR BUILD_DIR --update   writes a new baseline instead.
set -euo pipefail
src=$(cd "${1:?usage: abi_check.sh SOURCE_DIR BUILD_DIR [--update]}" && pwd)
build=$(cd "${2:?usage: abi_check.sh SOURCE_DIR BUILD_DIR [--update]}" && pwd)
mode=${3:-check}
baseline=$src/tests/abi/libcdc.abi

for tool in abidw abidiff; do
  command -v "$tool" > /dev/null || { echo "FAILED: $tool not found (apt-get install abigail-tools)" >&2; exit 1; }
done
# The build's own library first: other configurations (sanitizers, TSan) may be built inside it.
if [ -e "$build/lib/libcdc.so" ]; then
  lib=$build/lib/libcdc.so
else
  lib=$(find "$build" -name 'libcdc.so' \( -type l -o -type f \) -not -path '*/CMakeFiles/*' | sort | head -n 1)
fi
[ -n "$lib" ] || { echo "FAILED: libcdc.so not found under $build" >&2; exit 1; }
lib=$(readlink -f "$lib")

# Public headers: the source include/ and the generated cdc_version.h.
headers=(--headers-dir "$src/include" --headers-dir "$build/include")

if ! readelf -S "$lib" | grep -q '\.debug_info'; then
  echo "NOTE: $lib has no debug info: abidiff compares symbols and their versions;"
  echo "      the public types are checked by layout_probe.c instead."
fi

# Type layout of the public header (sizes, offsets, enum values), which needs
# no debug info.
layout_baseline=$src/tests/abi/public_layout.txt
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
${CC:-cc} -std=c99 -I"$src/include" -I"$build/include" "$src/tests/abi/layout_probe.c" \
  -o "$probe_dir/layout_probe"
"$probe_dir/layout_probe" > "$probe_dir/layout.txt"

if [ "$mode" = --update ]; then
  tmp=$(mktemp "$baseline.XXXXXX")
  abidw "${headers[@]}" --no-corpus-path --out-file "$tmp" "$lib"
  mv "$tmp" "$baseline"
  cp "$probe_dir/layout.txt" "$layout_baseline"
  echo "wrote $baseline and $layout_baseline from $lib"
  exit 0
fi

[ -f "$layout_baseline" ] || { echo "FAILED: no baseline $layout_baseline; see tests/abi/README.md" >&2; exit 1; }
if ! diff -u "$layout_baseline" "$probe_dir/layout.txt"; then
  echo "FAILED: the layout of the public types changed (above: - baseline, + now)." >&2
  echo "        Values and fields may only be added, at the end of structs;" >&2
  echo "        refresh the baseline on purpose (tests/abi/README.md)." >&2
  exit 1
fi

[ -f "$baseline" ] || { echo "FAILED: no baseline $baseline; see tests/abi/README.md" >&2; exit 1; }

set +e
abidiff --no-added-syms --headers-dir2 "$src/include" --headers-dir2 "$build/include" \
  "$baseline" "$lib" > "$probe_dir/abidiff.txt" 2>&1
rc=$?
set -e
report=$(cat "$probe_dir/abidiff.txt")
# abidiff's status is a bit mask: 1 error, 2 usage error, 4 ABI change,
# 8 incompatible ABI change.
if [ "$rc" -ne 0 ]; then
  printf '%s\n' "$report"
  if (( rc & 3 )); then echo "FAILED: abidiff could not compare (status $rc)" >&2
  elif (( rc & 8 )); then echo "FAILED: INCOMPATIBLE ABI change: bump CDC_ABI_VERSION (soname) and the baseline (tests/abi/README.md)" >&2
  else echo "FAILED: the ABI changed compatibly: review it and refresh the baseline (tests/abi/README.md)" >&2
  fi
  exit 1
fi
base_soname=$(sed -n "s/.*soname='\([^']*\)'.*/\1/p" "$baseline" | head -n 1)
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$base_soname" != "$soname" ]; then
  echo "FAILED: soname $soname differs from the baseline's $base_soname: refresh the baseline" >&2
  exit 1
fi
echo "abi_check: OK ($soname matches tests/abi/libcdc.abi)"
