#!/usr/bin/env bash
# install_package.sh SOURCE_DIR BUILD_DIR
# Installs the build into a temporary prefix and uses it as a user would:
#  1. `cmake --install` puts the header, the library (with its soname link),
#     cdc.pc, the CMake package and the `cdc` tool in place, and the man
#     page cdc.1 and the HTML API reference when the build makes them;
#  2. the C examples build with `pkg-config --cflags --libs cdc` (C99,
#     -pedantic -Werror) and, through examples/consumer, with
#     find_package(cdc) and the target cdc::cdc;
#  3. the installed `cdc --version` and `cdc models` run;
#  4. both builds of the examples run. With a model (CDC_TEST_MODEL, a test
#     model in the build or source tree, or a built-in model) they must do a
#     real encode/decode (ppm_roundtrip) and a cancelled decode
#     (progress_cancel). With no model at all they must fail cleanly with
#     CDC_STATUS_NOT_FOUND (12); the script then says that no real round trip
#     was done.
set -euo pipefail
src=$(cd "${1:?usage: install_package.sh SOURCE_DIR BUILD_DIR}" && pwd)
build=$(cd "${2:?usage: install_package.sh SOURCE_DIR BUILD_DIR}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }

libdir=$(dirname "$(find "$prefix" -name 'libcdc.so.*' -type f | head -n 1)")
[ -n "$libdir" ] && [ "$libdir" != . ] || fail "no libcdc.so.* installed"
for f in "$prefix/include/cdc.h" "$prefix/include/cdc_version.h" "$libdir/libcdc.so" \
         "$libdir/pkgconfig/cdc.pc" "$libdir/cmake/cdc/cdcConfig.cmake" \
         "$libdir/cmake/cdc/cdcConfigVersion.cmake" "$prefix/bin/cdc"; do
  [ -e "$f" ] || fail "not installed: ${f#$prefix/}"
done
# The man page and the API reference, when this build makes them.
if grep -q '^CDC_BUILD_MAN:BOOL=ON' "$build/CMakeCache.txt"; then
  [ -s "$prefix/share/man/man1/cdc.1" ] || fail "not installed: share/man/man1/cdc.1"
fi
if grep -q '^CDC_BUILD_DOCS:BOOL=ON' "$build/CMakeCache.txt"; then
  for f in index.html cdc_8h.html; do
    [ -s "$prefix/share/doc/libcdc/html/$f" ] || fail "not installed: share/doc/libcdc/html/$f"
  done
fi
abi=$(sed -n 's/^#define CDC_ABI_VERSION \([0-9]*\).*/\1/p' "$prefix/include/cdc_version.h")
[ -e "$libdir/libcdc.so.$abi" ] || fail "no soname link libcdc.so.$abi"
# The engine that libcdc.so loads on first use (lib/api/engine_table.h), beside it.
[ -e "$libdir/libcdc-engine.so.$abi" ] || fail "no engine libcdc-engine.so.$abi beside libcdc.so"
# No build-tree path may leak into the installed package files.
if grep -rl "$build" "$libdir/pkgconfig" "$libdir/cmake" 2>/dev/null; then
  fail "installed package files mention the build tree"
fi

step "installed cdc --version"
"$prefix/bin/cdc" --version | tee "$tmp/version.txt"
version=$(sed -n 's/^#define CDC_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/cdc_version.h")
grep -q "libcdc $version" "$tmp/version.txt" || fail "cdc --version does not report libcdc $version"

step "build the examples with pkg-config"
export PKG_CONFIG_PATH=$libdir/pkgconfig
pc_version=$(pkg-config --modversion cdc)
[ "$pc_version" = "$version" ] || fail "pkg-config says version $pc_version, expected $version"
cflags=$(pkg-config --cflags cdc)
libs=$(pkg-config --libs cdc)
echo "cflags: $cflags"
echo "libs:   $libs"
mkdir -p "$tmp/pc"
for ex in ppm_roundtrip progress_cancel; do
  # shellcheck disable=SC2086
  ${CC:-cc} -std=c99 -pedantic -Wall -Wextra -Werror $cflags "$src/examples/$ex.c" \
    -o "$tmp/pc/$ex" $libs -lm -Wl,-rpath,"$(pkg-config --variable=libdir cdc)"
done

step "build the examples with find_package(cdc) (examples/consumer)"
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
cmake -S "$src/examples/consumer" -B "$tmp/consumer" "${generator[@]}" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCDC_EXAMPLES_DIR="$src/examples" \
  -DCMAKE_BUILD_RPATH="$libdir" > "$tmp/consumer.log" 2>&1 || { cat "$tmp/consumer.log"; fail "configure consumer"; }
cmake --build "$tmp/consumer" > "$tmp/consumer-build.log" 2>&1 || { cat "$tmp/consumer-build.log"; fail "build consumer"; }

# The examples must use the installed library, not the build tree's.
for exe in "$tmp/pc/ppm_roundtrip" "$tmp/consumer/ppm_roundtrip"; do
  resolved=$(ldd "$exe" | awk '/libcdc\.so/ {print $3}')
  case $resolved in
    "$prefix"/*) ;;
    *) fail "$exe loads libcdc from '$resolved', not from the prefix" ;;
  esac
done

# A model to run with: explicit, then a test model file, then built-in.
model=${CDC_TEST_MODEL:-}
if [ -z "$model" ]; then
  for candidate in "$build"/tests/data/*.cdcm "$build"/tests/*.cdcm "$src"/tests/data/*.cdcm; do
    if [ -f "$candidate" ]; then model=$candidate; break; fi
  done
fi
builtin_count=$("$prefix/bin/cdc" models --json | grep -o '"name"' | wc -l || true)
echo "test model file: ${model:-none}; built-in models: $builtin_count"

# A 40x24 RGB gradient as a binary PPM.
LC_ALL=C awk 'BEGIN { w = 40; h = 24; printf "P6\n%d %d\n255\n", w, h;
  for (y = 0; y < h; y++) for (x = 0; x < w; x++)
    printf "%c%c%c", int(x * 255 / (w - 1)), int(y * 255 / (h - 1)), int((x + y) * 255 / (w + h - 2)) }' \
  > "$tmp/in.ppm"
[ "$(wc -c < "$tmp/in.ppm")" -eq $((13 + 40 * 24 * 3)) ] || fail "cannot make the test image"

# 3 diffusion steps keep the test short; the default model's 65 are slow on CPU.
if [ -n "$model" ]; then rt_args=("$model" 3); else rt_args=(- 3); fi
model_args=()
[ -n "$model" ] && model_args=("$model")
for dir in pc consumer; do
  step "run the $dir build of the examples"
  set +e
  "$tmp/$dir/ppm_roundtrip" "$tmp/in.ppm" "$tmp/$dir-out.ppm" "${rt_args[@]}" > "$tmp/rt.txt" 2>&1
  rc_rt=$?
  "$tmp/$dir/progress_cancel" 2 "${model_args[@]}" > "$tmp/pc.txt" 2>&1
  rc_pc=$?
  set -e
  cat "$tmp/rt.txt" "$tmp/pc.txt"
  if [ -n "$model" ] || [ "$builtin_count" -gt 0 ]; then
    [ "$rc_rt" -eq 0 ] || fail "ppm_roundtrip exited with $rc_rt (a model is available: a real round trip is expected)"
    grep -q 'PSNR' "$tmp/rt.txt" || fail "ppm_roundtrip printed no PSNR"
    head -c 2 "$tmp/$dir-out.ppm" | grep -q P6 || fail "ppm_roundtrip wrote no PPM"
    cmp -s <(head -c 13 "$tmp/in.ppm") <(head -c 13 "$tmp/$dir-out.ppm") || fail "decoded PPM has another size"
    [ "$rc_pc" -eq 0 ] || fail "progress_cancel exited with $rc_pc"
    grep -qE 'cancelled after|complete after' "$tmp/pc.txt" || fail "progress_cancel did not decode"
  else
    # No model anywhere: both must report CDC_STATUS_NOT_FOUND (12).
    [ "$rc_rt" -eq 12 ] || fail "ppm_roundtrip exited with $rc_rt; expected 12 (not found: no model)"
    [ "$rc_pc" -eq 12 ] || fail "progress_cancel exited with $rc_pc; expected 12 (not found: no model)"
    [ ! -e "$tmp/$dir-out.ppm" ] || fail "ppm_roundtrip wrote output after a failure"
  fi
done

if [ -n "$model" ] || [ "$builtin_count" -gt 0 ]; then
  echo "install_package: OK (real encode/decode through pkg-config and find_package builds)"
else
  echo "install_package: OK, but NO real round trip: no model in this build (examples reported NOT_FOUND)"
fi
