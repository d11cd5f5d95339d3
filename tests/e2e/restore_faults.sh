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
# with_header OUT: a target asd would load as it is.
with_header() {
	make_target "$1"
	[ "$(aero_verdict "$1" "$T/img")" = "load-local false" ] ||
		fail "the target is not what it says"
}
unfinished() { restore_unfinished "$1" "$2" "$T/img"; }
identical() { cmp -s "$T/img" "$2" || fail "$1: the rerun did not end identical"; }
ss_write_faults restore "$T/img" $SIZE $((40 * M + 12288)) with_header unfinished identical

# 2. Targets that change under a slow restore: psync, 64 KiB at a time,
# a 256 MiB image.
BIG=$((256 * M))
aero_image "$T/bimg" $BIG
SLOW="--engine psync --io-size 65536 --queue-depth 1 --block-size 65536"
# slow_restore IMAGE TARGET: restore IMAGE onto TARGET in the background
# ($pid), and wait until it has written 96 MiB (at most 10 s).
slow_restore() { ss_slow_start restore "$1" "$2" wchar $((96 * M)) $SLOW; }
big_unfinished() { restore_unfinished "$1" "$2" "$T/bimg"; }

# 2a. A target file cut to 64 MiB once 96 MiB are written.
make_target "$T/f.img" $BIG
slow_restore "$T/bimg" "$T/f.img"
truncate -s $((64 * M)) "$T/f.img"
wait $pid
RC=$?
expect_rc 1 "truncated file: $(cat "$T/out" "$T/err")"
note "truncated file: $(tail -n 1 "$T/out")"
qgrep -x "exit status 1: [0-9]* bytes of target '$T/f.img' did not read back as written, in 1 extents (the first at offset $((64 * M)))" \
	"$T/out" || fail "truncated file: $(cat "$T/out")"
big_unfinished "truncated file" "$T/f.img"
ss_rerun "truncated file" restore "$T/bimg" "$T/f.img" "$T/f.img" "$T/bimg"

# 2b. A loop device shrunk to 128 MiB (losetup -c after truncating its file).
make_target "$T/loop.img" $BIG
ss_shrunk_loop restore "$T/bimg" "$T/bimg" slow_restore "$T/loop.img" $((128 * M)) \
	": .*\((EIO|ENOSPC|ENXIO)\)" big_unfinished

# 2c. A loop device detached (losetup -d) mid-run: the kernel defers the
# detach until restore closes it; restore completes, then it is gone.
make_target "$T/det.img" $BIG
ss_detached_loop restore "$T/bimg" "$T/bimg" slow_restore "$T/det.img"

# 2d. A FUSE device whose server dies mid-run (nbdkit killed). A failed
# flush names the start of the writes it could not make durable.
make_target "$T/nbd.img" $BIG
ss_vanished restore "$T/bimg" "$T/bimg" slow_restore "$T/nbd.img" \
	"( \(the writes up to offset [0-9]+ may be lost\))?: .*\((EIO|ENOTCONN|ECONNABORTED|ENODEV|ENXIO|EINVAL)\)" \
	$((8 * M)) $BIG big_unfinished
exit 0
