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

verdict_of() { commit_verdict "$1" "$IMG"; }	# verdict_of TARGET

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
commit_enospc restore "$IMG" $((40 * M)) $((200 * M)) make_target finish blank hdr data

# 2. A write error part-way: nbdkit's error filter on writes, switched on
# once the restore is writing (writes slowed by the delay filter).
commit_eio restore "$IMG" make_target finish blank hdr data

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
		ss_kill_randomly restore "$IMG" "$T/kill-$c/dev" --engine $e &&
			landed=$((landed + 1))
		[ "$(xxhsum -H2 <"$T/kill-$c.img")" = "$before" ] && continue
		cmp -s "$IMG" "$T/kill-$c.img" || midway=$((midway + 1))
		commit_not_worse "kill/$c/$e" "$T/kill-$c.img" "$IMG"
	done
	finish "kill/$c" "$T/kill-$c/dev"
done
note "$landed kills, $midway of them with the target half-written"
[ $midway -ge 9 ] || fail "only $midway kills landed mid-restore: the test did not test"
exit 0
