# What a second hostile review of restore found, each now handled:
# --target-is-zeroed over the mark of an unfinished restore (the 8 MiB
# check cannot be made there, and the old data stayed where the image has
# zeros, under a TRUSTED header); a SIGTERM before anything is written
# (its line said nothing); --manifest-out on a full file system (found
# after the header commit); a server that sends 1 KiB of each part and
# closes (every attempt was "progress": retried for ever); a file SOURCE
# written during the restore (restored as a mix of its versions, or cut
# at the size it had when opened, and reported RESTORED);
# --target-is-zeroed on a device blanked by zeroing its header region
# alone (its write-blocks kept, under the image's zeros).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"
M=1048576
need_mkaero
need_cmd strace

# mark_only TARGET IMAGE: a restore that put its mark on TARGET and failed
# at its first data write (strace: every pwrite64 after the mark's fails),
# so TARGET holds the mark over its old data.
mark_only() {
	traced -f -o /dev/null -e trace=pwrite64 -e inject=pwrite64:error=EIO:when=2+ \
		"$SS" restore "$2" "$1" --engine psync >"$T/mo.out" 2>"$T/mo.err"
	RC=$?
	expect_rc 2 "mark_only: $(cat "$T/mo.err")"
	run_ss "$T/mo.out" "$T/mo.err" inspect "$1" --json
	expect_rc 0 "$(cat "$T/mo.err")"
	expect_json "$T/mo.out" .state '"unfinished-restore"'
}

# --target-is-zeroed over the mark: an old device of 31 used write-blocks
# (and data in its header region past the header), an image of 5. The
# rerun must not leave the old write-blocks where the image has zeros
# (asd would sweep them: 26 stale write-blocks under a TRUSTED header),
# in the data, in the header region or past the image's end.
"$MKAERO" "$T/old" --size $((256 * M)) --namespace ns1 --used 31 --seed 7 --flags TRUSTED ||
	fail mkaero
head -c $M /dev/urandom | dd of="$T/old" bs=$M seek=2 conv=notrunc status=none || fail dd
"$MKAERO" "$T/img" --size $((256 * M)) --namespace ns1 --used 5 --flags TRUSTED || fail mkaero
cp "$T/old" "$T/t1"
mark_only "$T/t1" "$T/img"
run_ss "$T/out" "$T/err" restore "$T/img" "$T/t1" --target-is-zeroed --json
expect_rc 0 "$(cat "$T/err")"
cmp -s "$T/img" "$T/t1" || fail "--target-is-zeroed over the mark: not the image ($(cmp "$T/img" "$T/t1"))"
[ "$(jq .bytes_zeroed "$T/out")" -gt 0 ] || fail "nothing zeroed: $(cat "$T/out")"
run_ss "$T/out" "$T/err" inspect "$T/t1" --records --json
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" .devices[0].records.sweep.used_wblocks 5
run_ss "$T/out" "$T/err" restore "$T/img" "$T/t1" --target-is-zeroed
expect_rc 2 "a done target is not zeros"
# text: says what it did
cp "$T/old" "$T/t1"
mark_only "$T/t1" "$T/img"
run_ss "$T/out" "$T/err" restore "$T/img" "$T/t1" --target-is-zeroed
expect_rc 0 "$(cat "$T/err")"
grep -q "^  --target-is-zeroed over an unfinished restore: the zeros not written were read" \
	"$T/out" || fail "text: $(cat "$T/out")"
# past the image's end (an image of 128 MiB on the 256 MiB target)
head -c $((128 * M)) "$T/img" >"$T/img128"
cp "$T/old" "$T/t2"
mark_only "$T/t2" "$T/img128"
run_ss "$T/out" "$T/err" restore "$T/img128" "$T/t2" --target-is-zeroed --json
expect_rc 0 "$(cat "$T/err")"
cmp -s -n $((128 * M)) "$T/img128" "$T/t2" || fail "tail: the image is not on the target"
cmp -s -i $((128 * M)):0 -n $((128 * M)) "$T/t2" /dev/zero ||
	fail "tail: the old data past the image's end is still there"
