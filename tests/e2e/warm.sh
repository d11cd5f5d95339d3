# warm reads every block once (files and loop devices, every engine) and
# writes nothing; --ranges reads only the ranges (checked against the
# loop device's own read counter); bad ranges files are one clear line;
# a read error names the offset.
. "$(dirname "$0")/../lib.sh"
need_cmd xxhsum

M=1048576
SIZE=$((24 * M + 4321))
mkrand "$T/img" $SIZE
before=$(xxhsum -H2 <"$T/img")
for e in $ENGINES auto; do
	run_ss "$T/out" "$T/err" warm "$T/img" --engine $e --json
	expect_rc 0 "$e: $(cat "$T/err")"
	expect_json "$T/out" .bytes_read $SIZE
	expect_json "$T/out" .queue_depth 64
	expect_json "$T/out" '.queue_depth_kept > 0 and .queue_depth_kept <= 64' true
	expect_json "$T/out" .manifest null
done
[ "$(xxhsum -H2 <"$T/img")" = "$before" ] || fail "warm changed the device"
run_ss "$T/out" "$T/err" warm "$T/img"
expect_rc 0
grep -q "^warm: read 24.0 MiB of '$T/img' in .*, [0-9.]* of the 64 reads of 1.0 MiB asked for in flight on average" "$T/out" || fail "text: $(cat "$T/out")"

# warm --manifest-out: the manifest checks out against the device.
run_ss "$T/out" "$T/err" warm "$T/img" --manifest-out "$T/m" --queue-depth 16 --json
expect_rc 0
expect_json "$T/out" .manifest.blocks 25
run_ss "$T/out" "$T/err" check "$T/img" "$T/m"
expect_rc 0

# Ranges.
printf '# written blocks\n0 4096\n0x100000 1M   # hex and suffixes\n\n%s 8192\n3M 2M\n4M 512K\n' \
	$((20 * M)) >"$T/ranges"
run_ss "$T/out" "$T/err" warm "$T/img" --ranges "$T/ranges" --json
expect_rc 0 "$(cat "$T/err")"
# Overlapping [3M,5M) and [4M,4.5M) merge: 4096 + 1M + 8192 + 2M.
expect_json "$T/out" .bytes_read $((4096 + M + 8192 + 2 * M))
expect_json "$T/out" .ranges 4
if [ "$(id -u)" = 0 ] && [ -e /dev/loop-control ]; then
	loop_attach L "$T/img"
	name=$(basename "$L")
	for e in $ENGINES; do
		r0=$(awk '{ print $3 }' /sys/block/$name/stat)
		run_ss "$T/out" "$T/err" warm "$L" --ranges "$T/ranges" --engine $e
		expect_rc 0 "loop/$e: $(cat "$T/err")"
		r1=$(awk '{ print $3 }' /sys/block/$name/stat)
		# Sectors the loop device served: the ranges, nothing more.
		[ $(( (r1 - r0) * 512 )) = $((4096 + M + 8192 + 2 * M)) ] ||
			fail "loop/$e: the device served $(( (r1 - r0) * 512 )) bytes"
		run_ss "$T/out" "$T/err" warm "$L" --engine $e --json
		expect_rc 0
		expect_json "$T/out" .bytes_read $((SIZE / 512 * 512))
	done
fi

# Bad ranges files and option mixes: one line, exit 2.
bad() {
	local name=$1 pattern=$2
	shift 2
	run_ss "$T/out" "$T/err" warm "$@"
	expect_rc 2 "$name"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$name: one line wanted: $(cat "$T/err")"
	grep -qE -e "$pattern" "$T/err" || fail "$name: '$pattern' not in: $(cat "$T/err")"
	note "$name: $(cat "$T/err")"
}
printf '0 4096\n%s 4096\n' $SIZE >"$T/r1"
bad beyond-end "warm: $T/r1:2: range $SIZE\\+4096 is beyond the end of the device \\($SIZE bytes\\)" "$T/img" --ranges "$T/r1"
printf '0 4096 9\n' >"$T/r2"
bad three-fields "warm: $T/r2:1: expected 'OFFSET LENGTH'" "$T/img" --ranges "$T/r2"
printf '0 0\n' >"$T/r3"
bad zero-length "warm: $T/r3:1: expected 'OFFSET LENGTH' \\(bytes, length > 0\\)" "$T/img" --ranges "$T/r3"
printf '# nothing\n' >"$T/r4"
bad no-ranges "warm: no ranges in '$T/r4'" "$T/img" --ranges "$T/r4"
bad missing-ranges "warm: cannot read ranges '$T/nope'" "$T/img" --ranges "$T/nope"
bad manifest-and-ranges "does not go with --ranges" "$T/img" --ranges "$T/ranges" --manifest-out "$T/m2"
bad no-device "expected one DEVICE, got 0" 
bad queue-depth "--queue-depth '0'" "$T/img" --queue-depth 0

# A read error names the device and the offset of the bad sector.
if [ "$(id -u)" = 0 ] && [ -c /dev/fuse ] && command -v nbdfuse >/dev/null; then
	bad=$((5 * M + 8192))
	printf '# Mapfile\n0x0 +\n0x0 0x%x +\n0x%x 0x1000 -\n0x%x 0x%x +\n' $bad $bad $((bad + 4096)) $((SIZE - bad - 4096)) >"$T/map"
	fuse_device "$T/mnt" --filter=ddrescue file "$T/img" ddrescue-mapfile="$T/map"
	for e in $ENGINES; do
		run_ss "$T/out" "$T/err" warm "$T/mnt/dev" --engine $e
		expect_rc 2
		grep -q "read error on device '$T/mnt/dev' at offset $bad: Input/output error (EIO)" "$T/err" ||
			fail "eio/$e: $(cat "$T/err")"
	done
	run_ss "$T/out" "$T/err" warm "$T/mnt/dev" --manifest-out "$T/m3"
	expect_rc 2
	[ -e "$T/m3" ] && fail "a manifest was left after a failed warm"
fi
exit 0
