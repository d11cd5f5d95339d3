# Power loss during restore of an Aerospike image. The target is a file
# served through the power-loss device of sync_powerloss (lib.sh
# power_on: nbdkit's cache filter in write-back mode behind 20 ms
# writes; power_cut: SIGKILL of that nbdkit, every write since the last
# flush lost). At seeded random moments during restore the power is cut;
# what the target file then holds is what a node would boot from, with
# the image as its shadow:
#  - unless it is exactly as before (nothing was durable yet) or exactly
#    the image (the restore was complete), verify must not predict
#    load-local and inspect must show the mark of an unfinished restore
#    (state unfinished-restore), never a loadable header;
#  - power back on, a rerun completes the job and ends identical to the
#    image: every other one with --manifest (a resume: only the blocks
#    that differ are written; it must say resumed when it found the
#    mark), the others without; the result survives the next cut.
# Three starting targets as in restore_commit: blank, a header of an
# older start (asd would copy), the image's header over other data (asd
# would load it as it is). CUTS cuts per case (default 1; make test-long:
# 7, 21 in all); SEED seeds the moments. The test fails when fewer than
# half the cuts land while restore runs.
. "$(dirname "$0")/../lib.sh"
need_root "FUSE"
need_cmd xxhsum pgrep
need_mkaero
M=1048576
SIZE=$((72 * M))	# header region + 8 write-blocks of 8 MiB
CUTS=${CUTS:-$([ "${LONG:-}" = 1 ] && echo 7 || echo 1)}
RANDOM=${SEED:-31}

IMG=$T/img
aero_image "$IMG" $SIZE
"$SS" hash "$IMG" -o "$T/img.man" >/dev/null 2>"$T/err" || fail "hash: $(cat "$T/err")"

make_target() {	# make_target CASE OUT
	case $1 in
	blank) rm -f "$2"; truncate -s $SIZE "$2" ;;
	hdr|data)
		cp "$IMG" "$2"
		dd if=/dev/urandom of="$2" bs=1M seek=8 count=64 conv=notrunc status=none
		wblock_magic "$2" 8
		[ "$1" = hdr ] && printf '\x77' | dd of="$2" bs=1 seek=48 conv=notrunc status=none
		;;
	esac
	true
}
state_of() { "$SS" inspect "$1" --json 2>/dev/null | jq -r .state; }

make_target data "$T/probe.img"
[ "$(aero_verdict "$T/probe.img" "$IMG")" = "load-local false" ] || fail "the data case is not what it says"
power_cut_proven "$T/probe.img"

# How long an uncut restore takes here; its result survives the cut.
is_image() { cmp -s "$IMG" "$1" || fail "an uncut restore did not survive the cut after it"; }
power_uncut_ms restore "$IMG" make_target hdr "$T/time.img" is_image

mid=0 total=0 early=0 marked=0 whole=0 resumes=0
for i in $(seq $CUTS); do
	for c in blank hdr data; do
		total=$((total + 1))
		tgt=$T/$c.img
		make_target $c "$tgt"
		sum_before=$(xxhsum -H2 <"$tgt")
		power_cut_during restore "$IMG" "$tgt" $((full_ms * 9 / 10))
		v=$(aero_verdict "$tgt" "$IMG")
		st=$(state_of "$tgt")
		what="$c cut $i at ${ms} ms (restore running $running, exit $rc)"
		if [ "$(xxhsum -H2 <"$tgt")" = "$sum_before" ]; then
			early=$((early + 1)) after=unchanged
		elif cmp -s "$IMG" "$tgt"; then
			whole=$((whole + 1)) after=restored
			[ "$v" = "load-local true" ] || fail "$what: the image whole, but verify says $v"
		else
			marked=$((marked + 1)) after=half-written
			restore_unfinished "$what" "$tgt" "$IMG"
		fi
		note "$what: $after, inspect $st, verdict $v"
		# Power back on: a rerun completes the job, with or without
		# the manifest, and its result survives the next cut.
		power_on "$tgt"
		if [ $((total % 2)) = 0 ]; then
			run_ss "$T/out" "$T/err" restore "$IMG" "$DEV" --manifest "$T/img.man" --json
			expect_rc 0 "$what: the rerun with --manifest: $(cat "$T/err")"
			if [ $after = half-written ]; then
				expect_json "$T/out" .resumed true
				resumes=$((resumes + 1))
			fi
		else
			run_ss "$T/out" "$T/err" restore "$IMG" "$DEV" --json
			expect_rc 0 "$what: the rerun: $(cat "$T/err")"
		fi
		power_cut
		cmp -s "$IMG" "$tgt" || fail "$what: after the rerun the target differs from the image"
		[ "$(aero_verdict "$tgt" "$IMG")" = "load-local true" ] ||
			fail "$what: after the rerun: $(aero_verdict "$tgt" "$IMG")"
	done
done
note "$total cuts: $mid during restore, $early before anything was durable, $marked half-written (marked), $whole after the restore was whole; $resumes reruns resumed from the mark"
[ $mid -ge $((total / 2)) ] || fail "only $mid of $total cuts landed during restore: the test did not test"
exit 0
