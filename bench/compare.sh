#!/usr/bin/env bash
# Compare `custodian hash` with the tools it replaces, on the same data in
# one run: openssl dgst, sha256sum, hashdeep, find|xargs -P2 sha256sum, b3sum.
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
set -euo pipefail

BIG_MB=${BIG_MB:-2048}
SMALL_FILES=${SMALL_FILES:-50000}
DIRS=${DIRS:-100}
RUNS=${RUNS:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/custodian-bench.XXXXXX")
if [[ "${KEEP:-0}" != 1 ]]; then trap 'rm -rf "$work"' EXIT; fi

for t in openssl sha256sum hashdeep b3sum python3 /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "compare.sh: needs $t" >&2; exit 2; }
done

echo "# building release binary" >&2
(cd "$here" && cargo build --release -q)
bin="$here/target/release/custodian"

echo "# generating data in $work (big: $BIG_MB MiB; small: $SMALL_FILES files in $DIRS folders)" >&2
head -c "$((BIG_MB * 1024 * 1024))" /dev/urandom >"$work/big.bin"
python3 - "$work/small" "$SMALL_FILES" "$DIRS" <<'PY'
import os, random, sys
root, n, dirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
for d in range(dirs):
    os.makedirs(os.path.join(root, f"d{d:03}"), exist_ok=True)
for i in range(n):
    with open(os.path.join(root, f"d{i % dirs:03}", f"f{i:06}"), "wb") as f:
        f.write(os.urandom(rng.randint(512, 16384)))
PY

echo "# warm-up read (all data now in page cache)" >&2
cat "$work/big.bin" >/dev/null
find "$work/small" -type f -print0 | xargs -0 cat >/dev/null

declare -A T M
# measure KEY CMD...: best wall seconds and max peak RSS (KiB) over RUNS.
measure() {
  local key=$1; shift
  local best="" maxrss=0 e m i
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
      echo "compare.sh: $key failed:" >&2; cat "$work/stderr" >&2; exit 1; }
    read -r e m <"$work/time"
    if [[ -z "$best" ]] || awk "BEGIN{exit !($e < $best)}"; then best=$e; fi
    ((m > maxrss)) && maxrss=$m
  done
  T[$key]=$best M[$key]=$maxrss
  printf '%-44s %8.2f s %9d KiB\n' "$key" "$best" "$maxrss"
}

cd "$work"
echo
echo "== big file ($BIG_MB MiB) and small tree ($SMALL_FILES files), $(nproc) CPUs, $RUNS runs each"
printf '%-44s %10s %13s\n' command "wall" "peak RSS"
measure "openssl dgst -sha256 big"               openssl dgst -sha256 big.bin
measure "sha256sum big"                          sha256sum big.bin
measure "custodian hash big (sha256)"            "$bin" hash -q big.bin
measure "hashdeep -c md5,sha1,sha256 big"        hashdeep -c md5,sha1,sha256 big.bin
measure "custodian hash -c md5,sha1,sha256 big"  "$bin" hash -q --format hashdeep big.bin
measure "b3sum big"                              b3sum big.bin
measure "custodian hash -c blake3 big"           "$bin" hash -q -c blake3 big.bin
measure "hashdeep -c md5,sha1,sha256 -r small"   hashdeep -c md5,sha1,sha256 -r small
measure "custodian hash -r -c md5,sha1,sha256 small" "$bin" hash -q -r --format hashdeep small
measure "find small | xargs -P2 sha256sum"       bash -c 'find small -type f -print0 | xargs -0 -P2 -n 1000 sha256sum'
measure "custodian hash -r small (sha256)"       "$bin" hash -q -r small
measure "custodian hash -r --format json small"  "$bin" hash -q -r --format json small

ratio() { awk "BEGIN{printf \"%.2f\", ${T[$1]} / ${T[$2]}}"; }
check() { # label custodian-key other-key target
  local r; r=$(ratio "$2" "$3")
  local ok; ok=$(awk "BEGIN{print ($r <= $4) ? \"met\" : \"MISSED\"}")
  printf '%-52s %6sx  (target <= %sx: %s)\n' "$1" "$r" "$4" "$ok"
}
echo
echo "== ratios (custodian time / other tool time; lower is better)"
check "sha256 big vs openssl dgst -sha256" "custodian hash big (sha256)" "openssl dgst -sha256 big" 1.1
check "md5+sha1+sha256 big vs hashdeep" "custodian hash -c md5,sha1,sha256 big" "hashdeep -c md5,sha1,sha256 big" 0.3
check "md5+sha1+sha256 small tree vs hashdeep -r" "custodian hash -r -c md5,sha1,sha256 small" "hashdeep -c md5,sha1,sha256 -r small" 0.35
check "sha256 small tree vs find|xargs -P2 sha256sum" "custodian hash -r small (sha256)" "find small | xargs -P2 sha256sum" 0.5
check "blake3 big vs b3sum" "custodian hash -c blake3 big" "b3sum big" 1.2
