#!/usr/bin/env bash
# Hash-set import and lookup speed (docs/engineering/performance.md, "Hash sets"):
#   1. a sha256sum file of LINES lines (default 1,000,000) is imported with
#      `custodian hashset import` (time and peak RSS);
#   2. the same digests as a plain list;
#   3. LOOKUPS lookups (default 1,000,000, half hits) through the library
#      matcher (bench/hashset_lookup.rs), on the imported set, which is
#      above the 16 MiB in-memory limit only when LINES > 524,288.
# Smaller runs: LINES=100000 bench/hashset.sh
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${LINES:-1000000}
LOOKUPS=${LOOKUPS:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --bin custodian --example hashset_lookup
bin=$PWD/target/release/custodian
lookup=$PWD/target/release/examples/hashset_lookup

python3 - "$work" "$LINES" <<'PY'
import hashlib, sys
work, n = sys.argv[1], int(sys.argv[2])
with open(f"{work}/set.sha256", "w") as s, open(f"{work}/set.txt", "w") as p:
    for i in range(n):
        h = hashlib.sha256(i.to_bytes(8, "little")).hexdigest()
        s.write(f"{h}  files/dir{i % 1000}/file{i}.bin\n")
        p.write(h + "\n")
PY
echo "source: $LINES lines, $(du -h "$work/set.sha256" | cut -f1) (sha256sum), $(du -h "$work/set.txt" | cut -f1) (plain)"
for f in set.sha256 set.txt; do
  /usr/bin/time -f '%e s, peak RSS %M KB' "$bin" hashset --hashsets "$work/store" \
    import "${f%%.*}-${f##*.}" "$work/$f" --kind known-good > /dev/null 2> "$work/time"
  echo "import of $f: $(tail -1 "$work/time")"
done
"$lookup" "$work/store" set-sha256 "$LOOKUPS"
