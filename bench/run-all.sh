#!/usr/bin/env bash
# Issue 18's whole table in one run: every row measured from outside on the
# release binary of the current tree, with today's figure, the target, the
# ratio to the target (<= 1.00 meets it) and PASS/MISS; plus the machine,
# the commit and the load average at start and end (wall-clock figures
# depend on it: run on a quiet machine).
#
#   bench/run-all.sh                      # full sizes: ~25 min, ~30 GiB disk
#   QUICK=1 bench/run-all.sh              # smaller sizes, same rows: ~4 min
#                                         # here at load 6, 6.5 min at load 8
#   BENCH_DIR=/big/disk bench/run-all.sh  # where the data goes
#   ROWS="1 2 6" bench/run-all.sh         # only some rows (1..9)
#   POSTGRES=postgres://… | 0             # the PostgreSQL of row 6 (default:
#                                         # CUSTODIAN_INDEX if a URL, else a
#                                         # throwaway cluster under BENCH_DIR)
#
# The measurements are the functions of bench/ledger.sh, compare.sh,
# index.sh, hashset.sh and memory.sh (each still runs alone). Every setup
# step writes under one temporary directory, deleted at exit; a row whose
# data would not fit in the free space there is skipped, saying so. A row
# that fails is reported as ERROR and the run goes on. Peak RSS is GNU
# time's %M; "today" is what this tree measures now.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/ledger.sh"
source "$here/compare.sh"
source "$here/index.sh"
source "$here/hashset.sh"
source "$here/memory.sh"

QUICK=${QUICK:-0}
ROWS=${ROWS:-1 2 3 4 5 6 7 8 9}
if [[ "$QUICK" == 1 ]]; then
  LEDGER_N=100000 LEDGER_BIG_N=200000 APPENDS_N=5 APPENDS_BIG_N=3
  REPORT_N=100000 SMALL_N=10000 BIG_MB=256
  INDEX_SPEC="4 2 125000" HASHSET_N=5000000 EWF_SIZES="1 4" PACKAGE_G=1
else
  LEDGER_N=100000 LEDGER_BIG_N=1000000 APPENDS_N=21 APPENDS_BIG_N=7
  REPORT_N=1000000 SMALL_N=50000 BIG_MB=2048
  INDEX_SPEC="20 5 100000" HASHSET_N=100000000 EWF_SIZES="4 32" PACKAGE_G=10
fi
# Counts with thousands separators, for labels.
n() { sed -E ':a;s/^([0-9]+)([0-9]{3})/\1,\2/;ta' <<<"$1"; }
scaled() { [[ "$QUICK" == 1 ]] && echo " [QUICK: $1]" || true; }

# row WORK TODAY TARGET RATIO STATUS: one line of the table.
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$work/rows.tsv"; }
# note TEXT: a line under the table (setup times, what was skipped, why).
note() { echo "$*" >>"$work/notes.txt"; echo "# $*" >&2; }
# at_most MEASURED BOUND / at_least MEASURED BOUND: "RATIO STATUS", the
# ratio to the target oriented so that <= 1.00 meets it.
at_most() { awk -v m="$1" -v b="$2" 'BEGIN{r=m/b; printf "%.2f %s", r, (m<=b)?"PASS":"MISS"}'; }
at_least() { awk -v m="$1" -v b="$2" 'BEGIN{r=(m>0)?b/m:999; printf "%.2f %s", r, (m>=b)?"PASS":"MISS"}'; }
mb() { calc "$1 / 1024"; }

