#!/bin/bash
# bench/warm.sh - warm against AWS's initialisation recipe,
#   fio --rw=read --bs=1M --iodepth=32 --ioengine=libaio --direct=1
# on the same 4 GiB file, with and without --manifest-out (the manifest
# is written from the same read: no second pass).
. "$(dirname "$0")/lib.sh"
SIZE=${SIZE:-$(pick $((4 << 30)) $((128 << 20)))}
A=$BENCH_DIR/shadow.img
RESULTS=$OUT/warm.times
: >"$RESULTS"
mkfile "$A" "$SIZE"
command -v fio >/dev/null || die "fio missing"

run_fio() {
	timed fio_libaio_qd32 0 fio --name=warm --filename="$A" --rw=read --bs=1M \
		--iodepth=32 --ioengine=libaio --direct=1 --output=/dev/null
}
run_warm() { timed warm 0 "$SS" warm "$A"; }
run_warm_manifest() {
	timed warm_manifest 0 "$SS" warm "$A" --manifest-out "$BENCH_DIR/warm.man"
	[ "$(stat -c %s "$BENCH_DIR/warm.man")" = $((512 + 16 * ((SIZE + 1048575) / 1048576) + 8)) ] ||
		die "manifest has the wrong size"
}

rounds run_fio run_warm run_warm_manifest
"$SS" check "$A" "$BENCH_DIR/warm.man" >/dev/null || die "the manifest warm wrote does not check out"

fio=$(median fio_libaio_qd32)
{
	echo "### warm, one $((SIZE >> 20)) MiB file"
	echo
	echo "$(host_line)"
	echo
	echo "| tool | median wall s | spread s | ratio to fio | peak RSS MiB |"
	echo "|---|---|---|---|---|"
	for n in fio_libaio_qd32 warm warm_manifest; do
		m=$(median $n)
		printf '| %s | %.2f | %s | %s | %.1f |\n' "$n" "$m" "$(spread $n)" "$(ratio "$m" "$fio")" \
			"$(awk -v k="$(max_rss $n)" 'BEGIN { print k / 1024 }')"
	done
	echo
	echo "warm / fio = $(ratio "$(median warm)" "$fio"), warm --manifest-out / fio = $(ratio "$(median warm_manifest)" "$fio") (targets <= 1.05)"
} | tee "$OUT/warm.md"
