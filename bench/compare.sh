#!/usr/bin/env bash
# Compare `custodian hash` with the tools it replaces, on the same data in
# one run: openssl dgst, sha256sum, md5sum, hashdeep, find|xargs -P2
# sha256sum, b3sum.
#
# Data (generated under a temp dir, removed at the end unless KEEP=1):
#   one BIG_MB MiB random file (default 2048), and SMALL_FILES random files
#   of 512 B..16 KiB spread over DIRS folders (default 50000 in 100).
# Quick run:  BIG_MB=256 SMALL_FILES=5000 bench/compare.sh
#
# Page cache: nothing is dropped. Everything is read once first (warm-up)
# so every tool reads from RAM; the figures measure hashing and system-call
# cost, not the disk. Each command runs RUNS times (default 2); the best
# wall time and the largest peak RSS are reported (GNU time: %e %M).
#
# Sourced by bench/run-all.sh for rows 4 and 5 of issue 18's table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# compare_gen_big DIR MB: DIR/big.bin, MB MiB of random bytes, read once.
compare_gen_big() {
  mkdir -p "$1"
  head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$1/big.bin"
  cat "$1/big.bin" >/dev/null
}

# compare_gen_small DIR N DIRS: N random files of 512 B..16 KiB in DIRS
# folders under DIR/small, read once.
compare_gen_small() {
  python3 - "$1/small" "$2" "$3" <<'PY'
import os, random, sys
root, n, dirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
for d in range(dirs):
    os.makedirs(os.path.join(root, f"d{d:03}"), exist_ok=True)
for i in range(n):
    with open(os.path.join(root, f"d{i % dirs:03}", f"f{i:06}"), "wb") as f:
        f.write(os.urandom(rng.randint(512, 16384)))
PY
  find "$1/small" -type f -print0 | xargs -0 cat >/dev/null
}

declare -A T M
# compare_measure KEY CMD...: best wall seconds (T[KEY]) and largest peak
# RSS in KiB (M[KEY]) over RUNS runs (default 2), from the current folder.
compare_measure() {
  local key=$1
  shift
  local best="" maxrss=0 i
  for ((i = 0; i < ${RUNS:-2}; i++)); do
    bench_run "$@"
    if [[ -z "$best" ]] || awk "BEGIN{exit !($RUN_S < $best)}"; then best=$RUN_S; fi
    ((RUN_KB > maxrss)) && maxrss=$RUN_KB
  done
  T[$key]=$best M[$key]=$maxrss
}

# compare_ratio A B: T[A] / T[B], two decimals.
compare_ratio() { calc "${T[$1]} / ${T[$2]}"; }

compare_main() {
  local big_mb=${BIG_MB:-2048} small_files=${SMALL_FILES:-50000} dirs=${DIRS:-100}
  for t in openssl sha256sum md5sum hashdeep b3sum python3 /usr/bin/time; do
    command -v "$t" >/dev/null || { echo "compare.sh: needs $t" >&2; exit 2; }
  done
  echo "# building release binary" >&2
  bench_build
  bench_workdir compare
  echo "# generating data in $work (big: $big_mb MiB; small: $small_files files in $dirs folders)" >&2
  compare_gen_big "$work" "$big_mb"
  compare_gen_small "$work" "$small_files" "$dirs"

  cd "$work"
  echo
  echo "== big file ($big_mb MiB) and small tree ($small_files files), $(nproc) CPUs, ${RUNS:-2} runs each, load $(load_avg)"
  printf '%-44s %10s %13s\n' command "wall" "peak RSS"
  m() {
    compare_measure "$@"
    printf '%-44s %8.2f s %9d KiB\n' "$1" "${T[$1]}" "${M[$1]}"
  }
  m "openssl dgst -sha256 big" openssl dgst -sha256 big.bin
  m "sha256sum big" sha256sum big.bin
  m "custodian hash big (sha256)" "$bin" hash -q big.bin
  m "hashdeep -c md5,sha1,sha256 big" hashdeep -c md5,sha1,sha256 big.bin
  m "custodian hash -c md5,sha1,sha256 big" "$bin" hash -q --format hashdeep big.bin
  m "md5sum big" md5sum big.bin
  m "custodian hash -c md5 big" "$bin" hash -q -c md5 big.bin
  m "b3sum big" b3sum big.bin
  m "custodian hash -c blake3 big" "$bin" hash -q -c blake3 big.bin
  m "hashdeep -c md5,sha1,sha256 -r small" hashdeep -c md5,sha1,sha256 -r small
  m "custodian hash -r -c md5,sha1,sha256 small" "$bin" hash -q -r --format hashdeep small
  m "find small | xargs -P2 sha256sum" bash -c 'find small -type f -print0 | xargs -0 -P2 -n 1000 sha256sum'
  m "custodian hash -r small (sha256)" "$bin" hash -q -r small
  m "custodian hash -r --format json small" "$bin" hash -q -r --format json small

  check() { # label custodian-key other-key target
    local r ok
    r=$(compare_ratio "$2" "$3")
    ok=$(awk "BEGIN{print ($r <= $4) ? \"met\" : \"MISSED\"}")
    printf '%-52s %6sx  (target <= %sx: %s)\n' "$1" "$r" "$4" "$ok"
  }
  echo
  echo "== ratios (custodian time / other tool time; lower is better)"
  check "sha256 big vs openssl dgst -sha256" "custodian hash big (sha256)" "openssl dgst -sha256 big" 1.1
  check "md5+sha1+sha256 big vs hashdeep" "custodian hash -c md5,sha1,sha256 big" "hashdeep -c md5,sha1,sha256 big" 0.26
  check "md5 alone big vs hashdeep (the bound of the above)" "custodian hash -c md5 big" "hashdeep -c md5,sha1,sha256 big" 0.26
  check "md5 alone big vs md5sum" "custodian hash -c md5 big" "md5sum big" 1.1
  check "md5+sha1+sha256 small tree vs hashdeep -r" "custodian hash -r -c md5,sha1,sha256 small" "hashdeep -c md5,sha1,sha256 -r small" 0.35
  check "sha256 small tree vs find|xargs -P2 sha256sum" "custodian hash -r small (sha256)" "find small | xargs -P2 sha256sum" 0.45
  check "blake3 big vs b3sum" "custodian hash -c blake3 big" "b3sum big" 1.2
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then compare_main "$@"; fi
