# Killed at any point, restore run again with the same arguments finishes
# the job. With --manifest the rerun reads the target first and writes
# only the blocks whose digest differs (bytes_skipped_matching > 0); a
# file or a stream is still read whole, so that what the target already
# holds is checked against the manifest on the source's side too
# (bytes_matching_checked; restore_review); without one it says it
# writes everything again. From a file and from stdin. SIGINT and SIGTERM
# stop it cleanly (130, 143) with one line saying to run it again.
. "$(dirname "$0")/../lib.sh"
need_root "FUSE"
need_cmd zstd xxhsum
M=1048576
SIZE=$((160 * M))

mkrand "$T/img" $SIZE
dd if=/dev/zero of="$T/img" bs=1M seek=100 count=10 conv=notrunc status=none
"$SS" hash "$T/img" -o "$T/img.man" >/dev/null || fail hash
zstd -q "$T/img" -o "$T/img.zst" || fail zstd

truncate -s $SIZE "$T/tgt.img"
fuse_device "$T/slow" --filter=delay file "$T/tgt.img" delay-write=8ms
TGT=$T/slow/dev
blank() { truncate -s 0 "$T/tgt.img"; truncate -s $SIZE "$T/tgt.img"; }

# kill_midway SIGNAL CMD...: start CMD, signal it when a third or so of the
# image is on the target; the exit status in $RC.
kill_midway() {
	local sig=$1 pid i
	shift
	"$@" >"$T/out" 2>"$T/err" &
	pid=$!
	for i in $(seq 300); do
		[ "$(stat -c %b "$T/tgt.img")" -gt $((50 * M / 512)) ] && break
		sleep 0.02
	done
	kill -$sig $pid 2>/dev/null
	wait $pid
	RC=$?
	cmp -s "$T/img" "$T/tgt.img" && fail "$*: finished before the kill: the test did not test"
	head -c 30 "$T/tgt.img" | qgrep "SHADOWSYNC RESTORE IN PROGRESS" || fail "killed: the target is not marked"
}

# A file source, with the manifest: the rerun writes only what is missing.
blank
kill_midway KILL "$SS" restore "$T/img" "$TGT" --manifest "$T/img.man"
expect_rc 137
run_ss "$T/out" "$T/err" restore "$T/img" "$TGT" --manifest "$T/img.man" --json
expect_rc 0 "rerun: $(cat "$T/err")"
cmp -s "$T/img" "$T/tgt.img" || fail "rerun: the target differs from the image"
expect_json "$T/out" .resumed true
expect_json "$T/out" .target.state_before '"unfinished-restore"'
expect_json "$T/out" .bytes_scanned $SIZE
expect_json "$T/out" .bytes_read $SIZE
skipped=$(jq .bytes_skipped_matching "$T/out")
written=$(jq '.bytes_written + .bytes_zeroed' "$T/out")
[ "$skipped" -ge $((40 * M)) ] || fail "rerun skipped only $skipped bytes already on the target"
expect_json "$T/out" .bytes_matching_checked "$skipped"
[ "$written" -le $((SIZE - skipped)) ] || fail "rerun wrote $written bytes and skipped $skipped"
note "file rerun: wrote $written bytes, skipped $skipped already there"
# A third run has nothing left to write; the source is read and checked.
run_ss "$T/out" "$T/err" restore "$T/img" "$TGT" --manifest "$T/img.man" --json
expect_rc 0 "third run: $(cat "$T/err")"
expect_json "$T/out" .bytes_read $SIZE
expect_json "$T/out" .bytes_matching_checked $((SIZE - 8 * M))
expect_json "$T/out" .bytes_written 0
expect_json "$T/out" .restore_mark false

# Without a manifest: everything again, and the report says so.
blank
kill_midway KILL "$SS" restore "$T/img" "$TGT"
run_ss "$T/out" "$T/err" restore "$T/img" "$TGT"
expect_rc 0 "rerun without manifest: $(cat "$T/err")"
grep -q "the target held an unfinished restore; without --manifest every block was fetched and written again" "$T/out" ||
	fail "rerun without manifest: $(cat "$T/out")"
cmp -s "$T/img" "$T/tgt.img" || fail "rerun without manifest: target differs"

# stdin: the stream is read whole, but only what is missing is written.
blank
mkfifo "$T/fifo"
zstd -dc "$T/img.zst" >"$T/fifo" 2>/dev/null &
kill_midway KILL sh -c "exec '$SS' restore - '$TGT' --manifest '$T/img.man' <'$T/fifo'"
zstd -dc "$T/img.zst" | "$SS" restore - "$TGT" --manifest "$T/img.man" --json >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "stdin rerun: $(cat "$T/err")"
cmp -s "$T/img" "$T/tgt.img" || fail "stdin rerun: target differs"
expect_json "$T/out" .resumed true
expect_json "$T/out" .bytes_read $SIZE
skipped=$(jq .bytes_skipped_matching "$T/out")
written=$(jq '.bytes_written + .bytes_zeroed' "$T/out")
[ "$skipped" -ge $((40 * M)) ] || fail "stdin rerun skipped only $skipped bytes"
[ "$written" -le $((SIZE - skipped)) ] || fail "stdin rerun wrote $written bytes"
expect_json "$T/out" .bytes_matching_checked "$skipped"
note "stdin rerun: wrote $written bytes, skipped $skipped"

# SIGINT, SIGTERM: 130, 143, one line, and a rerun finishes.
for sig in INT TERM; do
	blank
	kill_midway $sig "$SS" restore "$T/img" "$TGT" --manifest "$T/img.man"
	want=$([ $sig = INT ] && echo 130 || echo 143)
	expect_rc $want "SIG$sig: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "SIG$sig: $(cat "$T/err")"
	grep -qE "^shadowsync: interrupted .*run (the same restore|restore) again" "$T/err" ||
		fail "SIG$sig: $(cat "$T/err")"
	note "SIG$sig: $(cat "$T/err")"
	run_ss "$T/out" "$T/err" restore "$T/img" "$TGT" --manifest "$T/img.man"
	expect_rc 0 "after SIG$sig: $(cat "$T/err")"
	cmp -s "$T/img" "$T/tgt.img" || fail "after SIG$sig: target differs"
done
exit 0
