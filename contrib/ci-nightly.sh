#!/usr/bin/env bash
# Nightly verification of every custodian case under a folder.
#
# Usage: ci-nightly.sh CASES_DIR STATE_DIR
#
#   CASES_DIR  a folder whose sub-folders are case folders (each holds a
#              ledger.jsonl); other sub-folders are ignored.
#   STATE_DIR  where the head hash and entry count of each case are kept
#              between runs (one file per case, NAME.state). Keep it where
#              the people who can write the cases cannot write.
#
# Environment:
#   CUSTODIAN                  the custodian binary (default: custodian)
#   CUSTODIAN_TRUST            fingerprints (SHA256:…) a case must have been
#                              opened with, space-separated, or
#   CUSTODIAN_ALLOWED_SIGNERS  an OpenSSH allowed_signers file (one of the
#                              two is required: a self-asserted root of
#                              trust proves nothing)
#   CUSTODIAN_STRICT           1 (default): warnings and every custody
#                              finding fail too (verify --strict, which is
#                              --fail-on warning); 0: they do not
#   CUSTODIAN_FAIL_ON          with CUSTODIAN_STRICT=0: error (default),
#                              high, medium or low: custody and authority
#                              findings of that severity or worse fail
#                              (verify --fail-on)
#
# For each case: `custodian verify CASE --json` with the root of trust and,
# from the second run on, `--expect-head`/`--expect-size` from the state
# file, so that a truncation or rollback of the ledger (which a plain verify
# accepts: a shorter ledger is still a valid one) fails. The state file is
# updated only when the case verifies, so a failure keeps failing until a
# person has looked at it.
#
# Every case is checked even after a failure. One line per case on stdout:
#   ok    NAME: N entries, head HASH
#   FAIL  NAME: why
#   ERROR NAME: why (could not check)
# Exit status: 0 every case is as recorded; 1 at least one case is not
# (changed, truncated, rolled back, removed); 2 nothing failed verification
# but something could not be checked (usage, missing tools, I/O).
set -euo pipefail

die() {
	echo "ci-nightly: error: $*" >&2
	exit 2
}

[[ $# -eq 2 ]] || die "usage: ci-nightly.sh CASES_DIR STATE_DIR"
cases_dir=$1
state_dir=$2
custodian=${CUSTODIAN:-custodian}
strict=${CUSTODIAN_STRICT:-1}
fail_on=${CUSTODIAN_FAIL_ON:-error}

command -v jq >/dev/null || die "jq is required (apt-get install jq)"
command -v "$custodian" >/dev/null || die "custodian binary not found: $custodian"
[[ -d $cases_dir ]] || die "no such folder: $cases_dir"
mkdir -p -- "$state_dir"

trust=()
if [[ -n ${CUSTODIAN_TRUST:-} ]]; then
	read -r -a fps <<<"$CUSTODIAN_TRUST"
	for fp in "${fps[@]}"; do
		trust+=(--trust "$fp")
	done
fi
if [[ -n ${CUSTODIAN_ALLOWED_SIGNERS:-} ]]; then
	[[ -r $CUSTODIAN_ALLOWED_SIGNERS ]] ||
		die "cannot read CUSTODIAN_ALLOWED_SIGNERS=$CUSTODIAN_ALLOWED_SIGNERS"
	trust+=(--allowed-signers "$CUSTODIAN_ALLOWED_SIGNERS")
fi
[[ ${#trust[@]} -gt 0 ]] ||
	die "set CUSTODIAN_TRUST or CUSTODIAN_ALLOWED_SIGNERS (without a root of trust anyone could forge a whole case)"

failed=0
broken=0
checked=0
err_file=$(mktemp)
trap 'rm -f -- "$err_file"' EXIT

fail() {
	echo "FAIL  $1: $2"
	failed=$((failed + 1))
}

for dir in "$cases_dir"/*/; do
	dir=${dir%/}
	[[ -f $dir/ledger.jsonl ]] || continue
	name=$(basename -- "$dir")
	state=$state_dir/$name.state
	checked=$((checked + 1))

	args=(verify "$dir" --json "${trust[@]}" --fail-on "$fail_on")
	[[ $strict == 0 ]] || args+=(--strict)
	expect_head=
	expect_size=
	if [[ -f $state ]]; then
		read -r expect_head expect_size <"$state" || true
		if [[ ! $expect_head =~ ^[0-9a-f]{64}$ || ! $expect_size =~ ^[0-9]+$ ]]; then
			echo "ERROR $name: unreadable state file $state"
			broken=$((broken + 1))
			continue
		fi
		args+=(--expect-head "$expect_head" --expect-size "$expect_size")
	fi

	rc=0
	out=$("$custodian" "${args[@]}" 2>"$err_file") || rc=$?
	case $rc in
	0)
		now_head=$(jq -r '.head // empty' <<<"$out")
		entries=$(jq -r '.entries' <<<"$out")
		if [[ ! $now_head =~ ^[0-9a-f]{64}$ ]]; then
			fail "$name" "verify printed no head hash"
			continue
		fi
		printf '%s %s\n' "$now_head" "$entries" >"$state.tmp"
		mv -f -- "$state.tmp" "$state"
		if [[ -n $expect_head && $now_head != "$expect_head" ]]; then
			echo "ok    $name: $entries entries (was $expect_size), head $now_head"
		else
			echo "ok    $name: $entries entries, head $now_head"
		fi
		;;
	1)
		why=$(jq -r '[(.problems[] | select(.severity == "error" or $strict)
			| "[\(.code)] \(.message)"), (.findings[] | select(.gating)
			| "[\(.id)] (\(.severity)) \(.message)")] | .[:3] | join("; ")' \
			--argjson strict "$([[ $strict == 0 ]] && echo false || echo true)" \
			<<<"$out" 2>/dev/null) || why="verify exited 1"
		fail "$name" "NOT AS RECORDED: ${why:-verify exited 1}"
		;;
	*)
		echo "ERROR $name: could not verify (exit $rc): $(head -n 3 -- "$err_file" | tr '\n' ' ')"
		broken=$((broken + 1))
		;;
	esac
done

# A case that was verified before and is gone now is a failure too.
for state in "$state_dir"/*.state; do
	[[ -e $state ]] || continue
	name=$(basename -- "$state" .state)
	if [[ ! -f $cases_dir/$name/ledger.jsonl ]]; then
		fail "$name" "the case was verified before ($state) but $cases_dir/$name/ledger.jsonl is gone"
	fi
done

echo "ci-nightly: $checked case(s) checked, $failed not as recorded, $broken could not be checked"
if [[ $failed -gt 0 ]]; then
	exit 1
elif [[ $broken -gt 0 ]]; then
	exit 2
fi
