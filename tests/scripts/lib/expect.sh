# expect.sh - sourced by the script tests (tests/scripts/*.sh); not a test itself.
# Needs $tmp (a scratch folder) and a counter variable `failures` in the caller.

# expect CODE DESCRIPTION -- command...: runs it, keeps its output in
# $tmp/out.txt and $tmp/err.txt, checks the exit code.
expect() {
  local want=$1 what=$2
  shift 3
  "$@" > "$tmp/out.txt" 2> "$tmp/err.txt"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAILED: $what: exit $got, expected $want" >&2
    sed 's/^/  | /' "$tmp/out.txt" "$tmp/err.txt" >&2
    failures=$((failures + 1))
  else
    echo "ok: $what (exit $got)"
  fi
}
