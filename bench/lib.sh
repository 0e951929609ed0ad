# Shared helpers of the bench/*.sh scripts (sourced, never run). Each script
# defines its measurements as functions and runs its own report only when
# executed; bench/run-all.sh sources them all and prints issue 18's table.
#
# Knobs common to every script:
#   BENCH_DIR  where the temporary data goes (default $TMPDIR or /tmp); the
#              big rows need tens of GiB: put it on a disk with room.
#   KEEP=1     keep the data directory at exit.
#   NO_BUILD=1 use target/release as it is (no `cargo build --release`).

[[ -n "${bench_lib_loaded:-}" ]] && return 0
bench_lib_loaded=1
bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$bench_root/target/release/custodian
examples=$bench_root/target/release/examples
KEY=${KEY:-$bench_root/fixtures/keys/lead}

# bench_build: the release binary and every helper example, in one cargo
# call (one feature resolution: the engine is built once, with the
# command's features, for the binary and the examples alike).
bench_build() {
  [[ "${NO_BUILD:-0}" == 1 ]] && return 0
  (cd "$bench_root" && cargo build --release --quiet --bin custodian \
    --example gen_ledger --example gen_cases --example gen_digests \
    --example hashset_lookup --example index_lookup)
}

# bench_workdir NAME: sets $work to a new directory under BENCH_DIR (or
# $TMPDIR, /tmp), removed at exit unless KEEP=1. The cleanup first runs the
# commands registered with bench_on_exit (e.g. stopping a PostgreSQL
# cluster); they are kept in a file so that a row measured in a subshell
# can register one too.
bench_on_exit() { echo "$1" >>"$work/.exit-hooks"; }
# bench_run_hooks: runs the registered commands now, and forgets them.
bench_run_hooks() {
  if [[ -n "${work:-}" && -f "$work/.exit-hooks" ]]; then
    local h
    while IFS= read -r h; do eval "$h" || true; done <"$work/.exit-hooks"
    rm -f "$work/.exit-hooks"
  fi
}
bench_cleanup() {
  bench_run_hooks
  if [[ "${KEEP:-0}" != 1 && -n "${work:-}" && -d "$work" ]]; then rm -rf "$work"; fi
}
bench_workdir() {
  local base=${BENCH_DIR:-${WORK:-${TMPDIR:-/tmp}}}
  mkdir -p "$base"
  work=$(mktemp -d "$base/custodian-$1.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# bench_run CMD...: runs CMD (stdout and stderr to $work/last.out), sets
# RUN_S (wall seconds, nanosecond clock: GNU time's %e has only two
# decimals) and RUN_KB (peak RSS in KiB, GNU time's %M). Fails, showing the
# end of the output, if CMD fails.
bench_run() {
  bench_run_rc "$@"
  if ((RUN_RC != 0)); then
    echo "bench: failed (exit $RUN_RC): $*" >&2
    tail -5 "$work/last.out" >&2
    return 1
  fi
}

# bench_run_rc CMD...: as bench_run, but any exit code is accepted and
# left in RUN_RC (the caller decides what a failure means).
bench_run_rc() {
  local s e
  RUN_RC=0
  s=$(date +%s.%N)
  /usr/bin/time -f '%e %M' -o "$work/last.time" "$@" >"$work/last.out" 2>&1 || RUN_RC=$?
  e=$(date +%s.%N)
  RUN_S=$(echo "$e - $s" | bc -l)
  read -r _ RUN_KB < <(tail -1 "$work/last.time")
}

# project KB1 N1 KB2 N2 N: the peak RSS (KiB) at size N, extrapolated
# linearly from two measurements (KB1 at size N1, KB2 at N2): how a
# QUICK run judges a memory bound stated for a size it does not reach.
project() { awk -v a="$1" -v n1="$2" -v b="$3" -v n2="$4" -v n="$5" 'BEGIN{printf "%.0f", b + (b - a) / (n2 - n1) * (n - n2)}'; }

# secs CMD...: wall seconds of CMD (output discarded), nanosecond clock.
secs() {
  local s e
  s=$(date +%s.%N)
  "$@" >/dev/null
  e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}

# calc EXPR: floating point arithmetic, printed with two decimals.
calc() { awk "BEGIN{printf \"%.2f\", $1}"; }
calc0() { awk "BEGIN{printf \"%.0f\", $1}"; }

# percentile FILE Q: the Q-quantile (0..1) of the numbers in FILE, one a line
# (nearest rank on the sorted list).
percentile() {
  sort -g "$1" | awk -v q="$2" '{v[NR]=$1} END{i=int((NR-1)*q+0.5)+1; print v[i]}'
}

# free_gib DIR: free space of DIR's file system in GiB (whole).
free_gib() { df -P -k "$1" | awk 'NR==2 {print int($4 / 1048576)}'; }
# mem_available_gib: MemAvailable in GiB (whole).
mem_available_gib() { awk '/^MemAvailable:/ {print int($2 / 1048576)}' /proc/meminfo; }

# need_disk GIB WHAT: true if $work has GIB GiB free, else prints why WHAT
# is skipped and returns 1.
need_disk() {
  local have
  have=$(free_gib "$work")
  if ((have < $1)); then
    echo "SKIP $2: needs ${1} GiB free under $work, has ${have} GiB (set BENCH_DIR)" >&2
    return 1
  fi
}

# load_avg: the three load averages.
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

# machine_facts: one paragraph about the machine, the tools and the tree.
machine_facts() {
  local commit dirty
  commit=$(git -C "$bench_root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  dirty=$(git -C "$bench_root" status --porcelain 2>/dev/null | grep -q . && echo " (+ uncommitted changes)" || true)
  echo "commit:  $commit$dirty on $(git -C "$bench_root" rev-parse --abbrev-ref HEAD 2>/dev/null)"
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/^MemTotal:/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "binary:  $bin ($("$bin" --version 2>/dev/null)), $(rustc --version 2>/dev/null)"
  echo "data:    $work ($(free_gib "$work") GiB free, $(df -P "$work" | awk 'NR==2 {print $1}'))"
}
