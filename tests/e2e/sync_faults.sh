# Write faults during sync, beyond sync_commit's (a tmpfs out of space,
# nbdkit's error filter on every write, kills): an EIO and an ENOSPC on
# the write that reaches a chosen offset (tests/tools/slowdev), every
# engine, on an Aerospike local whose header sync must guard; a local
# file truncated under sync; a loop device shrunk under it (losetup -c);
# a loop device detached under it (losetup -d); a FUSE device whose
# server dies. Each: exit 2 and one line naming local, the offset and the
# errno; never a local that asd would load with stale data (the header is
# written last, so after a failure it is still the guard: copy-from-
# shadow); and once the fault is gone a rerun completes the job.
# (losetup -d of an open loop device is deferred by the kernel until the
# last close: that sync completes, and the device is gone afterwards.)
. "$(dirname "$0")/../lib.sh"
need_root "FUSE and loop devices"
need_cmd losetup pgrep
need_mkaero
M=1048576
SIZE=$((72 * M))	# header region + 8 write-blocks of 8 MiB

aero_image "$T/shadow" $SIZE
# A local asd would load as it is, every write-block damaged.
make_local() {
	cp "$T/shadow" "$1"
	dd if=/dev/urandom of="$1" bs=1M seek=8 count=64 conv=notrunc status=none
	wblock_magic "$1" 8
}
verdict_of() { aero_verdict "$1" "$T/shadow"; }

# 1. EIO and ENOSPC on the write that reaches OFF, every engine.
guarded() {
	local v
	v=$(verdict_of "$2")
	[ "$v" = "copy-from-shadow null" ] ||
		fail "$1: after the failure asd would $v (the header must still be the guard)"
}
loads() { [ "$(verdict_of "$2")" = "load-local true" ] || fail "$1: after the rerun"; }
ss_write_faults sync "$T/shadow" $SIZE $((40 * M + 12288)) make_local guarded loads

# 2. Targets that change under a slow sync: psync, 4 KiB at a time, on
# 256 MiB that differ in every other MiB.
BIG=$((256 * M))
mkrand "$T/bshadow" $BIG
make_big() {
	cp "$T/bshadow" "$1"
	for b in $(seq 0 2 255); do
		printf 'X' | dd of="$1" bs=1 seek=$((b * M + 100)) conv=notrunc status=none
	done
}
SLOW="--engine psync --io-size 4096 --queue-depth 1 --block-size 4096"
# slow_sync SHADOW LOCAL: sync in the background ($pid), until it has
# read 16 MiB (at most 10 s).
slow_sync() { ss_slow_start sync "$1" "$2" rchar $((16 * M)) $SLOW; }

# 2a. A local file truncated to 128 MiB.
make_big "$T/f.img"
slow_sync "$T/bshadow" "$T/f.img"
truncate -s $((128 * M)) "$T/f.img"
ss_midrun_ends "truncated file" 2 "local '$T/f.img' at offset [0-9]+: No data available \(ENODATA\)" \
	$((128 * M)) $((128 * M))
truncate -s $BIG "$T/f.img"
ss_rerun "truncated file" sync "$T/bshadow" "$T/f.img" "$T/f.img" "$T/bshadow"

# 2b. A loop device shrunk (losetup -c after truncating its file).
make_big "$T/loop.img"
loop_attach S "$T/bshadow"
ss_shrunk_loop sync "$S" "$T/bshadow" slow_sync "$T/loop.img" $((128 * M)) \
	": .*\((EIO|ENODATA|ENOSPC)\)" true

# 2c. A loop device detached (losetup -d) mid-run: the kernel defers the
# detach until sync closes it; sync completes, then the device is gone.
make_big "$T/det.img"
ss_detached_loop sync "$S" "$T/bshadow" slow_sync "$T/det.img"

# 2d. A FUSE device whose server dies mid-run (nbdkit killed).
make_big "$T/nbd.img"
ss_vanished sync "$T/bshadow" "$T/bshadow" slow_sync "$T/nbd.img" \
	": .*\((EIO|ENOTCONN|ECONNABORTED|ENODEV|ENXIO)\)" "" "" true
exit 0