# --- rows 1 and 2: appends and verify (bench/ledger.sh) ---------------------
ledger_rows() { # N APPENDS APPEND_TARGET_MS LABEL
  local dir=$work/ledger-$1 r
  need_disk $(($1 / 500000 + 1)) "rows 1-2 at $(n "$1") entries" || return 0
  ledger_gen "$dir" "$1"
  note "setup: $(n "$1")-entry ledger generated in $(calc "$GEN_S") s ($(du -h "$dir/ledger.jsonl" | cut -f1))"
  if [[ " $ROWS " == *" 2 "* ]]; then
    ledger_verify "$dir"
    local rate
    rate=$(calc0 "$1 / $VERIFY_S")
    if [[ "$1" == "$LEDGER_N" ]]; then
      read -r r s < <(at_least "$rate" 90000)
      row "2. verify, $(n "$1")-entry ledger of notes: entries/s" \
        "$(calc "$VERIFY_S") s = $(n "$rate")/s" ">= 90,000/s" "$r" "$s"
    fi
    local judged=$VERIFY_KB extra=""
    if [[ "$1" == "$LEDGER_N" ]]; then
      echo "$VERIFY_KB" >"$work/verify-small.kb"
    elif [[ "$QUICK" == 1 && -s "$work/verify-small.kb" ]]; then
      judged=$(project "$(cat "$work/verify-small.kb")" "$LEDGER_N" "$VERIFY_KB" "$1" 1000000)
      extra="; projected at 1,000,000: $(mb "$judged") MB (judged)"
    fi
    read -r r s < <(at_most "$judged" $((64 * 1024)))
    row "2. verify, $(n "$1")-entry ledger: peak RSS$4" "$(mb "$VERIFY_KB") MB ($(n "$rate")/s)$extra" "<= 64 MB at any size" "$r" "$s"
  fi
  if [[ " $ROWS " == *" 1 "* ]]; then
    ledger_appends "$dir" "$2"
    read -r r s < <(at_most "$APPEND_P50" "$3")
    row "1. one append (note, own process, fsync), $(n "$1")-entry ledger$4" \
      "median $APPEND_P50 ms, p90 $APPEND_P90 ms ($2 appends; first, no record yet: $APPEND_FIRST ms)" "<= $3 ms median" "$r" "$s"
  fi
  rm -rf "$dir"
}

# --- row 3: report memory (bench/memory.sh) ---------------------------------
report_rows() {
  need_disk $((REPORT_N / 1000000 + 2)) "row 3" || return 0
  memory_report_case "$work/report-case" "$REPORT_N"
  note "setup: case with one exhibit of $(n "$REPORT_N") files (manifest only, bench/gen_cases.rs) in $(calc "$GEN_S") s"
  # QUICK also measures half the size, to project the bound's size.
  local half=$((REPORT_N / 2))
  [[ "$QUICK" == 1 ]] && memory_report_case "$work/report-half" "$half"
  local f r s judged extra half_kb
  for f in json md html; do
    judged="" extra=""
    if [[ "$QUICK" == 1 ]]; then
      memory_report "$work/report-half/case-0000" "$f"
      half_kb=$RUN_KB
    fi
    memory_report "$work/report-case/case-0000" "$f"
    judged=$RUN_KB
    if [[ "$QUICK" == 1 ]]; then
      judged=$(project "$half_kb" "$half" "$RUN_KB" "$REPORT_N" 1000000)
      extra="; projected at 1,000,000 files: $(mb "$judged") MB (judged)"
    fi
    read -r r s < <(at_most "$judged" $((128 * 1024)))
    row "3. report --format $f, exhibit of $(n "$REPORT_N") files: peak RSS$(scaled "100,000 files, not 1,000,000")" \
      "$(mb "$RUN_KB") MB, $(calc "$RUN_S") s, $((REPORT_BYTES / 1048576)) MiB out$extra" \
      "<= 128 MB" "$r" "$s"
  done
  rm -rf "$work/report-case" "$work/report-half"
}

