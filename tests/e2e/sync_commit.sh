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

verdict_of() {	# verdict_of LOCAL: "VERDICT DATA_MATCHES"
	"$SS" verify "$1" "$T/shadow" --json 2>/dev/null |
		jq -r '.pairs[0].cold_start | "\(.verdict) \(.data_matches)"'
}

# not_worse WHAT LOCAL: after a failed sync, asd must not load stale data.
not_worse() {
	local v
	v=$(verdict_of "$2")
	case "$v" in
	"load-local false") fail "$1: local looks loadable to asd with stale data ($v)" ;;
	"load-local true"|"copy-from-shadow null") note "$1: $v" ;;
	*) fail "$1: unexpected verdict '$v'" ;;
	esac
}

# finish WHAT LOCAL: a rerun completes; then a fast, clean load-local.
finish() {
	run_ss "$T/out" "$T/err" sync "$2" "$T/shadow" --json
	expect_rc 0 "$1: rerun: $(cat "$T/err")"
	[ "$(verdict_of "$2")" = "load-local true" ] || fail "$1: after the rerun: $(verdict_of "$2")"
}

# 1. Out of space: a sparse local on a small tmpfs.
mkdir "$T/small"
for c in hdr data; do
	mount -t tmpfs -o size=$((30 * M)) tmpfs "$T/small" || skip "cannot mount tmpfs"
	at_exit "mountpoint -q '$T/small' && umount '$T/small'; true"
	make_local $c "$T/small/local" sparse
	run_ss "$T/out" "$T/err" sync "$T/small/local" "$T/shadow"
	expect_rc 2 "enospc/$c"
	grep -q "No space left on device" "$T/err" || fail "enospc/$c: $(cat "$T/err")"
	not_worse "enospc/$c" "$T/small/local"
	mount -o remount,size=$((100 * M)) "$T/small"
	finish "enospc/$c" "$T/small/local"
	umount "$T/small"
done

# 2. A write error part-way: nbdkit's error filter on writes, switched on
# while the sync is writing (writes are slowed by the delay filter).
for c in hdr data; do
	make_local $c "$T/eio-$c.img"
	cp "$T/eio-$c.img" "$T/eio-$c.before"
	rm -f "$T/trigger-$c"
	fuse_device "$T/eio-$c" --filter=error --filter=delay file "$T/eio-$c.img" \
		delay-write=50ms error-pwrite-rate=100% error-file="$T/trigger-$c"
	"$SS" sync "$T/eio-$c/dev" "$T/shadow" --engine psync >"$T/out" 2>"$T/err" &
	pid=$!
	# Switch the errors on once the first write has landed.
	for i in $(seq 200); do
		cmp -s "$T/eio-$c.img" "$T/eio-$c.before" || break
		sleep 0.05
	done
	touch "$T/trigger-$c"
	wait $pid
	RC=$?
	expect_rc 2 "eio/$c: $(cat "$T/err")"
	grep -q "Input/output error" "$T/err" || fail "eio/$c: $(cat "$T/err")"
	not_worse "eio/$c" "$T/eio-$c/dev"
	rm "$T/trigger-$c"
	finish "eio/$c" "$T/eio-$c/dev"
done

# 3. SIGKILL at seeded random moments, every engine; each kill is
# followed by the check, the next kill goes on from there, and a final
# rerun completes.
RANDOM=${SEED:-8}
landed=0
for c in hdr data; do
	make_local $c "$T/kill-$c.img"
	fuse_device "$T/kill-$c" --filter=delay file "$T/kill-$c.img" delay-write=100ms
	for e in $ENGINES $ENGINES; do
		before=$(xxhsum -H2 <"$T/kill-$c/dev")
		"$SS" sync "$T/kill-$c/dev" "$T/shadow" --engine $e >"$T/out" 2>"$T/err" &
		pid=$!
		sleep "0.$((RANDOM % 8 + 1))"
		kill -9 $pid 2>/dev/null && landed=$((landed + 1))
		wait $pid 2>/dev/null
		[ "$(xxhsum -H2 <"$T/kill-$c/dev")" = "$before" ] && continue
		not_worse "kill/$c/$e" "$T/kill-$c/dev"
	done
	finish "kill/$c" "$T/kill-$c/dev"
done
note "$landed kills landed mid-sync"
[ $landed -ge 6 ] || fail "only $landed kills landed mid-sync: the test did not test"
exit 0
