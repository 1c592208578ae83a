#!/usr/bin/env bash
# lazy_engine.sh SOURCE_DIR BUILD_DIR
# libcdc.so is a front without libtorch that loads its engine
# (libcdc-engine.so.<ABI>, with libtorch) on first real use
# (lib/api/engine_table.h). Checks:
#  1. neither libcdc.so nor the `cdc` tool needs libtorch or libc10 (NEEDED),
#     and the engine does;
#  2. the API test lazy_engine: nothing of libtorch is mapped until the first
#     context, then it is (run by ctest as api_lazy_engine too);
#  3. with libcdc.so copied alone into another folder (no engine beside it or
#     on the search path), lazy_engine's "missing" mode: encoding with effort
#     fails cleanly, saying why; `cdc --version`, `cdc models`, `cdc info`,
#     `cdc encode` and `cdc decode` still work (the inference core in
#     libcdc.so), and `cdc encode --effort 1` fails with exit code 8 and the
#     reason.
set -euo pipefail
src=${1:?usage: lazy_engine.sh SOURCE_DIR BUILD_DIR}
build=$(cd "${2:?usage: lazy_engine.sh SOURCE_DIR BUILD_DIR}" && pwd)
fail() { echo "FAILED: $*" >&2; exit 1; }

# The build's own library first; else the first one found (-quit: no pipe
# that could end find with SIGPIPE under pipefail).
lib=$build/lib/libcdc.so
[ -e "$lib" ] || lib=$(find "$build" -name 'libcdc.so' \( -type l -o -type f \) -not -path '*/CMakeFiles/*' -not -path '*/tsan/*' -print -quit)
[ -n "$lib" ] || fail "libcdc.so not found under $build"
lib=$(readlink -f "$lib")
libdir=$(dirname "$lib")
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
engine=$(ls "$libdir"/libcdc-engine.so.* 2> /dev/null | head -n 1)
[ -n "$engine" ] || fail "no libcdc-engine.so.* beside $lib"

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'; }
echo "$soname needs: $(needed "$lib" | tr '\n' ' ')"
if needed "$lib" | grep -E 'torch|c10'; then fail "$soname needs libtorch"; fi
needed "$engine" | grep -q '^libtorch' || fail "$engine does not need libtorch"
cli=$build/tools/cdc
if [ -x "$cli" ]; then
  if needed "$cli" | grep -E 'torch|c10'; then fail "tools/cdc needs libtorch"; fi
  if ldd "$cli" | grep -E 'torch|c10'; then fail "tools/cdc loads libtorch at start-up (ldd)"; fi
fi

test_exe=$build/tests/lazy_engine
[ -x "$test_exe" ] || fail "$test_exe not built"
echo "== engine beside libcdc.so"
"$test_exe"

echo "== engine missing"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$lib" "$tmp/$soname"
# LD_LIBRARY_PATH comes before the programs' RUNPATH: they load the copy,
# which finds no engine beside it nor by soname.
LD_LIBRARY_PATH=$tmp "$test_exe" missing
if [ -x "$cli" ]; then
  LD_LIBRARY_PATH=$tmp "$cli" --version
  LD_LIBRARY_PATH=$tmp "$cli" --quiet encode "$src/data/sample.png" "$tmp/s.cdc" ||
    fail "cdc encode needs the engine"
  LD_LIBRARY_PATH=$tmp "$cli" models > /dev/null || fail "cdc models needs the engine"
  LD_LIBRARY_PATH=$tmp "$cli" info "$tmp/s.cdc" > /dev/null || fail "cdc info needs the engine"
  LD_LIBRARY_PATH=$tmp "$cli" --quiet decode "$tmp/s.cdc" "$tmp/s.png" ||
    fail "cdc decode needs the engine"
  set +e
  LD_LIBRARY_PATH=$tmp "$cli" --quiet --effort 1 encode "$src/data/sample.png" "$tmp/e.cdc" \
    2> "$tmp/encode.err"
  rc=$?
  set -e
  cat "$tmp/encode.err"
  [ "$rc" -eq 8 ] || fail "cdc encode --effort 1 without the engine exited with $rc, expected 8"
  grep -q "cannot load the libcdc engine" "$tmp/encode.err" ||
    fail "cdc encode --effort 1 without the engine does not say why"
  [ ! -e "$tmp/e.cdc" ] || fail "cdc encode --effort 1 without the engine left an output file"
fi
echo "lazy_engine: OK"
