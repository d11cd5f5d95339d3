#!/bin/sh
# bench/run.sh - `make bench` (QUICK=1: small sizes, 3 runs, a few
# minutes): every benchmark, tables in bench/out/*.md, curves drawn to
# bench/*.png, bench/RESULTS.md regenerated from them.
cd "$(dirname "$0")/.." || exit 2
status=0
mkdir -p bench/out
rm -f bench/out/*.md bench/out/*.dat bench/out/.quick
[ "${QUICK:-0}" = 1 ] && : >bench/out/.quick
for b in verify sync warm warm_slow size pairs qd records restore restore_remote restore_conns ebs; do
	[ -f "bench/$b.sh" ] || continue
	echo "== bench/$b.sh"
	bash "bench/$b.sh" || { echo "bench: $b failed" >&2; status=1; }
done
bash bench/plot.sh || status=1
bash bench/results.sh || status=1
exit $status