# --- rows 4 and 5: hashing vs stock tools (bench/compare.sh) ----------------
hash_rows() {
  local d=$work/hash r s
  need_disk $((BIG_MB / 1024 + 2)) "rows 4-5" || return 0
  mkdir -p "$d"
  if [[ " $ROWS " == *" 4 "* ]]; then
    compare_gen_small "$d" "$SMALL_N" 100
    cd "$d"
    compare_measure xargs bash -c 'find small -type f -print0 | xargs -0 -P2 -n 1000 sha256sum'
    compare_measure ours "$bin" hash -q -r small
    read -r r s < <(at_most "$(compare_ratio ours xargs)" 0.45)
    row "4. sha256 of $(n "$SMALL_N") small files vs find|xargs -0 -P2 -n 1000 sha256sum$(scaled "10,000 files")" \
      "$(compare_ratio ours xargs)x ($(calc "${T[ours]}") s vs $(calc "${T[xargs]}") s)" "<= 0.45x" "$r" "$s"
    rm -rf "$d/small"
  fi
  if [[ " $ROWS " == *" 5 "* ]]; then
    compare_gen_big "$d" "$BIG_MB"
    cd "$d"
    compare_measure hashdeep hashdeep -c md5,sha1,sha256 big.bin
    compare_measure ours3 "$bin" hash -q --format hashdeep big.bin
    compare_measure md5sum md5sum big.bin
    compare_measure ours_md5 "$bin" hash -q -c md5 big.bin
    read -r r s < <(at_most "$(compare_ratio ours3 hashdeep)" 0.26)
    row "5. md5+sha1+sha256 of one $(n "$BIG_MB") MiB file vs hashdeep$(scaled "256 MiB, not 2 GiB")" \
      "$(compare_ratio ours3 hashdeep)x ($(calc "${T[ours3]}") s vs $(calc "${T[hashdeep]}") s)" "<= 0.26x" "$r" "$s"
    # The bound: md5 alone on one core (the slowest of the three; the
    # others run on the other core). Met if row 5 is within 10% of it.
    local bound
    bound=$(compare_ratio ours_md5 hashdeep)
    read -r r s < <(at_most "$(compare_ratio ours3 hashdeep)" "$(calc "$bound * 1.10")")
    row "5b. bound: custodian md5 alone vs hashdeep (row 5 within 10% of it?)" \
      "${bound}x ($(calc "${T[ours_md5]}") s; md5sum $(calc "${T[md5sum]}") s: $(compare_ratio ours_md5 md5sum)x md5sum)" \
      "row 5 <= $(calc "$bound * 1.10")x" "$r" "$s"
  fi
  cd "$work"
  rm -rf "$d"
}

# --- row 6: cross-case index (bench/index.sh) -------------------------------
index_rows() {
  local cases exhibits files r s
  read -r cases exhibits files <<<"$INDEX_SPEC"
  local lines=$((cases * exhibits * files))
  need_disk $((lines / 400000 + 2)) "row 6 ($(n "$lines") lines: manifests and index)" || return 0
  index_gen "$work/cases" "$cases" "$exhibits" "$files" "$work/digests.txt"
  note "setup: $cases cases x $exhibits exhibits x $(n "$files") files ($(n "$INDEX_LINES") manifest lines, $(du -sh "$work/cases" | cut -f1)) in $(calc "$GEN_S") s"
  index_load "$work/index.sqlite" "$work/cases"
  index_lookups "$work/index.sqlite" "$work/digests.txt"
  read -r r s < <(at_least "$LOAD_RATE" 250000)
  row "6. index add, $(n "$INDEX_LINES") manifest lines, SQLite$(scaled "1,000,000 lines, not 10,000,000")" \
    "$(n "$LOAD_RATE") lines/s ($(calc "$LOAD_S") s, $(mb "$LOAD_KB") MB); lookup p50 $LOOKUP_P50 ms, p99 $LOOKUP_P99 ms" \
    ">= 250,000 lines/s" "$r" "$s"
  note "row 6 SQLite: index $(du -sh "$work/index.sqlite" | cut -f1); lookups (library, one digest each): $LOOKUP_LINE"
  rm -f "$work/index.sqlite"*
  if pg_url 2>"$work/pg.why"; then
    note "row 6 PostgreSQL: $PG_WHAT"
    index_load "$PG_URL" "$work/cases"
    index_lookups "$PG_URL" "$work/digests.txt"
    read -r r s < <(at_least "$LOAD_RATE" 150000)
    row "6. index add, $(n "$INDEX_LINES") manifest lines, PostgreSQL$(scaled "1,000,000 lines")" \
      "$(n "$LOAD_RATE") lines/s ($(calc "$LOAD_S") s); lookup p50 $LOOKUP_P50 ms, p99 $LOOKUP_P99 ms" \
      ">= 150,000 lines/s; p50/p99 reported" "$r" "$s"
    note "row 6 PostgreSQL lookups (library, one digest each): $LOOKUP_LINE"
    bench_run_hooks # stop a throwaway cluster now, not at exit
  else
    row "6. index add, PostgreSQL" "not measured: $(tr '\n' ' ' <"$work/pg.why")" ">= 150,000 lines/s" "-" "SKIP"
  fi
  rm -rf "$work/cases" "$work/digests.txt"
}

