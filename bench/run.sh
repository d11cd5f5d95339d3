#!/bin/sh
# bench/run.sh - `make bench`: every benchmark, results in bench/out/*.md.
cd "$(dirname "$0")/.." || exit 2
status=0
for b in bench/verify.sh bench/sync.sh bench/warm.sh bench/warm_slow.sh bench/restore.sh \
	bench/restore_remote.sh; do
	echo "== $b"
	bash "$b" || status=1
done
exit $status
