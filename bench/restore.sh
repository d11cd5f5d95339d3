#!/bin/bash
# bench/restore.sh - restore of a 4 GiB image file onto a 4 GiB file,
# against the copy an operator would otherwise run and the disk's own
# sequential write speed, interleaved, medians of RUNS, page cache dropped:
#   dd if=IMG of=TARGET bs=1M iflag=direct oflag=direct conv=notrunc
#   fio --rw=write --bs=1M --iodepth=32 --ioengine=io_uring --direct=1
#   (and fio's read of the image, the other half of a copy's floor)
# Targets: restore --no-verify within 1.10x of fio's write of the same
# bytes; on an image that is half zeros (a sparse file, as `zstd -d`
# leaves one) onto a new sparse file with --target-is-zeroed, 1.5x faster
# than dd. Not part of `make test`.
. "$(dirname "$0")/lib.sh"
need() { command -v "$1" >/dev/null || die "$1 is not installed"; }
need fio
SIZE=${SIZE:-$(pick $((4 << 30)) $((128 << 20)))}
M=1048576
IMG=$BENCH_DIR/restore.img
HALF=$BENCH_DIR/restore-half.img
TGT=$BENCH_DIR/restore.tgt
TGTZ=$BENCH_DIR/restore-zeroed.tgt
RESULTS=$OUT/restore.times
: >"$RESULTS"

mkfile "$IMG" "$SIZE"
# The same image on another device (tmpfs, in RAM, O_DIRECT since 6.6):
# the usual case (the image comes from S3, another volume, a pipe), and
# the one where fio's write alone is the floor: reading it costs the
# target's disk nothing.
IMG_RAM=${IMG_RAM:-/dev/shm/shadowsync-bench-restore.img}
cp "$IMG" "$IMG_RAM" || die "cannot copy the image to $IMG_RAM"
trap 'rm -f "$IMG_RAM"' EXIT
# Half zeros: 64 MiB of data, 64 MiB of hole, alternating (sparse).
if [ "$(stat -c %s "$HALF" 2>/dev/null)" != "$SIZE" ]; then
	echo "bench: writing $HALF (half holes)" >&2
	rm -f "$HALF"
	truncate -s "$SIZE" "$HALF"
	for at in $(seq 0 $((128 * M)) $((SIZE - 1))); do
		dd if="$IMG" of="$HALF" bs=1M skip=$((at / M)) seek=$((at / M)) count=64 \
			conv=notrunc status=none || die "cannot write $HALF"
	done
fi
[ -f "$TGT" ] && [ "$(stat -c %s "$TGT")" = "$SIZE" ] || mkfile "$TGT" "$SIZE"

fresh() { rm -f "$TGTZ"; truncate -s "$SIZE" "$TGTZ"; sync; }

