#!/usr/bin/env bash
# header_c99.sh SOURCE_DIR BUILD_DIR
# The public header must be plain, warning-free C99 and valid C++: compile a
# file that includes only <cdc.h> (and uses a few of its declarations) as
# -std=c99 -pedantic -Wall -Wextra -Werror C, as C11, and as C++11/C++17.
set -euo pipefail
src=${1:?usage: header_c99.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: header_c99.sh SOURCE_DIR BUILD_DIR}
cc=${CC:-cc}
cxx=${CXX:-c++}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/use_header.c" <<'C'
#include <cdc.h>
#include <cdc.h> /* the include guard works */

/* Touch the declarations so that the compiler checks them. */
int use_header(void);
int use_header(void) {
  cdc_model_info model_info;
  cdc_stream_info stream_info;
  cdc_progress progress;
  cdc_progress_fn fn = 0;
  cdc_status status = CDC_STATUS_OK;
  cdc_option option = CDC_OPTION_THREADS;
  cdc_pixel_format format = CDC_PIXEL_RGB8;
  cdc_stage stage = CDC_STAGE_DIFFUSION;
  const char *(*version)(void) = cdc_version_string;
  model_info.struct_size = sizeof(model_info);
  stream_info.struct_size = sizeof(stream_info);
  progress.struct_size = sizeof(progress);
  (void)fn;
  (void)version;
  return (int)status + (int)option + (int)format + (int)stage + CDC_VERSION_NUMBER * 0 +
         CDC_FORMAT_VERSION * 0 + CDC_ABI_VERSION * 0 + (int)(CDC_MAX_DIMENSION * 0u);
}
C
cp "$tmp/use_header.c" "$tmp/use_header.cc"

includes=(-I"$src/include" -I"$build/include")
status=0
run() {
  echo "+ $*"
  if ! "$@"; then
    echo "FAILED: $*" >&2
    status=1
  fi
}
run "$cc" -std=c99 -pedantic -Wall -Wextra -Werror "${includes[@]}" -c "$tmp/use_header.c" -o "$tmp/c99.o"
run "$cc" -std=c11 -pedantic -Wall -Wextra -Werror "${includes[@]}" -c "$tmp/use_header.c" -o "$tmp/c11.o"
run "$cxx" -std=c++11 -pedantic -Wall -Wextra -Werror "${includes[@]}" -c "$tmp/use_header.cc" -o "$tmp/cxx11.o"
run "$cxx" -std=c++17 -pedantic -Wall -Wextra -Werror "${includes[@]}" -c "$tmp/use_header.cc" -o "$tmp/cxx17.o"

# Nothing of C++ or libtorch may leak into the public header.
if grep -nE '#include <(torch|c10|ATen|fmt)|namespace |template *<|std::' "$src/include/cdc.h"; then
  echo "FAILED: cdc.h mentions C++ or libtorch" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "header_c99: OK"
exit "$status"
