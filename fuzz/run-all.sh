#!/usr/bin/env bash
# Runs every fuzz target for RUNS executions (default 1,000,000), one after
# the other, and prints one Markdown table row per target for
# docs/engineering/reliability.md. Needs cargo-fuzz (`cargo install cargo-fuzz`); on a
# stable toolchain RUSTC_BOOTSTRAP=1 lets it use the nightly-only flags.
#
#   fuzz/run-all.sh                    # all targets, 1,000,000 runs each
#   RUNS=100000 fuzz/run-all.sh keys   # one target, fewer runs
#   SANITIZER=address fuzz/run-all.sh  # with AddressSanitizer
#   TABLE_ONLY=1 fuzz/run-all.sh       # only print the table from fuzz/logs/
#   LOGS=logs-asan TARGET_DIR=/tmp/fuzz-asan SANITIZER=address RUNS=100000 fuzz/run-all.sh
#                                      # a second build (own target dir) and logs
#
# The time is libFuzzer's own ("Done N runs in S seconds"), without the
# build; exec/s is executions / that time.
#
# New inputs the fuzzer finds go to fuzz/corpus-run/TARGET (not committed);
# the committed seeds in fuzz/corpus/TARGET are read, never written. A
# crash leaves its input in fuzz/artifacts/TARGET/: copy it to
# fuzz/regressions/TARGET/ (replayed by tests/fuzz_corpus.rs) with the fix.
set -euo pipefail
cd "$(dirname "$0")"

RUNS=${RUNS:-1000000}
SANITIZER=${SANITIZER:-none}
LOGS=${LOGS:-logs}
DIR_ARGS=()
[ -n "${TARGET_DIR:-}" ] && DIR_ARGS=(--target-dir "$TARGET_DIR")
ALL=(ledger_line ledger manifest keys hashlist checkpoint proof package hashset_import timestamp blinded hashlist_roundtrip import_log index_record)
[ $# -gt 0 ] && TARGETS=("$@") || TARGETS=("${ALL[@]}")

max_len() {
  case "$1" in
    ledger | manifest | hashlist | package) echo 65536 ;;
    *) echo 8192 ;;
  esac
}

export RUSTC_BOOTSTRAP=1
mkdir -p "$LOGS"
[ -n "${TABLE_ONLY:-}" ] || cargo fuzz build "${DIR_ARGS[@]}" --sanitizer "$SANITIZER" >/dev/null

echo "| target | executions | time | exec/s | cov | ft | corpus | peak RSS | result |"
echo "|---|---|---|---|---|---|---|---|---|"
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus-run/$t"
  log="$LOGS/$t.log"
  rc=0
  [ -n "${TABLE_ONLY:-}" ] || {
  set +e
  nice -n 10 cargo fuzz run "${DIR_ARGS[@]}" --sanitizer "$SANITIZER" "$t" "corpus-run/$t" "corpus/$t" -- \
    -runs="$RUNS" -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  }
  stat() { awk -v k="stat::$1:" '$1 == k {print $2}' "$log" | tail -1; }
  execs=$(stat number_of_executed_units)
  rss=$(stat peak_rss_mb)
  fuzz_secs=$(grep -oE '^Done [0-9]+ runs in [0-9]+ second' "$log" | awk '{print $5}' | tail -1)
  rate=$(awk -v n="${execs:-0}" -v s="${fuzz_secs:-0}" 'BEGIN { if (s > 0) printf "%d", n / s; else print "?" }')
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
  cov=$(echo "$done_line" | grep -o 'cov: [0-9]*' | awk '{print $2}')
  ft=$(echo "$done_line" | grep -o 'ft: [0-9]*' | awk '{print $2}')
  corp=$(echo "$done_line" | grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' | awk '{print $2}')
  if [ "$rc" -eq 0 ] && [ -n "$done_line" ]; then result="no crash, no hang"; else result="**exit $rc: see fuzz/$log**"; fi
  printf '| %s | %s | %s s | %s | %s | %s | %s | %s MB | %s |\n' \
    "$t" "${execs:-?}" "${fuzz_secs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$result"
done