run_restore_nv() {
	timed restore_no_verify 0 "$SS" restore "$IMG" "$TGT" --no-verify --json
	[ "$(jq .bytes_written "$BENCH_DIR/cmd.out")" = "$SIZE" ] || die "restore wrote $(jq .bytes_written "$BENCH_DIR/cmd.out")"
}
run_restore_ram_nv() {
	timed restore_ram_no_verify 0 "$SS" restore "$IMG_RAM" "$TGT" --no-verify --json
	[ "$(jq .bytes_written "$BENCH_DIR/cmd.out")" = "$SIZE" ] || die "restore wrote $(jq .bytes_written "$BENCH_DIR/cmd.out")"
}
run_dd_ram() {
	timed dd_ram 0 dd if="$IMG_RAM" of="$TGT" bs=1M iflag=direct oflag=direct conv=notrunc status=none
}
run_restore() {
	timed restore 0 "$SS" restore "$IMG" "$TGT" --json
	[ "$(jq .verified "$BENCH_DIR/cmd.out")" = true ] || die "restore not verified"
}
# The image's read alone: on a disk whose one bandwidth serves both reading
# the image and writing the target, fio read + fio write is a copy's floor.
run_fio_read() {
	timed fio_read 0 fio --name=r --filename="$IMG" --rw=read --bs=1M --iodepth=32 \
		--ioengine=io_uring --direct=1 --size="$SIZE" --output=/dev/null
}
run_dd() {
	timed dd 0 dd if="$IMG" of="$TGT" bs=1M iflag=direct oflag=direct conv=notrunc status=none
}
run_fio() {
	timed fio_write 0 fio --name=w --filename="$TGT" --rw=write --bs=1M --iodepth=32 \
		--ioengine=io_uring --direct=1 --size="$SIZE" --output=/dev/null
}
run_half_restore() {
	fresh
	timed half_restore_zeroed 0 "$SS" restore "$HALF" "$TGTZ" --target-is-zeroed --json
	[ "$(jq .bytes_skipped_zero "$BENCH_DIR/cmd.out")" -ge $((SIZE / 2 - 8 * M)) ] || die "zeros not skipped"
}
run_half_restore_nv() {
	fresh
	timed half_restore_zeroed_nv 0 "$SS" restore "$HALF" "$TGTZ" --target-is-zeroed --no-verify
}
run_half_dd() {
	fresh
	timed half_dd 0 dd if="$HALF" of="$TGTZ" bs=1M iflag=direct oflag=direct conv=notrunc status=none
}

rounds run_restore_nv run_fio run_restore_ram_nv run_dd_ram run_fio_read run_dd run_restore \
	run_half_restore run_half_restore_nv run_half_dd
cmp -s "$IMG" "$TGT" || { fresh; "$SS" restore "$IMG" "$TGT" -q >/dev/null; }

f=$(median fio_write)
d=$(median half_dd)
{
	echo "### restore, a $((SIZE >> 20)) MiB image file onto a file"
	echo
	echo "$(host_line)"
	echo
	echo "| tool | median wall s | spread s | ratio to fio write | ratio to dd | peak RSS MiB |"
	echo "|---|---|---|---|---|---|"
	for t in restore_ram_no_verify dd_ram restore_no_verify restore dd fio_write fio_read; do
		printf '| %s | %.2f | %s | %s | %s | %.1f |\n' "$t" "$(median $t)" "$(spread $t)" \
			"$(ratio "$(median $t)" "$f")" "$(ratio "$(median $t)" "$(median dd)")" \
			"$(awk -v k="$(max_rss $t)" 'BEGIN { print k / 1024 }')"
	done
	echo
	echo "Half zeros (64 MiB of data, 64 MiB of hole, alternating), onto a new sparse file:"
	echo
	echo "| tool | median wall s | spread s | ratio to dd | peak RSS MiB |"
	echo "|---|---|---|---|---|"
	for t in half_restore_zeroed half_restore_zeroed_nv half_dd; do
		printf '| %s | %.2f | %s | %s | %.1f |\n' "$t" "$(median $t)" "$(spread $t)" "$(ratio "$(median $t)" "$d")" \
			"$(awk -v k="$(max_rss $t)" 'BEGIN { print k / 1024 }')"
	done
	echo
	fr=$(awk -v a="$f" -v b="$(median fio_read)" 'BEGIN { print a + b }')
	echo "image in RAM (another device): restore --no-verify / fio write = $(ratio "$(median restore_ram_no_verify)" "$f") (target <= 1.10);" \
	     "image on the target's disk: restore --no-verify / fio write = $(ratio "$(median restore_no_verify)" "$f");" \
	     "restore --no-verify / (fio read + fio write) = $(ratio "$(median restore_no_verify)" "$fr");" \
	     "half zeros, --target-is-zeroed: dd / restore --no-verify = $(ratio "$d" "$(median half_restore_zeroed_nv)") (target >= 1.5), dd / restore with its read-back = $(ratio "$d" "$(median half_restore_zeroed)")"
} | tee "$OUT/restore.md"
