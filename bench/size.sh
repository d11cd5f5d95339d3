#!/bin/bash
# bench/size.sh - how cost grows with the work: verify, hash and warm of
# 0.5, 1, 2 and 4 GiB (QUICK: 16-64 MiB), each beside its peer at the
# same size (fio reading the pair, xxhsum -H2, fio's warm recipe), in the
# same rounds. Wall time should be a straight line in size and peak RSS
# flat; the ratios to the peers should not drift with size.
# Writes out/size.md and out/size.dat (one line per size for gnuplot).
. "$(dirname "$0")/lib.sh"
SIZES=${SIZES:-$(pick "512 1024 2048 4096" "16 32 64")}	# MiB
RESULTS=$OUT/size.times
: >"$RESULTS"
command -v fio >/dev/null || die "fio missing"
command -v xxhsum >/dev/null || die "xxhsum missing"
for s in $SIZES; do
	mkfile "$BENCH_DIR/size_$s.b" $((s << 20))
	cmp -s "$BENCH_DIR/size_$s.a" "$BENCH_DIR/size_$s.b" 2>/dev/null ||
		cp "$BENCH_DIR/size_$s.b" "$BENCH_DIR/size_$s.a" || die "cannot copy"
done

fns=()
for s in $SIZES; do
	a=$BENCH_DIR/size_$s.a b=$BENCH_DIR/size_$s.b
	eval "v_$s() { timed verify_$s 0 '$SS' verify '$a' '$b'; }"
	eval "f_$s() { timed fio_pair_$s 0 fio --name=l --filename='$a' --name=s --filename='$b' \
		--rw=read --bs=1M --iodepth=32 --ioengine=io_uring --direct=1 --output=/dev/null; }"
	eval "h_$s() { timed hash_$s 0 '$SS' hash '$b' -o '$BENCH_DIR/size.man'; }"
	eval "x_$s() { timed xxhsum_$s 0 xxhsum -H2 '$b'; }"
	eval "w_$s() { timed warm_$s 0 '$SS' warm '$b'; }"
	eval "fw_$s() { timed fio_warm_$s 0 fio --name=w --filename='$b' --rw=read --bs=1M \
		--iodepth=32 --ioengine=libaio --direct=1 --output=/dev/null; }"
	fns+=(v_$s f_$s h_$s x_$s w_$s fw_$s)
done
rounds "${fns[@]}"

{
	echo "### Cost against size: verify, hash and warm beside their peers"
	echo
	echo "$(host_line)"
	echo
	echo "| MiB | verify s (spread) | fio pair s | verify/fio | hash s | xxhsum s | hash/xxhsum | warm s | fio recipe s | warm/fio | verify RSS MiB | hash RSS MiB | warm RSS MiB |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for s in $SIZES; do
		v=$(median verify_$s) f=$(median fio_pair_$s) h=$(median hash_$s)
		x=$(median xxhsum_$s) w=$(median warm_$s) fw=$(median fio_warm_$s)
		printf '| %s | %.2f (%s) | %.2f | %s | %.2f | %.2f | %s | %.2f | %.2f | %s | %s | %s | %s |\n' \
			"$s" "$v" "$(spread verify_$s)" "$f" "$(ratio "$v" "$f")" "$h" "$x" "$(ratio "$h" "$x")" \
			"$w" "$fw" "$(ratio "$w" "$fw")" "$(rss_mib verify_$s)" "$(rss_mib hash_$s)" "$(rss_mib warm_$s)"
	done
	echo
	first=${SIZES%% *} last=${SIZES##* }
	echo "verify: $(ratio "$(median verify_$last)" "$(median verify_$first)")x the time for $(( last / first ))x the size; peak RSS $(rss_mib verify_$first) MiB at $first MiB, $(rss_mib verify_$last) MiB at $last MiB."
} | tee "$OUT/size.md"
{
	echo "# MiB verify_s fio_pair_s hash_s xxhsum_s warm_s fio_warm_s verify_rss_mib hash_rss_mib warm_rss_mib"
	for s in $SIZES; do
		echo "$s $(median verify_$s) $(median fio_pair_$s) $(median hash_$s) $(median xxhsum_$s)" \
			"$(median warm_$s) $(median fio_warm_$s) $(rss_mib verify_$s) $(rss_mib hash_$s) $(rss_mib warm_$s)"
	done
} >"$OUT/size.dat"
