# fuzz.sh - sourced by the fuzzing smoke tests (tests/scripts/*.sh); not a test itself.

# fuzz_smoke NAME BINARY CORPUS SECONDS [libFuzzer options...]: runs one
# libFuzzer target for SECONDS from CORPUS (log and crash artifacts next to the
# binary), prints its execution count, and exits the calling script with an
# error (showing the log's tail) when the target finds a failure.
fuzz_smoke() {
  local name=$1 binary=$2 corpus=$3 seconds=$4
  shift 4
  local log=$binary.log
  OMP_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1 \
    "$binary" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$binary-" "$@" \
      "$corpus" 2> "$log" || {
    tail -40 "$log" >&2
    echo "$name: $(basename "$binary") found a failure" >&2
    exit 1
  }
  local runs
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  echo "$(basename "$binary"): ${runs:-?} executions in ${seconds} s, no failure"
}
