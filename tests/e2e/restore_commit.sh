# The header region is restore's commit record: a restore that fails
# part-way (out of space, a write error, SIGKILL) must never leave the
# target looking loadable to asd with half-old data. The image is a real
# Aerospike 8.1 device (tests/fixtures, TRUSTED) with its write-blocks
# filled; after each failure `verify TARGET IMAGE` (the image as the
# shadow) must not say load-local with differing data, and a rerun
# completes the job: then load-local, all data equal. Three starting
# targets: a blank volume, one whose header differs from the image's (asd
# would copy), one whose header equals the image's but whose data does
# not (asd would load it as it is).
. "$(dirname "$0")/../lib.sh"
need_root "tmpfs mounts and FUSE"
need_cmd xxhsum zstd
M=1048576
SIZE=$((128 * M))

fixtures "$T/fx"
IMG=$T/img
cp "$T/fx/ns1-a.shadow" "$IMG"
# Fill the write-blocks after the fixture's first one: random, each with
# the record magic at its start (used, as asd sees it).
dd if=/dev/urandom of="$IMG" bs=1M seek=16 count=112 conv=notrunc status=none
for k in $(seq 1 14); do
	printf '\x01\xf2\x7a\x03' | dd of="$IMG" bs=1 seek=$((8 * M + k * 8 * M)) conv=notrunc status=none
done

# make_target CASE OUT [sparse]: in place when OUT exists (nbdkit holds it).
make_target() {
	case $1 in
	blank) truncate -s 0 "$2"; truncate -s $SIZE "$2" ;;
	hdr|data)
		if [ "${3:-}" = sparse ]; then
			head -c $((8 * M)) "$IMG" >"$2"; truncate -s $SIZE "$2"
		else
			cp "$IMG" "$2"
			dd if=/dev/urandom of="$2" bs=1M seek=16 count=112 conv=notrunc status=none
		fi
		# "hdr": an older start (another random): asd would copy.
		[ "$1" = hdr ] && printf '\x77' | dd of="$2" bs=1 seek=48 conv=notrunc status=none
		;;
	esac
	true
}

verdict_of() {	# verdict_of TARGET: "VERDICT DATA_MATCHES"
	"$SS" verify "$1" "$IMG" --json 2>/dev/null |
		jq -r '.pairs[0].cold_start | "\(.verdict) \(.data_matches)"'
}

# not_worse WHAT TARGET: after a failed restore, asd must not load stale data.
not_worse() {
	local v
	v=$(verdict_of "$2")
	case "$v" in
	"load-local false") fail "$1: the target looks loadable to asd with stale data ($v)" ;;
	"load-local true"|"copy-from-shadow null") note "$1: $v" ;;
	*) fail "$1: unexpected verdict '$v'" ;;
	esac
}

# finish WHAT TARGET: a rerun completes; then a clean load-local.
finish() {
	run_ss "$T/out" "$T/err" restore "$IMG" "$2" --json
	expect_rc 0 "$1: rerun: $(cat "$T/err")"
	cmp -s "$IMG" "$2" || fail "$1: after the rerun the target differs from the image"
	[ "$(verdict_of "$2")" = "load-local true" ] || fail "$1: after the rerun: $(verdict_of "$2")"
}

# The starting points are what they say.
make_target data "$T/t"; [ "$(verdict_of "$T/t")" = "load-local false" ] || fail "data case: $(verdict_of "$T/t")"
make_target hdr "$T/t"; [ "$(verdict_of "$T/t")" = "copy-from-shadow null" ] || fail "hdr case: $(verdict_of "$T/t")"

# 1. Out of space: a sparse target on a small tmpfs.
mkdir "$T/small"
for c in blank hdr data; do
	mount -t tmpfs -o size=$((40 * M)) tmpfs "$T/small" || skip "cannot mount tmpfs"
	at_exit "mountpoint -q '$T/small' && umount '$T/small'; true"
	make_target $c "$T/small/tgt" sparse
	run_ss "$T/out" "$T/err" restore "$IMG" "$T/small/tgt"
	expect_rc 2 "enospc/$c"
	grep -q "No space left on device" "$T/err" || fail "enospc/$c: $(cat "$T/err")"
	not_worse "enospc/$c" "$T/small/tgt"
	mount -o remount,size=$((200 * M)) "$T/small"
	finish "enospc/$c" "$T/small/tgt"
	umount "$T/small"
done

# 2. A write error part-way: nbdkit's error filter on writes, switched on
# once the restore is writing (writes slowed by the delay filter).
for c in blank hdr data; do
	make_target $c "$T/eio-$c.img"
	cp "$T/eio-$c.img" "$T/eio-$c.before"
	rm -f "$T/trigger-$c"
	fuse_device "$T/eio-$c" --filter=error --filter=delay file "$T/eio-$c.img" \
		delay-write=50ms error-pwrite-rate=100% error-file="$T/trigger-$c"
	"$SS" restore "$IMG" "$T/eio-$c/dev" --engine psync >"$T/out" 2>"$T/err" &
	pid=$!
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

# 3. SIGKILL at seeded random moments, every engine, each from the
# starting point again (a rerun writes the same bytes: its effect would
# not show); the target's backing file is what is checked; a final rerun
# completes.
RANDOM=${SEED:-8}
landed=0 midway=0
for c in blank hdr data; do
	make_target $c "$T/kill-$c.img"
	fuse_device "$T/kill-$c" --filter=delay file "$T/kill-$c.img" delay-write=30ms
	for e in $ENGINES $ENGINES; do
		make_target $c "$T/kill-$c.img"
		before=$(xxhsum -H2 <"$T/kill-$c.img")
		"$SS" restore "$IMG" "$T/kill-$c/dev" --engine $e >"$T/out" 2>"$T/err" &
		pid=$!
		sleep "0.$((RANDOM % 8 + 1))"
		kill -9 $pid 2>/dev/null && landed=$((landed + 1))
		wait $pid 2>/dev/null
		[ "$(xxhsum -H2 <"$T/kill-$c.img")" = "$before" ] && continue
		cmp -s "$IMG" "$T/kill-$c.img" || midway=$((midway + 1))
		not_worse "kill/$c/$e" "$T/kill-$c.img"
	done
	finish "kill/$c" "$T/kill-$c/dev"
done
note "$landed kills, $midway of them with the target half-written"
[ $midway -ge 9 ] || fail "only $midway kills landed mid-restore: the test did not test"
exit 0
