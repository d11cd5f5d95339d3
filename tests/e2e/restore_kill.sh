# A restore killed (SIGKILL) at seeded random moments leaves a target
# that asd would not load half-written and that the next restore
# completes: it ends identical to the image. The image is an Aerospike
# device on a loop device; the target a loop device over a slow-writing
# device (nbdkit's file plugin behind the delay filter, 4 ms a write,
# through nbdfuse) holding an older start of the namespace over other
# data (every block differs), so that the kills land while writes are in
# flight; every engine. After each kill verify says how much still
# differs and what asd would do; the rerun is with --manifest (a resume:
# it must say so when the mark was left, and write less than all) every
# other time, without the others (the manifest's blocks are the image's
# 8 MiB write-blocks: it must write exactly those verify finds differing
# at that size). A kill landed mid-write when the
# target is neither as it was nor the image; the test reports how many
# did and fails when fewer than a quarter did: a kill landed mid-write
# when more than the header region (8 MiB) still differs, but less than
# before the restore.
. "$(dirname "$0")/../lib.sh"
need_root "loop devices and FUSE"
need_cmd losetup xxhsum
need_mkaero

M=1048576
SIZE=$((128 * M))	# header region + 15 write-blocks of 8 MiB
aero_image "$T/img" $SIZE
img_sum=$(xxhsum -H2 <"$T/img")
"$SS" hash "$T/img" -o "$T/img.man" >/dev/null 2>"$T/err" || fail "hash: $(cat "$T/err")"
loop_attach S "$T/img"

cp "$T/img" "$T/pristine.img"
dd if=/dev/urandom of="$T/pristine.img" bs=1M seek=8 count=120 conv=notrunc status=none
wblock_magic "$T/pristine.img" 15
printf '\x77' | dd of="$T/pristine.img" bs=1 seek=48 conv=notrunc status=none
make_target() { slow_loop_on "$T/pristine.img"; }
# after_kill [VERIFY-ARGS]: "DIFFERING_BYTES VERDICT DATA_MATCHES" of the target
after_kill() {
	"$SS" verify "$L" "$S" --json "$@" 2>/dev/null |
		jq -r '.pairs[0] | "\(.differing_bytes) \(.cold_start.verdict) \(.cold_start.data_matches)"'
}

# How long an uncut restore takes here: the kills fall within it.
make_target
read -r before _ < <(after_kill)
t0=$(date +%s%N)
run_ss "$T/out" "$T/err" restore "$S" "$L" --engine psync
expect_rc 0 "uncut restore: $(cat "$T/err")"
full_ms=$((($(date +%s%N) - t0) / 1000000))
slow_loop_off
note "an uncut restore takes ${full_ms} ms"

# KILLS per engine (default 2; make test-long, LONG=1: 20), SEED.
KILLS=${KILLS:-$([ "${LONG:-}" = 1 ] && echo 20 || echo 2)}
RANDOM=${SEED:-44}
midway=0 n=0 resumed=0
for e in $ENGINES; do
	for k in $(seq $KILLS); do
		n=$((n + 1))
		ms=$((50 + RANDOM % (full_ms * 9 / 10)))
		make_target
		ss_kill_at $ms restore "$S" "$L" --engine $e
		read -r left verdict matches < <(after_kill)
		[ -n "$left" ] && [ "$left" != null ] || fail "$e kill $k: verify of the target failed"
		read -r left8 _ < <(after_kill --block-size 8M)
		what="$e kill $k after ${ms} ms (exit $rc)"
		if [ "$left" -gt $((8 * M)) ] && [ "$left" -lt "$before" ]; then
			midway=$((midway + 1))
		fi
		if [ "$left" -gt 0 ]; then
			[ "$verdict" = load-local ] &&
				fail "$what: $left bytes still differ and asd would load the target ($matches)"
		fi
		# Run again at once (the killed run's claim on the device may
		# still be going away).
		if [ $((n % 2)) = 0 ]; then
			run_ss "$T/out" "$T/err" restore "$S" "$L" --engine $e --manifest "$T/img.man" --json
			expect_rc 0 "$what: the rerun with --manifest: $(cat "$T/err")"
			expect_json "$T/out" .bytes_written "$left8"
			if [ "$left" -lt "$before" ]; then
				expect_json "$T/out" .resumed true
				resumed=$((resumed + 1))
			fi
		else
			run_ss "$T/out" "$T/err" restore "$S" "$L" --engine $e --json
			expect_rc 0 "$what: the rerun: $(cat "$T/err")"
		fi
		expect_json "$T/out" .verified true
		[ "$(after_kill)" = "0 load-local true" ] || fail "$what: after the rerun: $(after_kill)"
		note "$what: $left bytes differed, asd would $verdict; the rerun wrote $(jq .bytes_written "$T/out")"
		slow_loop_off
	done
done
[ "$(xxhsum -H2 <"$T/img")" = "$img_sum" ] || fail "the image changed"
note "$midway of $n SIGKILLs landed mid-write ($resumed resumed with --manifest)"
[ $midway -ge $(((n + 3) / 4)) ] || fail "only $midway of $n kills landed mid-write: the test did not test"
exit 0
