# Write faults during restore of an Aerospike image, as sync_faults does
# for sync (restore_commit has a tmpfs out of space, nbdkit's error filter
# switched on mid-run and kills): an EIO and an ENOSPC on the write that
# reaches a chosen offset (tests/tools/slowdev), every engine, onto a
# target holding the image's header over other data (asd would load it
# as it is: the header must be guarded first); a target file truncated
# under restore; a loop device shrunk under it (losetup -c); a loop
# device detached under it (losetup -d); a FUSE device whose server dies.
# Each: exit 2 and one line naming the target, the offset and the errno
# (what the kernel says: a flush of a FUSE file whose server died gave
# ENOTCONN here, EINVAL under ASan timing);
# the header is written last, so the target keeps the mark of an
# unfinished restore (restore_unfinished); once the fault is gone a
# rerun completes the job, identical to the image.
# Two answers differ, as the kernel gives no error to see: a file cut
# shorter is extended again by the next write, the bytes cut away read
# back as zeros: exit 1, the extent that did not read back as written
# (the first at the offset cut at), and the mark kept. losetup -d of an
# open loop device is deferred by the kernel until the last close: that
# restore completes, and the device is gone afterwards.
. "$(dirname "$0")/../lib.sh"
need_root "FUSE and loop devices"
need_cmd losetup pgrep
need_mkaero
M=1048576
SIZE=$((72 * M))	# header region + 8 write-blocks of 8 MiB

aero_image "$T/img" $SIZE
# make_target OUT [SIZE]: the image's header (asd would load it) over
# other data, every write-block used.
make_target() {
	local size=${2:-$SIZE}
	head -c $((8 * M)) "$T/$([ "$size" = $SIZE ] && echo img || echo bimg)" >"$1"
	head -c $((size - 8 * M)) /dev/urandom >>"$1"
	wblock_magic "$1" $(((size - 8 * M) / (8 * M)))
}

# 1. EIO and ENOSPC on the write that reaches OFF, every engine.
OFF=$((40 * M + 12288))
n=0
for fault in SLOWDEV_WEIO SLOWDEV_WENOSPC_FROM; do
	for e in $ENGINES; do
		n=$((n + 1))
		make_target "$T/t$n.img"
		[ "$(aero_verdict "$T/t$n.img" "$T/img")" = "load-local false" ] ||
			fail "the target is not what it says"
		# slowdev reads its faults from the environment.
		export "$fault=$OFF"
		slow_device "$T/w$n" "$T/t$n.img" 0
		unset "$fault"
		run_ss "$T/out" "$T/err" restore "$T/img" "$T/w$n/dev" --engine $e
		expect_rc 2 "$fault/$e: $(cat "$T/err")"
		case $fault in
		SLOWDEV_WEIO) err="Input/output error \(EIO\)" ;;
		*) err="No space left on device \(ENOSPC\)" ;;
		esac
		one_line "$fault/$e" "target '$T/w$n/dev' at offset [0-9]+: $err"
		failed_with=$(cat "$T/err")
		# The failed request started at or below OFF, in the same
		# window; with ENOSPC every write from OFF on fails, and with
		# several in flight the first to complete may be a later one.
		offset_in "$fault/$e" $((OFF - 64 * M)) $([ $fault = SLOWDEV_WEIO ] && echo $OFF || echo $SIZE)
		restore_unfinished "$fault/$e" "$T/t$n.img" "$T/img"
		_fuse_cleanup "$T/w$n"
		slow_device "$T/w$n.ok" "$T/t$n.img" 0
		run_ss "$T/out" "$T/err" restore "$T/img" "$T/w$n.ok/dev" --engine $e
		expect_rc 0 "$fault/$e: rerun without the fault: $(cat "$T/err")"
		cmp -s "$T/img" "$T/t$n.img" || fail "$fault/$e: the rerun did not end identical"
		note "$fault/$e: $failed_with"
	done
done

# 2. Targets that change under a slow restore: psync, 64 KiB at a time,
# a 256 MiB image.
BIG=$((256 * M))
aero_image "$T/bimg" $BIG
SLOW="--engine psync --io-size 65536 --queue-depth 1 --block-size 65536"
# slow_restore TARGET: restore bimg onto TARGET in the background ($pid),
# and wait until it has written 96 MiB (at most 10 s). A target refused as
# open by another process is tried again: on a shared host other tests'
# losetup and udev open loop devices by number, for a moment.
slow_restore() {
	local k
	for k in 1 2 3 4 5; do
		"$SS" restore "$T/bimg" "$1" $SLOW >"$T/out" 2>"$T/err" &
		pid=$!
		io_past $pid wchar $((96 * M)) && return 0
		wait $pid
		qgrep "is open by process" "$T/err" || break
		sleep 1
	done
	fail "restore did not write 96 MiB in 10 s: $(cat "$T/err")"
}