# --- row 7: hash-set import (bench/hashset.sh) ------------------------------
hashset_rows() {
  local r s
  need_disk $((HASHSET_N / 7000000 + 2)) "row 7" || return 0
  hashset_gen "$work/digests.sha256" "$HASHSET_N" plain
  note "setup: $(n "$HASHSET_N") sha256 digests written ($(du -h "$work/digests.sha256" | cut -f1)) in $(calc "$GEN_S") s"
  local judged extra=""
  if [[ "$QUICK" == 1 ]]; then # half the digests too, to project to 100,000,000
    head -n $((HASHSET_N / 2)) "$work/digests.sha256" >"$work/half.sha256"
    hashset_import "$work/hashsets" half "$work/half.sha256"
    local half_kb=$IMPORT_KB
    rm -f "$work/half.sha256"
  fi
  hashset_import "$work/hashsets" bench "$work/digests.sha256"
  judged=$IMPORT_KB
  if [[ "$QUICK" == 1 ]]; then
    judged=$(project "$half_kb" $((HASHSET_N / 2)) "$IMPORT_KB" "$HASHSET_N" 100000000)
    extra="; projected at 100,000,000: $(mb "$judged") MB (judged)"
  fi
  read -r r s < <(at_most "$judged" $((512 * 1024)))
  row "7. hashset import of $(n "$HASHSET_N") sha256 digests: peak RSS$(scaled "5,000,000, not 100,000,000")" \
    "$(mb "$IMPORT_KB") MB, $(calc "$IMPORT_S") s ($(n "$(calc0 "$HASHSET_N / $IMPORT_S")") digests/s)$extra" "<= 512 MB; time reported" "$r" "$s"
  rm -rf "$work/digests.sha256" "$work/hashsets"
}

