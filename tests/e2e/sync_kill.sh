# A sync killed at any point (SIGKILL at several moments, SIGINT, SIGTERM)
# leaves a local that the next sync completes: it ends identical to the
# shadow, and the shadow is never touched. Local is a loop device over a
# slow-writing device (nbdkit's file plugin behind the delay filter, 4 ms
# a write, through nbdfuse) so that the kills land while writes are in
# flight; every engine.
. "$(dirname "$0")/../lib.sh"
need_root "loop devices and FUSE"
need_cmd losetup xxhsum

M=1048576
SIZE=$((256 * M))
mkrand "$T/shadow.img" $SIZE
shadow_sum=$(xxhsum -H2 <"$T/shadow.img")
loop_attach S "$T/shadow.img"

# A local that differs in every other 1 MiB block (128 MiB to write),
# attached as $L: a loop device on the slow FUSE view of local.img.
cp "$T/shadow.img" "$T/pristine.img"
for b in $(seq 0 2 255); do
	printf 'X' | dd of="$T/pristine.img" bs=1 seek=$((b * M + 4096)) conv=notrunc status=none
done
make_local() { slow_loop_on "$T/pristine.img"; }

# bytes still differing between the loop devices, by verify
differing() {
	"$SS" verify "$L" "$S" --json | jq .pairs[0].differing_bytes
}

# KILLS per engine at seeded random moments (SEED): 4 in make test, 20 in
# make test-long (LONG=1); at least a quarter must land mid-write.
KILLS=${KILLS:-$([ "${LONG:-}" = 1 ] && echo 20 || echo 4)}
RANDOM=${SEED:-21}
killed_midway=0
n=0
for e in $ENGINES; do
	for k in $(seq $KILLS); do
		ms=$((100 + RANDOM % 1400))	# 0.1 to 1.5 s into the sync
		delay=$((ms / 1000)).$(printf %03d $((ms % 1000)))
		n=$((n + 1))
		make_local
		ss_kill_at $ms sync "$L" "$S" --engine $e
		# Run again at once (the killed run's claim on the device may
		# still be going away): what it writes is what was left.
		run_ss "$T/out" "$T/err" sync "$L" "$S" --engine $e --json
		expect_rc 0 "resync after kill ($e, ${delay}s, rc $rc): $(cat "$T/err")"
		expect_json "$T/out" .pairs[0].verified true
		left=$(jq .pairs[0].bytes_written "$T/out")
		if [ $rc = 137 ] && [ "$left" -gt 0 ] && [ "$left" -lt $((128 * M)) ]; then
			killed_midway=$((killed_midway + 1))
		fi
		[ "$(differing)" = 0 ] || fail "$e/$delay: still differs after resync"
		note "$e kill after ${delay}s: exit $rc, resync wrote the $left bytes left"
		slow_loop_off
	done
done
[ $killed_midway -ge $(( (n + 3) / 4 )) ] || fail "only $killed_midway of $n kills landed mid-sync; the test did not test"

# SIGINT and SIGTERM: a clean stop, exit 128 + the signal (130, 143), one
# line saying to run it again (from the run's own report, or from the
# watchdog if the device kept it waiting).
for sig in INT TERM; do
	make_local
	"$SS" sync "$L" "$S" >"$T/out" 2>"$T/err" &
	pid=$!
	sleep 0.5
	kill -$sig $pid
	wait $pid
	rc=$?
	msg=$(cat "$T/err")
	want=$([ $sig = INT ] && echo 130 || echo 143)
	if [ $rc = $want ]; then
		[ "$(wc -l <"$T/err")" = 1 ] && grep -q "^shadowsync: interrupted .*run sync again" "$T/err" ||
			fail "SIG$sig: $(cat "$T/err")"
	else
		[ $rc = 0 ] || fail "SIG$sig: exit $rc: $(cat "$T/err")"
	fi
	run_ss "$T/out" "$T/err" sync "$L" "$S"
	expect_rc 0 "resync after SIG$sig: $(cat "$T/err")"
	[ "$(differing)" = 0 ] || fail "SIG$sig: still differs"
	note "SIG$sig: exit $rc: $msg"
	slow_loop_off
done

[ "$(xxhsum -H2 <"$T/shadow.img")" = "$shadow_sum" ] || fail "shadow changed"
note "$killed_midway of $n SIGKILLs landed mid-sync"
exit 0
