# Power loss during sync. Local is an Aerospike image served through
# nbdkit's cache filter in write-back mode (writes stay in nbdkit's cache
# until a flush: fdatasync) behind the delay filter (writes take 20 ms),
# exposed by nbdfuse; SIGKILL of that nbdkit is a power cut: every write
# since the last flush is lost, as on a disk whose volatile cache loses
# power. At seeded random moments during sync the power is cut; after
# each cut, what the image file holds is what a node would boot from:
# unless it is exactly as before the sync (nothing was durable yet: for
# the first case that is the load-local of stale data sync is there to
# repair), verify must never predict load-local while local's data
# differs from the shadow; then, power back on, a rerun completes the
# job: a clean load-local that survives the next cut. Two starting points as
# in sync_commit: local's header equals the shadow's but its data differs
# (sync guards the header first), and local's header differs.
# CUTS cuts per case (default 3; make test-long: 20), each on a fresh
# local and followed by a rerun; SEED seeds the moments. The test fails
# when fewer than half the cuts land while sync runs.
. "$(dirname "$0")/../lib.sh"
need_root "FUSE"
need_cmd xxhsum pgrep
need_mkaero
M=1048576
SIZE=$((72 * M))	# header region + 8 write-blocks of 8 MiB
CUTS=${CUTS:-$([ "${LONG:-}" = 1 ] && echo 20 || echo 3)}
RANDOM=${SEED:-13}

aero_image "$T/shadow" $SIZE

make_local() {	# make_local CASE OUT
	cp "$T/shadow" "$2"
	dd if=/dev/urandom of="$2" bs=1M seek=8 count=64 conv=notrunc status=none
	wblock_magic "$2" 8
	printf '\x00\x00\x00\x01' | dd of="$2" bs=1 seek=69720 conv=notrunc status=none
	[ "$1" = hdr ] && printf '\x77' | dd of="$2" bs=1 seek=48 conv=notrunc status=none
	true
}

verdict_of() { aero_verdict "$1" "$T/shadow"; }

# The cut loses writes for real.
make_local data "$T/probe.img"
power_cut_proven "$T/probe.img"

# How long an uncut sync takes here: the cuts fall within it.
power_uncut_ms sync "$T/shadow" make_local data "$T/time.img"

mid=0 guarded=0 total=0 early=0
for c in data hdr; do
	for i in $(seq $CUTS); do
		total=$((total + 1))
		make_local $c "$T/$c.img"
		sum_before=$(xxhsum -H2 <"$T/$c.img")
		# within the sync, mostly
		power_cut_during sync "$T/shadow" "$T/$c.img" $((full_ms * 4 / 5))
		v=$(verdict_of "$T/$c.img")
		# Nothing durable yet: local is as it was before the sync
		# (for "data", that is the load-local of stale data sync is
		# there to repair). Once anything landed, it must be safe.
		unchanged=0
		[ "$(xxhsum -H2 <"$T/$c.img")" = "$sum_before" ] && unchanged=1
		[ $unchanged = 1 ] && early=$((early + 1))
		case "$v" in
		"load-local false")
			[ $unchanged = 1 ] ||
				fail "$c cut $i at ${ms} ms (sync exit $rc): local changed, and asd would load it with stale data" ;;
		"copy-from-shadow null") guarded=$((guarded + 1)) ;;
		"load-local true") ;;
		*) fail "$c cut $i: unexpected verdict '$v'" ;;
		esac
		note "$c cut $i at ${ms} ms: sync running $running, exit $rc, image unchanged $unchanged, verdict $v"
		# Power back on: a rerun completes the job, and its result
		# survives the next cut (its flushes came first).
		power_on "$T/$c.img"
		run_ss "$T/out" "$T/err" sync "$DEV" "$T/shadow" --json
		expect_rc 0 "$c cut $i: the rerun: $(cat "$T/err")"
		power_cut
		[ "$(verdict_of "$T/$c.img")" = "load-local true" ] ||
			fail "$c cut $i: after the rerun: $(verdict_of "$T/$c.img")"
		# Byte for byte the shadow, but for local's own pristine_offset.
		outside=$(cmp -l "$T/$c.img" "$T/shadow" | awk '$1 < 69721 || $1 > 69728' | wc -l)
		[ "$outside" = 0 ] ||
			fail "$c cut $i: $outside bytes differ from the shadow outside pristine_offset"
	done
done
note "$total cuts: $mid during sync, $early before anything was durable, $guarded left copy-from-shadow"
[ $mid -ge $((total / 2)) ] || fail "only $mid of $total cuts landed during sync: the test did not test"
exit 0