# --- row 8: E01 verification memory (bench/memory.sh) -----------------------
ewf_rows() {
  command -v ewfacquire >/dev/null || { row "8. E01 verification memory" "not measured: no ewfacquire (ewf-tools)" "" "-" "SKIP"; return 0; }
  need_disk 2 "row 8" || return 0
  local g kb=() sizes=() r s
  for g in $EWF_SIZES; do
    memory_ewf_image "$g"
    note "setup: zero-filled $g GiB E01 made by ewfacquire (empty-block compression) in $(calc "$EWF_SETUP_S") s, $(du -ch "$work/e$g".E* | tail -1 | cut -f1) on disk"
    memory_ewf_verify "$EWF_IMAGE"
    note "row 8: ewf-verify of the $g GiB image: $(calc "$RUN_S") s, peak RSS $(mb "$RUN_KB") MB"
    kb+=("$RUN_KB") sizes+=("$g")
    rm -f "$work/e$g".E*
  done
  # Judged by the growth per GiB of image, so that QUICK's smaller pair
  # is held to the same bound: < 8 MB over the 28 GiB from 4 to 32 GiB.
  local diff=$((kb[1] - kb[0])) span=$((sizes[1] - sizes[0]))
  local slope tib
  slope=$(calc "$diff / 1024 / $span")
  tib=$(project "${kb[0]}" "${sizes[0]}" "${kb[1]}" "${sizes[1]}" 1024)
  read -r r s < <(at_most "$slope" "$(awk 'BEGIN{printf "%.4f", 8 / 28}')")
  row "8. ewf-verify peak RSS, ${sizes[0]} GiB vs ${sizes[1]} GiB zero-filled E01$(scaled "1 and 4 GiB, not 4 and 32")" \
    "$(mb "${kb[0]}") MB vs $(mb "${kb[1]}") MB: +$(mb "$diff") MB = $slope MB/GiB; projected at 1 TiB: $(mb "$tib") MB" \
    "< 8 MB from 4 to 32 GiB (0.29 MB/GiB); <= 64 MB at 1 TiB" "$r" "$s"
}

# --- row 9: verify-package memory (bench/memory.sh) -------------------------
package_rows() {
  local r s limit today
  need_disk $((PACKAGE_G * 2 + 2)) "row 9 (manifests and the package)" || return 0
  # `custodian package` streams (issue 18): building needs disk, not RAM.
  memory_package_make "$PACKAGE_G"
  note "setup: case with $PACKAGE_G exhibit(s) of ~1 GiB manifest each, packaged (directory, $(n "$PKG_BYTES") bytes) in $(calc "$PKG_SETUP_S") s; custodian package peak RSS $(mb "$PKG_BUILD_KB") MB"
  # The verifier runs under an address-space limit (all but 2 GiB of the
  # memory available now), so a regression that holds the package again
  # is reported as such instead of pushing the machine into the OOM killer.
  limit=$(($(mem_available_gib) - 2))
  ((limit < 4)) && limit=4
  memory_package_verify "$limit"
  today="$(mb "$RUN_KB") MB, $(calc "$RUN_S") s (exit $RUN_RC)"
  if ((RUN_RC >= 128)) || grep -qiE "memory allocation|out of memory" "$work/last.out"; then
    today="out of memory: stopped at the $limit GiB address-space limit after $(calc "$RUN_S") s (peak RSS $(mb "$RUN_KB") MB reached)"
    RUN_KB=$((limit * 1024 * 1024)) # judged as at least the limit
  elif ((RUN_RC != 0)); then
    note "row 9: verify-package exited $RUN_RC: $(tail -1 "$work/last.out")"
  fi
  read -r r s < <(at_most "$RUN_KB" $((64 * 1024)))
  row "9. verify-package, $(calc "$PKG_BYTES / 1073741824") GiB package (directory): peak RSS$(scaled "1 GiB, not 10 GiB")" \
    "$today" "<= 64 MB" "$r" "$s"
  rm -rf "$work/pkg"
  # Issue 20: the same exhibits as an age-encrypted tar, written and read
  # back with the examiner's key (both streamed).
  local ex=() i enc_kb
  for ((i = 0; i < PACKAGE_G; i++)); do ex+=(--exhibit "$(printf 'EXH-%03d' "$i")"); done
  "$examples/gen_cases" "$work/pkgcase" 1 "$PACKAGE_G" $((1024 * 1024 * 1024 / 484)) "$KEY" 0 >/dev/null
  bench_run "$bin" package "$work/pkgcase/case-0000" "${ex[@]}" --for "benchmark" \
    --out "$work/pkg.tar.age" --encrypt-to "$KEY.pub" --key "$KEY"
  enc_kb=$RUN_KB
  today="package $(mb "$enc_kb") MB, $(calc "$RUN_S") s"
  rm -rf "$work/pkgcase"
  bench_run_rc "$bin" verify-package "$work/pkg.tar.age" --identity "$KEY"
  today="$today; verify-package --identity $(mb "$RUN_KB") MB, $(calc "$RUN_S") s (exit $RUN_RC)"
  ((RUN_KB > enc_kb)) || RUN_KB=$enc_kb
  read -r r s < <(at_most "$RUN_KB" $((64 * 1024)))
  row "9b. package --encrypt-to, then verify-package --identity, $(calc "$(stat -c %s "$work/pkg.tar.age") / 1073741824") GiB age file: peak RSS$(scaled "1 GiB, not 10 GiB")" \
    "$today" "<= 64 MB both" "$r" "$s"
  rm -f "$work/pkg.tar.age"
}

