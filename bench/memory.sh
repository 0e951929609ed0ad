#!/usr/bin/env bash
# Memory bounds of the acquisition engine, measured with /usr/bin/time:
#   - one large file (default 10 GiB, sparse, so it costs no disk)
#   - a tree of many small files (default 1,000,000 empty-ish files)
# Targets (issue 4): one 10 GB file under 64 MB RSS; 1,000,000 files under
# 256 MB RSS. Smaller runs: BIG_GB=2 FILES=100000 bench/memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIG_GB=${BIG_GB:-10}
FILES=${FILES:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --bin custodian
bin=$PWD/target/release/custodian

truncate -s "${BIG_GB}G" "$work/big.img"
/usr/bin/time -f '%e s, peak RSS %M KB' "$bin" hash -c md5,sha1,sha256 --format json "$work/big.img" \
  > "$work/big.json" 2> "$work/big.time"
echo "one ${BIG_GB} GiB file, md5+sha1+sha256: $(tail -1 "$work/big.time")"

mkdir -p "$work/tree"
python3 - "$work/tree" "$FILES" <<'PY'
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
/usr/bin/time -f '%e s, peak RSS %M KB' "$bin" hash -r -c md5,sha1,sha256 --format json "$work/tree" \
  > "$work/tree.json" 2> "$work/tree.time"
echo "$FILES small files, md5+sha1+sha256: $(tail -1 "$work/tree.time") ($(wc -l < "$work/tree.json") manifest lines)"
