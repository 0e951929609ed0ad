#!/usr/bin/env bash
# Ledger benchmark: how fast `custodian verify` checks a large ledger (and
# its peak RSS), and how long one append takes on it (`custodian note`, a
# process each, fsync included). Compares with the independent verifier
# built from stock tools (contrib/verify-ledger.py: Python + one
# `ssh-keygen -Y verify` per entry), which is what a third party without
# custodian would run.
#
#   bench/ledger.sh                 # 100,000-entry ledger, 20 appends on it
#   ENTRIES=20000 APPENDS=10 bench/ledger.sh
#
# Sourced by bench/run-all.sh for rows 1 and 2 of issue 18's table: the
# functions below measure, the main part at the end only prints.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ledger_gen DIR N: a case at DIR whose ledger holds N entries (entry 0
# opens the case, the rest are signed notes), built by bench/gen_ledger.rs
# without N locked appends. Sets GEN_S (seconds).
ledger_gen() {
  GEN_S=$(secs "$examples/gen_ledger" "$1" "$2" "$KEY")
}

# ledger_verify DIR: verifies the case at DIR (page cache warmed first).
# Sets VERIFY_S (wall seconds) and VERIFY_KB (peak RSS, KiB).
ledger_verify() {
  "$bin" verify "$1" --quiet
  bench_run "$bin" verify "$1" --quiet
  VERIFY_S=$RUN_S VERIFY_KB=$RUN_KB
}

# ledger_appends DIR N: appends N notes to the case at DIR, one `custodian
# note` process each, timing each (milliseconds) into $work/appends.ms.
# The first append has no verified-state record yet (a fresh state folder):
# it verifies the whole ledger, and its time is APPEND_FIRST (ms); the
# others start from the record. Sets APPEND_P50 and APPEND_P90 (ms) of the
# others; the ledger is N+1 entries longer after.
ledger_appends() {
  local i s e
  export CUSTODIAN_STATE_DIR="$work/state-$RANDOM"
  s=$(date +%s%N)
  "$bin" note "$1" --text "benchmark append 0: no record yet" --key "$KEY" >/dev/null
  e=$(date +%s%N)
  APPEND_FIRST=$(calc "($e - $s) / 1000000")
  : >"$work/appends.ms"
  for ((i = 1; i <= $2; i++)); do
    s=$(date +%s%N)
    "$bin" note "$1" --text "benchmark append $i: bag 17 resealed" --key "$KEY" >/dev/null
    e=$(date +%s%N)
    echo "($e - $s) / 1000000" | bc -l >>"$work/appends.ms"
  done
  unset CUSTODIAN_STATE_DIR
  APPEND_P50=$(calc "$(percentile "$work/appends.ms" 0.5)")
  APPEND_P90=$(calc "$(percentile "$work/appends.ms" 0.9)")
}

ledger_main() {
  local entries=${ENTRIES:-100000} appends=${APPENDS:-20} stock=${STOCK_ENTRIES:-500}
  bench_build
  bench_workdir ledger
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(load_avg)"
  echo "== verify: $entries-entry ledger of notes"
  ledger_gen "$work/big" "$entries"
  echo "ledger: $(stat -c %s "$work/big/ledger.jsonl") bytes (generated in $(calc "$GEN_S") s)"
  ledger_verify "$work/big"
  local t_single
  t_single=$(secs "$bin" verify "$work/big" --quiet --no-batch)
  printf "custodian verify (batch):     %6.2f s  %8.0f entries/s  peak RSS %d MB\n" \
    "$VERIFY_S" "$(calc "$entries / $VERIFY_S")" $((VERIFY_KB / 1024))
  printf "custodian verify (--no-batch):%6.2f s  %8.0f entries/s\n" "$t_single" "$(calc "$entries / $t_single")"

  echo "== appends: $appends notes on the $entries-entry ledger, one custodian process each"
  ledger_appends "$work/big" "$appends"
  printf "one append: median %s ms, p90 %s ms (fsync included); the first, with no verified-state record yet: %s ms\n" "$APPEND_P50" "$APPEND_P90" "$APPEND_FIRST"
  "$bin" verify "$work/big" --quiet && echo "appended ledger verifies"

  echo "== stock tools: contrib/verify-ledger.py on a $stock-entry ledger"
  ledger_gen "$work/small" "$stock"
  local t_stock t_ours
  t_stock=$(secs python3 "$bench_root/contrib/verify-ledger.py" "$work/small/ledger.jsonl")
  t_ours=$(secs "$bin" verify "$work/small" --quiet)
  printf "python3 + ssh-keygen:         %6.2f s  %8.0f entries/s\n" "$t_stock" "$(calc "$stock / $t_stock")"
  printf "custodian verify:             %6.2f s  %8.0f entries/s  (%.0fx faster)\n" \
    "$t_ours" "$(calc "$stock / $t_ours")" "$(calc "$t_stock / $t_ours")"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then ledger_main "$@"; fi