# run_row N FUNCTION ARGS...: FUNCTION in a subshell (errexit on), so a
# failing row becomes an ERROR line and the others still run.
run_row() {
  local num=$1 rc
  shift
  [[ " $ROWS " == *" $num "* ]] || return 0
  echo "# row $num: $* (load $(load_avg))" >&2
  set +e
  ("$@")
  rc=$?
  set -e
  if ((rc != 0)); then row "$num. $*" "ERROR (exit $rc; see the messages above)" "" "-" "ERROR"; fi
}

main() {
  local start_load start end
  start_load=$(load_avg)
  start=$(date +%s)
  bench_build
  bench_workdir run-all
  : >"$work/rows.tsv"
  : >"$work/notes.txt"

  if [[ " $ROWS " == *" 1 "* || " $ROWS " == *" 2 "* ]]; then
    run_row_ledger() {
      ledger_rows "$LEDGER_N" "$APPENDS_N" 25 ""
      ledger_rows "$LEDGER_BIG_N" "$APPENDS_BIG_N" 40 "$(scaled "200,000 entries, not 1,000,000")"
    }
    local r
    for r in 1 2; do [[ " $ROWS " == *" $r "* ]] && break; done
    run_row "$r" run_row_ledger
  fi
  run_row 3 report_rows
  if [[ " $ROWS " == *" 4 "* ]]; then run_row 4 hash_rows; elif [[ " $ROWS " == *" 5 "* ]]; then run_row 5 hash_rows; fi
  run_row 6 index_rows
  run_row 7 hashset_rows
  run_row 8 ewf_rows
  run_row 9 package_rows
  end=$(date +%s)

  echo
  if [[ "$QUICK" == 1 ]]; then
    echo "== custodian: issue 18 benchmark, QUICK=1 (SCALED DOWN: smaller sizes, marked [QUICK: ...]; not the figures for docs)"
  else
    echo "== custodian: issue 18 benchmark, full sizes"
  fi
  machine_facts
  echo "load average: $start_load at start, $(load_avg) at end; $(((end - start) / 60)) min $(((end - start) % 60)) s"
  echo "ratio = measured / target (for a rate: target / measured): <= 1.00 meets the target"
  echo
  awk -F'\t' '
    { for (i = 1; i <= 5; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
    END {
      h[1] = "work"; h[2] = "today (measured)"; h[3] = "target"; h[4] = "ratio"; h[5] = "status"
      for (i = 1; i <= 5; i++) if (length(h[i]) > w[i]) w[i] = length(h[i])
      line(h); sep = "|"; for (i = 1; i <= 5; i++) { d = ""; for (k = 0; k < w[i] + 2; k++) d = d "-"; sep = sep d "|" } print sep
      for (r = 1; r <= NR; r++) { for (i = 1; i <= 5; i++) v[i] = c[r, i]; line(v) }
    }
    function line(a,   s, i) { s = "|"; for (i = 1; i <= 5; i++) s = s sprintf(" %-" w[i] "s |", a[i]); print s }
  ' <(sort -s -t. -k1,1n "$work/rows.tsv")
  echo
  [[ -s "$work/notes.txt" ]] && sed 's/^/- /' "$work/notes.txt"
  return 0
}

main "$@"
