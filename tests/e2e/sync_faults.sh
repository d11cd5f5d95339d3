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
OFF=$((40 * M + 12288))
n=0
for fault in SLOWDEV_WEIO SLOWDEV_WENOSPC_FROM; do
	for e in $ENGINES; do
		n=$((n + 1))
		make_local "$T/l$n.img"
		# slowdev reads its faults from the environment.
		export "$fault=$OFF"
		slow_device "$T/w$n" "$T/l$n.img" 0
		unset "$fault"
		run_ss "$T/out" "$T/err" sync "$T/w$n/dev" "$T/shadow" --engine $e
		expect_rc 2 "$fault/$e: $(cat "$T/err")"
		case $fault in
		SLOWDEV_WEIO) err="Input/output error \(EIO\)" ;;
		*) err="No space left on device \(ENOSPC\)" ;;
		esac
		one_line "$fault/$e" "local '$T/w$n/dev' at offset [0-9]+: $err"
		failed_with=$(cat "$T/err")
		# The failed request started at or below OFF, in the same
		# window; with ENOSPC every write from OFF on fails, and with
		# several in flight the first to complete may be a later one.
		offset_in "$fault/$e" $((OFF - 64 * M)) $([ $fault = SLOWDEV_WEIO ] && echo $OFF || echo $SIZE)
		v=$(verdict_of "$T/l$n.img")
		[ "$v" = "copy-from-shadow null" ] ||
			fail "$fault/$e: after the failure asd would $v (the header must still be the guard)"
		_fuse_cleanup "$T/w$n"
		slow_device "$T/w$n.ok" "$T/l$n.img" 0
		run_ss "$T/out" "$T/err" sync "$T/w$n.ok/dev" "$T/shadow" --engine $e
		expect_rc 0 "$fault/$e: rerun without the fault: $(cat "$T/err")"
		[ "$(verdict_of "$T/l$n.img")" = "load-local true" ] || fail "$fault/$e: after the rerun"
		note "$fault/$e: $failed_with"
	done
done

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
# started_reading PID: wait until it has read 16 MiB, at most 10 s
started_reading() { io_past "$1" rchar $((16 * M)); }

# 2a. A local file truncated to 128 MiB.
make_big "$T/f.img"
"$SS" sync "$T/f.img" "$T/bshadow" $SLOW >"$T/out" 2>"$T/err" &
pid=$!
started_reading $pid || fail "truncate: sync did not start reading"
truncate -s $((128 * M)) "$T/f.img"
wait $pid
RC=$?
expect_rc 2 "truncated file: $(cat "$T/err")"
note "truncated file: $(cat "$T/err")"
one_line "truncated file" "local '$T/f.img' at offset [0-9]+: No data available \(ENODATA\)"
offset_in "truncated file" $((128 * M)) $((128 * M))
truncate -s $BIG "$T/f.img"
run_ss "$T/out" "$T/err" sync "$T/f.img" "$T/bshadow"
expect_rc 0 "truncated file: rerun: $(cat "$T/err")"
cmp -s "$T/f.img" "$T/bshadow" || fail "truncated file: rerun did not end identical"

# 2b. A loop device shrunk (losetup -c after truncating its file).
make_big "$T/loop.img"
loop_attach L "$T/loop.img"
loop_attach S "$T/bshadow"
"$SS" sync "$L" "$S" $SLOW >"$T/out" 2>"$T/err" &
pid=$!
started_reading $pid || fail "losetup -c: sync did not start reading"
truncate -s $((128 * M)) "$T/loop.img"
losetup -c "$L" || fail "losetup -c $L"
wait $pid
RC=$?
expect_rc 2 "shrunk loop: $(cat "$T/err")"
note "shrunk loop: $(cat "$T/err")"
one_line "shrunk loop" "local '$L' at offset [0-9]+: .*\((EIO|ENODATA|ENOSPC)\)"
offset_in "shrunk loop" $((128 * M)) $BIG
truncate -s $BIG "$T/loop.img"
losetup -c "$L" || fail "losetup -c $L"
run_ss "$T/out" "$T/err" sync "$L" "$S"
expect_rc 0 "shrunk loop: rerun: $(cat "$T/err")"
cmp -s "$T/loop.img" "$T/bshadow" || fail "shrunk loop: rerun did not end identical"

# 2c. A loop device detached (losetup -d) mid-run: the kernel defers the
# detach until sync closes it; sync completes, then the device is gone.
make_big "$T/det.img"
loop_attach D "$T/det.img"
"$SS" sync "$D" "$S" $SLOW >"$T/out" 2>"$T/err" &
pid=$!
started_reading $pid || fail "losetup -d: sync did not start reading"
losetup -d "$D" || fail "losetup -d $D"
wait $pid
RC=$?
expect_rc 0 "detached loop: $(cat "$T/err")"
cmp -s "$T/det.img" "$T/bshadow" || fail "detached loop: not identical"
[ "$(losetup -n -O BACK-FILE "$D" 2>/dev/null)" = "$T/det.img" ] &&
	fail "detached loop: $D still attached after sync exited"

# 2d. A FUSE device whose server dies mid-run (nbdkit killed).
make_big "$T/nbd.img"
fuse_device "$T/gone" file "$T/nbd.img"
nbdfuse_pid=$!
"$SS" sync "$T/gone/dev" "$T/bshadow" $SLOW >"$T/out" 2>"$T/err" &
pid=$!
started_reading $pid || fail "vanish: sync did not start reading"
kill -KILL "$(pgrep -P $nbdfuse_pid -x nbdkit)" || fail "no nbdkit to kill"
wait $pid
RC=$?
expect_rc 2 "vanished device: $(cat "$T/err")"
note "vanished device: $(cat "$T/err")"
one_line "vanished device" "local '$T/gone/dev' at offset [0-9]+: .*\((EIO|ENOTCONN|ECONNABORTED|ENODEV|ENXIO)\)"
_fuse_cleanup "$T/gone"
fuse_device "$T/back" file "$T/nbd.img"
run_ss "$T/out" "$T/err" sync "$T/back/dev" "$T/bshadow"
expect_rc 0 "vanished device: rerun: $(cat "$T/err")"
cmp -s "$T/nbd.img" "$T/bshadow" || fail "vanished device: rerun did not end identical"
exit 0
