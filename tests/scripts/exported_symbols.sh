#!/usr/bin/env bash
# exported_symbols.sh SOURCE_DIR BUILD_DIR
# libcdc.so exports only the public C API: every defined dynamic symbol is
# cdc_* (no std::, no libtorch, no fmt), each one is declared in cdc.h, every
# function of cdc.h is exported, and the soname is libcdc.so.<ABI version>.
set -euo pipefail
src=${1:?usage: exported_symbols.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: exported_symbols.sh SOURCE_DIR BUILD_DIR}
# The build's own library first: other configurations (sanitizers, TSan) may be built inside it.
if [ -e "$build/lib/libcdc.so" ]; then
  lib=$build/lib/libcdc.so
else
  lib=$(find "$build" -name 'libcdc.so' \( -type l -o -type f \) -not -path '*/CMakeFiles/*' | sort | head -n 1)
fi
if [ -z "$lib" ]; then
  echo "FAILED: libcdc.so not found under $build" >&2
  exit 1
fi
lib=$(readlink -f "$lib")
echo "checking $lib"
abi=$(sed -n 's/^#define CDC_ABI_VERSION \([0-9]*\).*/\1/p' "$build/include/cdc_version.h")
status=0

# Defined dynamic symbols, names only (versioned names lose their @node).
symbols=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | sort -u)
# The version script's node name (CDC_0) shows up as an absolute symbol.
bad=$(printf '%s\n' "$symbols" | grep -vE '^(cdc_[A-Za-z0-9_]+|CDC_[0-9A-Z_]+)$' || true)
if [ -n "$bad" ]; then
  echo "FAILED: libcdc.so exports symbols outside cdc_*:" >&2
  printf '%s\n' "$bad" | head -n 50 >&2
  echo "($(printf '%s\n' "$bad" | wc -l) in all)" >&2
  status=1
fi

# Every exported function is declared in the header and vice versa.
declared=$(grep -oE '^CDC_API [^(]*\(' "$src/include/cdc.h" | sed -E 's/.*[ *]([a-z_0-9]+)\($/\1/' | sort -u)
exported=$(printf '%s\n' "$symbols" | grep -E '^cdc_' | sort -u)
missing=$(comm -23 <(printf '%s\n' "$declared") <(printf '%s\n' "$exported"))
extra=$(comm -13 <(printf '%s\n' "$declared") <(printf '%s\n' "$exported"))
if [ -n "$missing" ]; then
  echo "FAILED: declared in cdc.h but not exported:" >&2
  printf '  %s\n' $missing >&2
  status=1
fi
if [ -n "$extra" ]; then
  echo "FAILED: exported but not declared in cdc.h:" >&2
  printf '  %s\n' $extra >&2
  status=1
fi

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" != "libcdc.so.$abi" ]; then
  echo "FAILED: soname is '$soname', expected libcdc.so.$abi" >&2
  status=1
fi
echo "soname: $soname; $(printf '%s\n' "$exported" | wc -l) exported cdc_* functions"
[ "$status" -eq 0 ] && echo "exported_symbols: OK"
exit "$status"