[ "$(jq .bytes_zeroed_past_image "$T/out")" -gt 0 ] || fail "tail: $(cat "$T/out")"
# a fresh sparse target marked by a killed --target-is-zeroed run of the
# same image: nothing past the header region is zeroed (the skipped
# blocks read as zeros); the header region's 7 zero blocks are written
truncate -s $((256 * M)) "$T/t3"
mark_only "$T/t3" "$T/img"
run_ss "$T/out" "$T/err" restore "$T/img" "$T/t3" --target-is-zeroed --json
expect_rc 0 "$(cat "$T/err")"
cmp -s "$T/img" "$T/t3" || fail "fresh target: not the image"
expect_json "$T/out" .bytes_zeroed $((7 * M))
# SIGTERM before anything is written, while restore claims TARGET (its
# flock held 0.6 s by strace): one line that says so (it was
# "shadowsync: " and nothing more, the target read that follows stopped
# by the signal), the target untouched.
need_cmd pgrep
"$MKAERO" "$T/i64" --size $((64 * M)) --namespace ns1 --used 3 || fail mkaero
mkrand "$T/t4" $((64 * M))
cp "$T/t4" "$T/t4.before"
ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0 \
	strace -f -o "$T/fl.trace" -e trace=flock -e inject=flock:delay_enter=600000 \
	"$SS" restore "$T/i64" "$T/t4" --json >"$T/out" 2>"$T/err" &
spid=$!
for i in $(seq 300); do
	grep -q "flock(" "$T/fl.trace" 2>/dev/null && break
	sleep 0.01
done
grep -q "flock(" "$T/fl.trace" || fail "no flock under strace"
kill -TERM "$(pgrep -P $spid)"
wait $spid
RC=$?
expect_rc 143 "$(cat "$T/err")"
grep -qx "shadowsync: interrupted before anything was written to target '$T/t4'" "$T/err" ||
	fail "SIGTERM before writing: $(cat "$T/err")"
expect_json "$T/out" .error "\"interrupted before anything was written to target '$T/t4'\""
cmp -s "$T/t4" "$T/t4.before" || fail "SIGTERM before writing: the target was written"

# --manifest-out on a full file system (a 1 MiB tmpfs, filled): the
# manifest's bytes are buffered, so its ENOSPC came only at its commit,
# after the header commit (exit 2 over a TARGET that was restored and
# TRUSTED). Now it shows before the header region: TARGET keeps the mark,
# and a rerun with room finishes both.
need_root "tmpfs"
mkdir -p "$T/full"
mount -t tmpfs -o size=1m tmpfs "$T/full" || fail "mount tmpfs"
at_exit "umount '$T/full'"
dd if=/dev/zero of="$T/full/fill" bs=4k status=none 2>/dev/null
"$MKAERO" "$T/i5" --size $((64 * M)) --namespace ns1 --used 5 --flags TRUSTED || fail mkaero
mkrand "$T/t5" $((64 * M))
run_ss "$T/out" "$T/err" restore "$T/i5" "$T/t5" --manifest-out "$T/full/t5.man" --json
expect_rc 2 "$(cat "$T/err")"
grep -qx "shadowsync: cannot write manifest '$T/full/t5.man': No space left on device (ENOSPC)" \
	"$T/err" || fail "manifest-out, full: $(cat "$T/err")"
expect_json "$T/out" .header_region_written false
[ -e "$T/full/t5.man" ] && fail "manifest-out, full: a manifest was left"
run_ss "$T/out" "$T/err" inspect "$T/t5" --json
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" .state '"unfinished-restore"'
rm -f "$T/full/fill"
run_ss "$T/out" "$T/err" restore "$T/i5" "$T/t5" --manifest-out "$T/full/t5.man"
expect_rc 0 "$(cat "$T/err")"
cmp -s "$T/i5" "$T/t5" || fail "manifest-out, rerun: not the image"
run_ss "$T/out" "$T/err" check "$T/t5" "$T/full/t5.man"
expect_rc 0 "manifest-out, rerun: $(cat "$T/err")"

# A trickle across connections: every part request answered with 1 KiB,
# then a clean close. Each attempt reset the part's count of failures, so
# an 8 MiB part would take 8192 attempts (a restore that never ends nor
# fails). An attempt must deliver a stall window's worth (1 KiB/s over
# --stall-timeout) to count as progress: the retries run out, exit 2.
mkrand "$T/dimg" $((4 * M))
start_pyserver P srv faulty_http.py --file "$T/dimg" --log "$T/req.log"
mkrand "$T/t6" $((4 * M))
SS_TIMEOUT=120 run_ss "$T/out" "$T/err" restore "http://127.0.0.1:$P/dribble" "$T/t6" \
	--stall-timeout 5 --connections 2 --part-size 1M --json
