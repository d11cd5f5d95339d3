# Failed reads are reported where they are, never passed over. Of two bad
# sectors the lower offset is named, even when the higher one fails first
# (the lower read is slowed); a device that returns 0 bytes before its end
# (it shrank under the reader) is a read error, not a match. Every engine.
. "$(dirname "$0")/../lib.sh"
need_root "FUSE mounts"
M=1048576
mkrand "$T/shadow" $((16 * M))
cp "$T/shadow" "$T/back"

low=$((1 * M + 8192)) high=$((9 * M + 4096))
for e in io_uring libaio psync; do
	SLOWDEV_EIO=$low,$high SLOWDEV_SLOW=$low:400 slow_device "$T/bad-$e" "$T/back" 0
	run_ss "$T/out" "$T/err" verify "$T/bad-$e/dev" "$T/shadow" --engine $e --queue-depth 16
	expect_rc 2 "two bad/$e"
	grep -qE "^shadowsync: read error on local '$T/bad-$e/dev' at offset $low: Input/output error \(EIO\)$" "$T/err" ||
		fail "two bad/$e: $(cat "$T/err")"
	note "two bad/$e: $(cat "$T/err")"
done

eof=$((5 * M + 4096))
for e in io_uring libaio psync; do
	SLOWDEV_EOF_FROM=$eof slow_device "$T/eof-$e" "$T/back" 0
	run_ss "$T/out" "$T/err" verify "$T/eof-$e/dev" "$T/shadow" --engine $e --json
	expect_rc 2 "eof/$e"
	expect_json "$T/out" .pairs[0].result '"error"'
	grep -q "read error on local '$T/eof-$e/dev' at offset $eof: No data available (ENODATA)" "$T/err" ||
		fail "eof/$e: $(cat "$T/err")"
	expect_json "$T/out" '.pairs[0].bytes_compared <= '$eof true
done
exit 0
