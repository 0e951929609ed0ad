#!/usr/bin/env bash
# Memory bounds, measured with /usr/bin/time (peak RSS):
#   - acquisition engine: one large file (default 10 GiB, sparse, so it
#     costs no disk) and a tree of many small files (default 1,000,000);
#     targets (issue 4): one 10 GB file under 64 MB RSS; 1,000,000 files
#     under 256 MB RSS;
#   - with PARTS="... report ewf package" also (issue 18): `report` of an
#     exhibit of REPORT_FILES files (default 1,000,000), `ewf-verify` of E01
#     images of EWF_GIB GiB (default "4 32"), and `verify-package` of a
#     PACKAGE_GIB GiB package (default 10).
# Smaller runs: BIG_GB=2 FILES=100000 bench/memory.sh
#               PARTS=report REPORT_FILES=100000 bench/memory.sh
#
# Sourced by bench/run-all.sh for rows 3, 8 and 9 of issue 18's table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# memory_hash_big GIB: `hash -c md5,sha1,sha256` of a sparse GIB GiB file.
# Sets RUN_S, RUN_KB.
memory_hash_big() {
  truncate -s "${1}G" "$work/big.img"
  bench_run "$bin" hash -c md5,sha1,sha256 --format json "$work/big.img"
  rm -f "$work/big.img"
}

