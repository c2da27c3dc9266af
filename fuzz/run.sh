#!/bin/sh
# make fuzz: runs the fuzz target for a number of seconds from the recorded fixtures.
# Fails on any crash (the input is kept in <work>/artifacts/) and when coverage does not grow
# past what the seeds alone reach. Usage: fuzz/run.sh BINARY SECONDS WORK_DIR SEED_DIR...
set -eu
bin=$1 seconds=$2 work=$3
shift 3
case $seconds in
  ''|*[!0-9]*|0) echo "fuzz: FUZZ_SECONDS must be a positive whole number (0 would run forever)" >&2; exit 2 ;;
esac
# A fresh corpus each run, so the seeds' coverage is the baseline (libFuzzer writes new
# inputs to the first folder only: the fixtures are never touched).
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"
log=$work/fuzz.log
if ! "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" "$@" >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "fuzz: the target failed; reproduce with $bin $work/artifacts/<file>" >&2
  exit 1
fi
seeded=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$log" | head -n 1)
final=$(sed -n 's/.*DONE *cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
grep '^stat::' "$log"
echo "fuzz: coverage ${seeded:-?} with the seeds, ${final:-?} after $seconds s"
if [ -z "$seeded" ] || [ -z "$final" ] || [ "$final" -le "$seeded" ]; then
  echo "fuzz: coverage did not grow past the seeds'" >&2
  exit 1
fi
