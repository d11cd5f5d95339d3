#!/bin/bash
# bench/pairs.sh - verify --config with 1, 2, 4 and 8 pairs of slow
# devices (tests/tools/slowdev: 20 ms per read, as a volume restored from
# an EBS snapshot): the pairs are read at once, so wall time should stay
# nearly flat as pairs are added. --threads is the pair count (the
# default, one thread per CPU, is for hosts where hashing is the limit;
# this VM has 2 CPUs and slow devices, where it is not); 4 reads in flight
# per device so that one pair takes about a second (the question is
# whether pairs overlap, not how deep one device's queue goes; see qd.sh).
# Writes out/pairs.md and out/pairs.dat.
. "$(dirname "$0")/lib.sh"
DELAY_MS=${DELAY_MS:-20}
PAIRS=${PAIRS:-"1 2 4 8"}
DEV_SIZE=${DEV_SIZE:-$(pick $((128 << 20)) $((32 << 20)))}
RESULTS=$OUT/pairs.times
: >"$RESULTS"
SLOWDEV=$TOP/build/tests/tools/slowdev
[ -x "$SLOWDEV" ] || die "$SLOWDEV not built (make unit; needs libfuse3-dev)"
max=${PAIRS##* }
# Zeroed devices (what a fresh pair looks like to asd: verify exits 0 and
# reads every byte; the delay is per read, whatever the bytes).
rm -f "$BENCH_DIR/pairs.local" "$BENCH_DIR/pairs.shadow"
truncate -s "$DEV_SIZE" "$BENCH_DIR/pairs.local" "$BENCH_DIR/pairs.shadow" || die "truncate"
mnts=()
cleanup() { for m in "${mnts[@]}"; do fusermount3 -u "$m" 2>/dev/null; done; }
trap cleanup EXIT
for i in $(seq 1 "$max"); do
	for side in local shadow; do
		m=$BENCH_DIR/pairs.$side.$i
		mkdir -p "$m"
		"$SLOWDEV" "$BENCH_DIR/pairs.$side" $((DELAY_MS * 1000)) "$m" 2>/dev/null &
		mnts+=("$m")
	done
done
for m in "${mnts[@]}"; do
	for t in $(seq 50); do [ -e "$m/dev" ] && break; sleep 0.1; done
	[ -e "$m/dev" ] || die "slowdev at $m did not come up"
done
for n in $PAIRS; do
	{
		echo "namespace bench {"
		echo "	storage-engine device {"
		for i in $(seq 1 "$n"); do
			echo "		file $BENCH_DIR/pairs.local.$i/dev $BENCH_DIR/pairs.shadow.$i/dev"
		done
		echo "	}"
		echo "}"
	} >"$BENCH_DIR/pairs_$n.conf"
	eval "p_$n() { timed pairs_$n 0 '$SS' verify --config '$BENCH_DIR/pairs_$n.conf' \
		--threads $n --queue-depth 4; }"
done
# shellcheck disable=SC2046
rounds $(for n in $PAIRS; do echo p_$n; done)

one=$(median pairs_${PAIRS%% *})
{
	echo "### verify --config: pairs of slow devices (${DELAY_MS} ms per read, $((DEV_SIZE >> 20)) MiB each)"
	echo
	echo "$(host_line)"
	echo
	echo "| pairs | median wall s | spread | ratio to 1 pair | peak RSS MiB |"
	echo "|---|---|---|---|---|"
	for n in $PAIRS; do
		m=$(median pairs_$n)
		printf '| %s | %.2f | %s | %s | %s |\n' "$n" "$m" "$(spread pairs_$n)" \
			"$(ratio "$m" "$one")" "$(rss_mib pairs_$n)"
	done
	echo
	echo "$max pairs take $(ratio "$(median pairs_$max)" "$one")x the time of one (flat would be 1.0; one after another would be $max)."
} | tee "$OUT/pairs.md"
{
	echo "# pairs wall_s rss_mib"
	for n in $PAIRS; do echo "$n $(median pairs_$n) $(rss_mib pairs_$n)"; done
} >"$OUT/pairs.dat"