# memory_hash_tree N: `hash -r` of a tree of N tiny files. Sets RUN_S, RUN_KB.
memory_hash_tree() {
  mkdir -p "$work/tree"
  python3 - "$work/tree" "$1" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
per = 1000
for d in range((n + per - 1) // per):
    sub = os.path.join(root, "d%05d" % d)
    os.mkdir(sub)
    for f in range(min(per, n - d * per)):
        with open(os.path.join(sub, "f%04d" % f), "wb") as fh:
            fh.write(b"%d" % f)
PY
  bench_run "$bin" hash -r -c md5,sha1,sha256 --format json "$work/tree"
  rm -rf "$work/tree"
}

# memory_report_case DIR FILES: a case with one exhibit (EXH-000) of FILES
# files, manifest only (bench/gen_cases.rs: signed ledger, synthetic
# manifest; `report` reads manifests, not evidence, unless --evidence is
# given). The case is DIR/case-0000. Sets GEN_S.
memory_report_case() {
  GEN_S=$(secs "$examples/gen_cases" "$1" 1 1 "$2" "$KEY" 0)
}

# memory_report CASE FORMAT: `report --format FORMAT -o FILE` of CASE,
# the file lists inline (one file, as measured before `--appendix`, whose
# default would write them to a separate file past 500 rows).
# Sets RUN_S, RUN_KB, REPORT_BYTES (the report's size).
memory_report() {
  bench_run_rc "$bin" report "$1" --format "$2" -o "$work/report.$2" \
    --appendix inline --generated-at 2026-03-01T00:00:00Z
  if ((RUN_RC > 1)); then
    echo "bench: report --format $2 failed:" >&2
    tail -3 "$work/last.out" >&2
    return 1
  fi
  REPORT_BYTES=$(stat -c %s "$work/report.$2")
  rm -f "$work/report.$2"
}

# memory_ewf_image GIB: an E01 image ($work/eGIB.E01…) of a sparse,
# all-zero GIB GiB source, made by ewfacquire (encase6, empty-block
# compression, md5 + sha1 stored). Sets EWF_IMAGE (its first segment) and
# EWF_SETUP_S (seconds ewfacquire took: setup, not the measurement).
memory_ewf_image() {
  local src=$work/zero-$1.raw t=$work/e$1
  truncate -s "${1}G" "$src"
  EWF_SETUP_S=$(secs ewfacquire -u -q -t "$t" -c empty-block -f encase6 -d sha1 \
    -C BENCH -D "zero-filled $1 GiB" -E EXH-1 -e bench -N bench "$src")
  rm -f "$src"
  EWF_IMAGE=$t.E01
}

# memory_ewf_verify IMAGE: `custodian ewf-verify IMAGE`. Sets RUN_S, RUN_KB.
memory_ewf_verify() {
  bench_run "$bin" ewf-verify "$1"
}

# memory_package_make GIB: a case whose manifests total about GIB GiB (one
# exhibit per GiB; bench/gen_cases.rs streams them) packaged whole by
# `custodian package` as the directory $work/pkg. Sets PKG_SETUP_S (the
# generation and packaging), PKG_BUILD_KB (peak RSS of `custodian
# package`: setup, reported for information) and PKG_BYTES.
memory_package_make() {
  # A generated manifest line is about 484 bytes.
  local files=$((1024 * 1024 * 1024 / 484)) s e ex=()
  s=$(date +%s.%N)
  "$examples/gen_cases" "$work/pkgcase" 1 "$1" "$files" "$KEY" 0
  local i
  for ((i = 0; i < $1; i++)); do ex+=(--exhibit "$(printf 'EXH-%03d' "$i")"); done
  bench_run "$bin" package "$work/pkgcase/case-0000" "${ex[@]}" --for "benchmark" \
    --out "$work/pkg" --key "$KEY"
  PKG_BUILD_KB=$RUN_KB
  rm -rf "$work/pkgcase"
  e=$(date +%s.%N)
  PKG_SETUP_S=$(echo "$e - $s" | bc -l)
  PKG_BYTES=$(du -sb "$work/pkg" | cut -f1)
}

# memory_package_verify [LIMIT_GIB]: `custodian verify-package` of
# $work/pkg. Sets RUN_S, RUN_KB, RUN_RC. With LIMIT_GIB its address space
# is limited to that (ulimit -v): a verifier that reads the whole package
# into memory then fails to allocate (exit 2 "out of memory", or an abort
# >= 128; RUN_KB what it had reached) instead of pushing a shared machine
# into swap or the OOM killer.
memory_package_verify() {
  if [[ -n "${1:-}" ]]; then
    (
      ulimit -v $(($1 * 1024 * 1024))
      bench_run_rc "$bin" verify-package "$work/pkg"
      echo "$RUN_RC $RUN_S $RUN_KB" >"$work/last.rc"
    )
    read -r RUN_RC RUN_S RUN_KB <"$work/last.rc"
  else
    bench_run_rc "$bin" verify-package "$work/pkg"
  fi
}

memory_main() {
  local big_gb=${BIG_GB:-10} files=${FILES:-1000000} parts=${PARTS:-acquire} g f
  bench_build
  bench_workdir memory
  echo "load: $(load_avg)"
  if [[ " $parts " == *" acquire "* ]]; then
    memory_hash_big "$big_gb"
    echo "one ${big_gb} GiB file, md5+sha1+sha256: $RUN_S s, peak RSS $RUN_KB KB"
    memory_hash_tree "$files"
    echo "$files small files, md5+sha1+sha256: $RUN_S s, peak RSS $RUN_KB KB"
  fi
  if [[ " $parts " == *" report "* ]]; then
    memory_report_case "$work/report-case" "${REPORT_FILES:-1000000}"
    for f in json md html; do
      memory_report "$work/report-case/case-0000" "$f"
      echo "report --format $f of ${REPORT_FILES:-1000000} files: $RUN_S s, peak RSS $RUN_KB KB, $REPORT_BYTES bytes"
    done
    rm -rf "$work/report-case"
  fi
  if [[ " $parts " == *" ewf "* ]]; then
    for g in ${EWF_GIB:-4 32}; do
      memory_ewf_image "$g"
      memory_ewf_verify "$EWF_IMAGE"
      echo "ewf-verify of a zero-filled $g GiB E01: $RUN_S s, peak RSS $RUN_KB KB"
      rm -f "$work/e$g".E*
    done
  fi
  if [[ " $parts " == *" package "* ]]; then
    memory_package_make "${PACKAGE_GIB:-10}"
    memory_package_verify
    echo "verify-package of $PKG_BYTES bytes: $RUN_S s, peak RSS $RUN_KB KB (exit $RUN_RC; building it took $PKG_BUILD_KB KB)"
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then memory_main "$@"; fi
