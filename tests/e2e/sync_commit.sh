# The header region is sync's commit record: a sync that fails part-way
# (out of space, a write error, SIGKILL) must never leave local looking
# loadable to asd while its data is half old. After each failure `verify`
# must not predict load-local with differing data, and a rerun completes
# the job. Two starting points: local's header differs from the shadow's
# (asd would copy from the shadow: the sync must not turn that into a
# load of stale data), and local's header equals it but its data differs
# (the header is guarded while the data is written).
. "$(dirname "$0")/../lib.sh"
need_root "tmpfs mounts and FUSE"
need_cmd xxhsum
need_mkaero
M=1048576
SIZE=$((72 * M))	# header region + 8 write-blocks of 8 MiB

# wblock_magic FILE: a record magic at the start of every write-block.
wblock_magic() {
	local k
	for k in $(seq 0 7); do
		printf '\x01\xf2\x7a\x03' | dd of="$1" bs=1 seek=$((8 * M + k * 8 * M)) conv=notrunc status=none
	done
}

"$MKAERO" "$T/shadow" --size $SIZE --flags TRUSTED --namespace ns1 || fail mkaero
dd if=/dev/urandom of="$T/shadow" bs=1M seek=8 count=64 conv=notrunc status=none
wblock_magic "$T/shadow"

# Case "hdr": local's random differs (an older start): copy-from-shadow.
# Case "data": local's header equals the shadow's (pristine_offset aside)
# and every write-block differs: load-local of damaged data.
make_local() {	# make_local CASE OUT [sparse]
	if [ "${3:-}" = sparse ]; then
		head -c $((8 * M)) "$T/shadow" >"$2"
		truncate -s $SIZE "$2"
	else
		cp "$T/shadow" "$2"
		dd if=/dev/urandom of="$2" bs=1M seek=8 count=64 conv=notrunc status=none
		wblock_magic "$2"
	fi
	# pristine_offset 16 MiB, as asd leaves a cleanly shut-down local
	printf '\x00\x00\x00\x01' | dd of="$2" bs=1 seek=69720 conv=notrunc status=none
	[ "$1" = hdr ] && printf '\x77' | dd of="$2" bs=1 seek=48 conv=notrunc status=none
	true
}

verdict_of() { commit_verdict "$1" "$T/shadow"; }	# verdict_of LOCAL

# finish WHAT LOCAL: a rerun completes; then a fast, clean load-local.
finish() {
	run_ss "$T/out" "$T/err" sync "$2" "$T/shadow" --json
	expect_rc 0 "$1: rerun: $(cat "$T/err")"
	[ "$(verdict_of "$2")" = "load-local true" ] || fail "$1: after the rerun: $(verdict_of "$2")"
}

# 1. Out of space: a sparse local on a small tmpfs.
commit_enospc sync "$T/shadow" $((30 * M)) $((100 * M)) make_local finish hdr data

# 2. A write error part-way: nbdkit's error filter on writes, switched on
# while the sync is writing (writes are slowed by the delay filter).
commit_eio sync "$T/shadow" make_local finish hdr data

# 3. --manifest-out on a full file system (a 1 MiB tmpfs, filled): the
# manifest is committed before the header region, so its ENOSPC leaves
# local unloadable (copy-from-shadow), not committed under an exit 2; a
# rerun with room finishes both.
mkdir -p "$T/full"
mount -t tmpfs -o size=1m tmpfs "$T/full" || skip "cannot mount tmpfs"
at_exit "mountpoint -q '$T/full' && umount '$T/full'; true"
for c in hdr data; do
	dd if=/dev/zero of="$T/full/fill" bs=4k status=none 2>/dev/null
	make_local $c "$T/man-$c.img"
	run_ss "$T/out" "$T/err" sync "$T/man-$c.img" "$T/shadow" --manifest-out "$T/full/$c.man" --json
	expect_rc 2 "manifest-out/$c: $(cat "$T/err")"
	grep -qx "shadowsync: cannot write manifest '$T/full/$c.man': No space left on device (ENOSPC)" "$T/err" ||
		fail "manifest-out/$c: $(cat "$T/err")"
	[ -e "$T/full/$c.man" ] && fail "manifest-out/$c: a manifest was left"
	v=$(verdict_of "$T/man-$c.img")
	[ "$v" = "copy-from-shadow null" ] || fail "manifest-out/$c: local left as '$v' after exit 2"
	rm -f "$T/full/fill"
	run_ss "$T/out" "$T/err" sync "$T/man-$c.img" "$T/shadow" --manifest-out "$T/full/$c.man"
	expect_rc 0 "manifest-out/$c: rerun: $(cat "$T/err")"
	[ "$(verdict_of "$T/man-$c.img")" = "load-local true" ] || fail "manifest-out/$c: after the rerun"
	run_ss "$T/out" "$T/err" check "$T/shadow" "$T/full/$c.man"
	expect_rc 0 "manifest-out/$c: the manifest: $(cat "$T/err")"
done

# 4. SIGKILL at seeded random moments, every engine; each kill is
# followed by the check, the next kill goes on from there, and a final
# rerun completes.
RANDOM=${SEED:-8}
landed=0
for c in hdr data; do
	make_local $c "$T/kill-$c.img"
	fuse_device "$T/kill-$c" --filter=delay file "$T/kill-$c.img" delay-write=100ms
	for e in $ENGINES $ENGINES; do
		before=$(xxhsum -H2 <"$T/kill-$c/dev")
		ss_kill_randomly sync "$T/kill-$c/dev" "$T/shadow" --engine $e &&
			landed=$((landed + 1))
		[ "$(xxhsum -H2 <"$T/kill-$c/dev")" = "$before" ] && continue
		commit_not_worse "kill/$c/$e" "$T/kill-$c/dev" "$T/shadow"
	done
	finish "kill/$c" "$T/kill-$c/dev"
done
note "$landed kills landed mid-sync"
[ $landed -ge 6 ] || fail "only $landed kills landed mid-sync: the test did not test"
exit 0
