#!/usr/bin/env bash
# Ledger benchmark: how fast `custodian verify` checks a large ledger, and how
# long appends take. Compares with the independent verifier built from stock
# tools (contrib/verify-ledger.py: Python + one `ssh-keygen -Y verify` per
# entry), which is what a third party without custodian would run.
#
#   bench/ledger.sh                 # 100,000-entry ledger, 1,000 appends
#   ENTRIES=20000 APPENDS=200 bench/ledger.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ENTRIES=${ENTRIES:-100000}
APPENDS=${APPENDS:-1000}
STOCK_ENTRIES=${STOCK_ENTRIES:-500}
KEY=fixtures/keys/lead
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --bin custodian --example gen_ledger
bin=target/release/custodian
gen=target/release/examples/gen_ledger

secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
rss_kb() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== verify: $ENTRIES-entry ledger of notes"
$gen "$work/big" "$ENTRIES" "$KEY"
size=$(stat -c %s "$work/big/ledger.jsonl")
echo "ledger: $size bytes"
$bin verify "$work/big" --quiet   # warm the page cache
t_batch=$(secs $bin verify "$work/big" --quiet)
t_single=$(secs $bin verify "$work/big" --quiet --no-batch)
rss=$(rss_kb $bin verify "$work/big" --quiet)
printf "custodian verify (batch):     %6.2f s  %8.0f entries/s  peak RSS %d MB\n" "$t_batch" "$(echo "$ENTRIES / $t_batch" | bc -l)" $((rss / 1024))
printf "custodian verify (--no-batch):%6.2f s  %8.0f entries/s\n" "$t_single" "$(echo "$ENTRIES / $t_single" | bc -l)"

echo "== stock tools: contrib/verify-ledger.py on a $STOCK_ENTRIES-entry ledger"
$gen "$work/small" "$STOCK_ENTRIES" "$KEY"
t_stock=$(secs python3 contrib/verify-ledger.py "$work/small/ledger.jsonl")
t_ours=$(secs $bin verify "$work/small" --quiet)
printf "python3 + ssh-keygen:         %6.2f s  %8.0f entries/s\n" "$t_stock" "$(echo "$STOCK_ENTRIES / $t_stock" | bc -l)"
printf "custodian verify:             %6.2f s  %8.0f entries/s  (%.0fx faster)\n" "$t_ours" "$(echo "$STOCK_ENTRIES / $t_ours" | bc -l)" "$(echo "$t_stock / $t_ours" | bc -l)"

echo "== appends: $APPENDS notes, one custodian process each, fresh case"
$bin init "$work/appends" --case-id BENCH-2 --title appends --key "$KEY" >/dev/null
s=$(date +%s.%N)
for i in $(seq 1 "$APPENDS"); do
  $bin note "$work/appends" --text "note $i" --key "$KEY" >/dev/null
done
e=$(date +%s.%N)
t=$(echo "$e - $s" | bc -l)
printf "%d appends:                   %6.2f s  %6.1f ms/append (each verifies the ledger first, then fsyncs)\n" "$APPENDS" "$t" "$(echo "$t * 1000 / $APPENDS" | bc -l)"
$bin verify "$work/appends" --quiet && echo "appended ledger verifies"
