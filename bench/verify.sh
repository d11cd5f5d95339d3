#!/bin/bash
# bench/verify.sh - verify of two identical 4 GiB files against the peers a
# user would reach for: fio reading both files concurrently (io_uring,
# QD 32, 1 MiB, O_DIRECT: the device's speed), cmp and xxhsum -H2
# (buffered). Identical files, so every tool reads every byte (cmp stops
# at the first difference). All three engines of shadowsync.
. "$(dirname "$0")/lib.sh"
SIZE=${SIZE:-$(pick $((4 << 30)) $((128 << 20)))}
A=$BENCH_DIR/local.img
B=$BENCH_DIR/shadow.img
RESULTS=$OUT/verify.times
: >"$RESULTS"

mkfile "$B" "$SIZE"
# Identical, byte for byte: the shadow is the reference (bench/sync.sh
# leaves marks in local.img).
cmp -s "$A" "$B" 2>/dev/null || cp "$B" "$A" || die "cannot copy"
command -v fio >/dev/null || die "fio missing"
command -v xxhsum >/dev/null || die "xxhsum missing"

# Each run must do the job: verify says identical (0), cmp too, fio ok.
run_verify()  { timed verify_io_uring 0 "$SS" verify "$A" "$B" --engine io_uring; }
run_auto()    { timed verify_auto 0 "$SS" verify "$A" "$B"; }
run_libaio()  { timed verify_libaio 0 "$SS" verify "$A" "$B" --engine libaio; }
run_psync()   { timed verify_psync 0 "$SS" verify "$A" "$B" --engine psync; }
run_fio() {
	timed fio_pair 0 fio --name=local --filename="$A" --name=shadow --filename="$B" \
		--rw=read --bs=1M --iodepth=32 --ioengine=io_uring --direct=1 \
		--output=/dev/null
}
run_cmp()     { timed cmp 0 cmp "$A" "$B"; }
run_xxhsum() {
	timed xxhsum 0 xxhsum -H2 "$A" "$B"
	[ "$(cut -d' ' -f1 "$BENCH_DIR/cmd.out" | sort -u | wc -l)" = 1 ] || die "xxhsum digests differ"
}

rounds run_auto run_fio run_cmp run_xxhsum run_verify run_libaio run_psync

fio=$(median fio_pair)
{
	echo "### verify, two identical $((SIZE >> 20)) MiB files"
	echo
	echo "$(host_line)"
	echo
	echo "| tool | median wall s | spread s | ratio to fio pair read | peak RSS MiB |"
	echo "|---|---|---|---|---|"
	for n in verify_auto verify_io_uring verify_libaio verify_psync fio_pair cmp xxhsum; do
		m=$(median $n)
		printf '| %s | %.2f | %s | %s | %.1f |\n' "$n" "$m" "$(spread $n)" "$(ratio "$m" "$fio")" \
			"$(awk -v k="$(max_rss $n)" 'BEGIN { print k / 1024 }')"
	done
	echo
	v=$(median verify_auto)
	echo "verify (auto) / fio = $(ratio "$v" "$fio") (target <= 1.10); verify / cmp = $(ratio "$v" "$(median cmp)"); verify / xxhsum = $(ratio "$v" "$(median xxhsum)") (targets <= 1.00); verify peak RSS $(( $(max_rss verify_auto) / 1024 )) MiB (target <= 96)"
} | tee "$OUT/verify.md"
