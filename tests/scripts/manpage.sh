#!/usr/bin/env bash
# manpage.sh SOURCE_DIR BUILD_DIR
# The man page of `cdc` (tools/cdc.1, built by help2man when CDC_BUILD_MAN is
# ON): it exists after the build, `man -l` renders it, and it names every
# subcommand that `cdc --help` lists, with its own section, and the exit
# status, environment and examples sections. Skipped (with a note) when the
# build has CDC_BUILD_MAN off.
set -uo pipefail
src=$(cd "${1:?usage: manpage.sh SOURCE_DIR BUILD_DIR}" && pwd)
build=$(cd "${2:?usage: manpage.sh SOURCE_DIR BUILD_DIR}" && pwd)
: "$src"
if ! grep -q '^CDC_BUILD_MAN:BOOL=ON' "$build/CMakeCache.txt" 2> /dev/null; then
  echo "NOTE: CDC_BUILD_MAN is off in this build: no man page to check"
  exit 0
fi
page=$build/tools/cdc.1
cdc=$build/tools/cdc
[ -s "$page" ] || { echo "FAILED: $page missing after the build" >&2; exit 1; }
[ -x "$cdc" ] || { echo "FAILED: $cdc not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

if command -v man > /dev/null; then
  MANWIDTH=100 man -l "$page" 2> "$tmp/man.err" | col -b > "$tmp/page.txt"
elif command -v groff > /dev/null; then
  groff -man -Tutf8 "$page" 2> "$tmp/man.err" | col -b > "$tmp/page.txt"
else
  echo "NOTE: neither man nor groff: the page is checked as roff source"
  cp "$page" "$tmp/page.txt"
  : > "$tmp/man.err"
fi
[ -s "$tmp/page.txt" ] || { echo "FAILED: the page renders empty" >&2; cat "$tmp/man.err" >&2; exit 1; }
if grep -qi "warning\|error" "$tmp/man.err"; then
  echo "FAILED: rendering the page complains:" >&2; sed 's/^/  | /' "$tmp/man.err" >&2
  failures=$((failures + 1))
fi

# The subcommands of `cdc --help`.
subs=$("$cdc" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && !/^ / {on = 0}')
[ -n "$subs" ] || { echo "FAILED: no subcommands found in cdc --help" >&2; exit 1; }
for sub in $subs; do
  if grep -q "^ *cdc $sub\$" "$tmp/page.txt" && grep -q "Usage: cdc $sub" "$tmp/page.txt"; then
    echo "ok: the page documents cdc $sub"
  else
    echo "FAILED: the page lacks the subcommand $sub" >&2; failures=$((failures + 1))
  fi
done
for section in NAME SYNOPSIS DESCRIPTION OPTIONS SUBCOMMANDS "EXIT STATUS" ENVIRONMENT EXAMPLES; do
  grep -q "^$section" "$tmp/page.txt" || { echo "FAILED: no $section section" >&2; failures=$((failures + 1)); }
done
for option in --output-dir --jobs --format --threads --max-pixels; do
  grep -q -- "$option" "$tmp/page.txt" || { echo "FAILED: the page does not mention $option" >&2; failures=$((failures + 1)); }
done

if [ "$failures" -ne 0 ]; then
  echo "manpage: $failures check(s) FAILED" >&2
  exit 1
fi
echo "manpage: OK"
