#!/usr/bin/env bash
# Hash-set import and lookup speed (docs/engineering/performance.md, "Hash sets"):
#   1. a sha256sum file of LINES lines (default 1,000,000) is imported with
#      `custodian hashset import` (time and peak RSS);
#   2. the same digests as a plain list;
#   3. LOOKUPS lookups (default 1,000,000, half hits) through the library
#      matcher (bench/hashset_lookup.rs), on the imported set, which is
#      above the 16 MiB in-memory limit only when LINES > 524,288.
# Smaller runs: LINES=100000 bench/hashset.sh
# The digests are written by bench/gen_digests.rs (pseudo-random, fixed
# seed: 100,000,000 lines in about a minute).
#
# Sourced by bench/run-all.sh for row 7 of issue 18's table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# hashset_gen FILE N plain|sum: N distinct sha256 digests in FILE. Sets GEN_S.
hashset_gen() {
  GEN_S=$(secs "$examples/gen_digests" "$2" "$3" "$1")
}

# hashset_import STORE NAME FILE: `custodian hashset import` of FILE as a
# known-good set NAME into the store at STORE. Sets IMPORT_S, IMPORT_KB.
hashset_import() {
  bench_run "$bin" hashset --hashsets "$1" import "$2" "$3" --kind known-good
  IMPORT_S=$RUN_S IMPORT_KB=$RUN_KB
}

hashset_main() {
  local lines=${LINES:-1000000} lookups=${LOOKUPS:-1000000} f
  bench_build
  bench_workdir hashset
  hashset_gen "$work/set.sha256" "$lines" sum
  hashset_gen "$work/set.txt" "$lines" plain
  echo "source: $lines lines, $(du -h "$work/set.sha256" | cut -f1) (sha256sum), $(du -h "$work/set.txt" | cut -f1) (plain); load $(load_avg)"
  for f in set.sha256 set.txt; do
    hashset_import "$work/store" "${f%%.*}-${f##*.}" "$work/$f"
    echo "import of $f: $IMPORT_S s, peak RSS $IMPORT_KB KB"
  done
  "$examples/hashset_lookup" "$work/store" set-sha256 "$lookups"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then hashset_main "$@"; fi