expect_rc 2 "dribble: $(cat "$T/err")"
grep -q "^shadowsync: cannot read 'http://127.0.0.1:$P/dribble' at offset [0-9]*: giving up after 9 failed attempts in a row: " \
	"$T/err" || fail "dribble: $(cat "$T/err")"
n=$(jq -s '[.[] | select(.path == "/dribble")] | length' "$T/req.log")
[ "$n" -le 40 ] || fail "dribble: $n requests"
note "dribble: $n requests; $(cat "$T/err")"

# A file SOURCE written while it is restored (a download or a copy that
# has not finished): changed after restore opened it (the mark on TARGET,
# its fdatasyncs held 0.5 s each by strace), by a write inside it and by
# an append, from a path and through stdin. Refused before the header
# region: exit 2 naming it, TARGET keeps the mark; a rerun finishes.
"$MKAERO" "$T/s7" --size $((64 * M)) --namespace ns1 --used 9 --flags TRUSTED || fail mkaero
changed_source() {	# changed_source CASE HOW(write|append) stdin|path
	cp "$T/s7" "$T/s7w"
	mkrand "$T/t7" $((64 * M))
	if [ "$3" = stdin ]; then
		RESTORE_STDIN=$T/s7w restore_marked "$1" - "$T/t7"
	else
		restore_marked "$1" "$T/s7w" "$T/t7"
	fi
	if [ "$2" = append ]; then
		head -c 4096 /dev/urandom >>"$T/s7w"
	else
		head -c 4096 /dev/urandom | dd of="$T/s7w" bs=4096 seek=100 conv=notrunc status=none
	fi
	wait $RESTORE_PID
	RC=$?
	expect_rc 2 "$1: $(cat "$T/err")"
	local name="source '$T/s7w'"
	[ "$3" = stdin ] && name="stdin (a file)"
	grep -q "^shadowsync: $name changed during the restore (" "$T/err" ||
		fail "$1: $(cat "$T/err")"
	run_ss "$T/out" "$T/err" inspect "$T/t7" --json
	expect_rc 0 "$(cat "$T/err")"
	expect_json "$T/out" .state '"unfinished-restore"'
}
changed_source "path, written" write path
changed_source "path, appended" append path
changed_source "stdin, written" write stdin
run_ss "$T/out" "$T/err" restore "$T/s7w" "$T/t7"
expect_rc 0 "changed source, rerun: $(cat "$T/err")"
cmp -s "$T/s7w" "$T/t7" || fail "changed source, rerun: not the image"

# --target-is-zeroed on a device "blanked" by zeroing its header region
# alone (dd ... count=8): its first 8 MiB are zeros, its 31 write-blocks
# are not. Refused naming the first place found, nothing written.
cp "$T/old" "$T/t8"
dd if=/dev/zero of="$T/t8" bs=$M count=8 conv=notrunc status=none || fail dd
cp "$T/t8" "$T/t8.before"
run_ss "$T/out" "$T/err" restore "$T/img" "$T/t8" --target-is-zeroed
expect_rc 2 "$(cat "$T/err")"
grep -q "^shadowsync: --target-is-zeroed, but target '$T/t8' does not read as zeros (at offset 8388608, of 248 places read past its first 8 MiB" \
	"$T/err" || fail "header zeroed only: $(cat "$T/err")"
cmp -s "$T/t8" "$T/t8.before" || fail "header zeroed only: the target was written"
# one stale write-block at the end (the last MiB) is found too
truncate -s 0 "$T/t8"
truncate -s $((256 * M)) "$T/t8"
head -c 4096 /dev/urandom | dd of="$T/t8" bs=4096 seek=$(((255 * M) / 4096)) conv=notrunc status=none
run_ss "$T/out" "$T/err" restore "$T/img" "$T/t8" --target-is-zeroed
expect_rc 2 "$(cat "$T/err")"
grep -q "(at offset $((255 * M)), of 248 places" "$T/err" || fail "last MiB: $(cat "$T/err")"
exit 0