# 2a. A target file cut to 64 MiB once 96 MiB are written.
make_target "$T/f.img" $BIG
slow_restore "$T/f.img"
truncate -s $((64 * M)) "$T/f.img"
wait $pid
RC=$?
expect_rc 1 "truncated file: $(cat "$T/out" "$T/err")"
note "truncated file: $(tail -n 1 "$T/out")"
qgrep -x "exit status 1: [0-9]* bytes of target '$T/f.img' did not read back as written, in 1 extents (the first at offset $((64 * M)))" \
	"$T/out" || fail "truncated file: $(cat "$T/out")"
restore_unfinished "truncated file" "$T/f.img" "$T/bimg"
run_ss "$T/out" "$T/err" restore "$T/bimg" "$T/f.img"
expect_rc 0 "truncated file: rerun: $(cat "$T/err")"
cmp -s "$T/f.img" "$T/bimg" || fail "truncated file: rerun did not end identical"

# 2b. A loop device shrunk to 128 MiB (losetup -c after truncating its file).
make_target "$T/loop.img" $BIG
loop_attach L "$T/loop.img"
slow_restore "$L"
truncate -s $((128 * M)) "$T/loop.img"
losetup -c "$L" || fail "losetup -c $L"
wait $pid
RC=$?
expect_rc 2 "shrunk loop: $(cat "$T/err")"
note "shrunk loop: $(cat "$T/err")"
one_line "shrunk loop" "target '$L' at offset [0-9]+: .*\((EIO|ENOSPC|ENXIO)\)"
offset_in "shrunk loop" $((128 * M)) $BIG
restore_unfinished "shrunk loop" "$L" "$T/bimg"
truncate -s $BIG "$T/loop.img"
losetup -c "$L" || fail "losetup -c $L"
run_ss "$T/out" "$T/err" restore "$T/bimg" "$L"
expect_rc 0 "shrunk loop: rerun: $(cat "$T/err")"
cmp -s "$T/loop.img" "$T/bimg" || fail "shrunk loop: rerun did not end identical"

# 2c. A loop device detached (losetup -d) mid-run: the kernel defers the
# detach until restore closes it; restore completes, then it is gone.
make_target "$T/det.img" $BIG
loop_attach D "$T/det.img"
slow_restore "$D"
losetup -d "$D" || fail "losetup -d $D"
wait $pid
RC=$?
expect_rc 0 "detached loop: $(cat "$T/err")"
cmp -s "$T/det.img" "$T/bimg" || fail "detached loop: not identical"
[ "$(losetup -n -O BACK-FILE "$D" 2>/dev/null)" = "$T/det.img" ] &&
	fail "detached loop: $D still attached after restore exited"

# 2d. A FUSE device whose server dies mid-run (nbdkit killed).
make_target "$T/nbd.img" $BIG
fuse_device "$T/gone" file "$T/nbd.img"
nbdfuse_pid=$!
slow_restore "$T/gone/dev"
kill -KILL "$(pgrep -P $nbdfuse_pid -x nbdkit)" || fail "no nbdkit to kill"
wait $pid
RC=$?
expect_rc 2 "vanished device: $(cat "$T/err")"
note "vanished device: $(cat "$T/err")"
one_line "vanished device" "target '$T/gone/dev' at offset [0-9]+( \(the writes up to offset [0-9]+ may be lost\))?: .*\((EIO|ENOTCONN|ECONNABORTED|ENODEV|ENXIO|EINVAL)\)"
# A failed flush names the start of the writes it could not make durable.
offset_in "vanished device" $((8 * M)) $BIG
restore_unfinished "vanished device" "$T/nbd.img" "$T/bimg"
_fuse_cleanup "$T/gone"
fuse_device "$T/back" file "$T/nbd.img"
run_ss "$T/out" "$T/err" restore "$T/bimg" "$T/back/dev"
expect_rc 0 "vanished device: rerun: $(cat "$T/err")"
cmp -s "$T/nbd.img" "$T/bimg" || fail "vanished device: rerun did not end identical"
exit 0
