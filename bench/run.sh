#!/bin/sh
# bench/run.sh - `make bench` (QUICK=1: small sizes, 3 runs, a few
# minutes): every case of bench/cases.sh, tables in bench/out/*.md,
# curves drawn to bench/*.png, bench/RESULTS.md regenerated from them.
# Each case's wall time (and how much of it dropping the page cache took)
# and the load average at the start and the end go to bench/out/run.times
# (RESULTS.md quotes them); a full run frees each case's big inputs
# when no later case uses them (KEEP=1 keeps them); a picture plot.sh
# declares that this run did not draw fails the run.
cd "$(dirname "$0")/.." || exit 2
. bench/cases.sh
status=0
mkdir -p bench/out
rm -f bench/out/*.md bench/out/*.dat bench/out/.quick bench/out/run.times* bench/out/drops.seconds
[ "${QUICK:-0}" = 1 ] && : >bench/out/.quick
load() { cut -d' ' -f1-3 /proc/loadavg; }
# free_inputs CASE: a full run's inputs come to about 60 GiB if kept:
# after each case, the big files (over 64 MiB) in the bench directory
# that no later case names are removed (KEEP=1 keeps them for a rerun).
free_inputs() {
	local later="" c f seen=0
	for c in $BENCH_CASES; do
		[ "$seen" = 1 ] && later="$later bench/$c.sh"
		[ "$c" = "$1" ] && seen=1
	done
	find "${BENCH_DIR:-/var/tmp/shadowsync-bench}" -xdev -maxdepth 1 -type f -size +64M 2>/dev/null |
	while read -r f; do
		# shellcheck disable=SC2086
		[ -n "$later" ] && grep -qF "$(basename "$f")" $later && continue
		rm -f "$f"
	done
}
load >bench/out/run.times
: >bench/out/.start
start=$(date +%s)
for b in $BENCH_CASES; do
	[ -f "bench/$b.sh" ] || { echo "bench: no bench/$b.sh" >&2; status=1; continue; }
	echo "== bench/$b.sh"
	t0=$(date +%s)
	case "${QUICK:-0}:$b" in
	# records.sh takes its size from SIZE only (4 GiB by default)
	1:records) SIZE=$((128 << 20)) bash "bench/$b.sh" ;;
	*) bash "bench/$b.sh" ;;
	esac || { echo "bench: $b failed" >&2; status=1; }
	[ "${QUICK:-0}" = 1 ] || [ "${KEEP:-0}" = 1 ] || free_inputs "$b"
	drops=$(awk '{ s += $1 } END { printf "%.0f", s }' bench/out/drops.seconds 2>/dev/null)
	rm -f bench/out/drops.seconds
	echo "$b $(($(date +%s) - t0)) ${drops:-0}" >>bench/out/run.times.cases
done
load >>bench/out/run.times
cat bench/out/run.times.cases >>bench/out/run.times
rm -f bench/out/run.times.cases
bash bench/plot.sh || status=1
bash bench/plot.sh --list | while read -r c png title; do
	[ "bench/$png" -nt bench/out/.start ] ||
		{ echo "bench: $png ($title) was not drawn" >&2; exit 1; }
done || status=1
bash bench/results.sh || status=1
echo "bench: $(($(date +%s) - start)) s; load average $(load)" >&2
exit $status
