# Zeros: a file SOURCE's holes are not read, and no zero block is written
# as data. With --target-is-zeroed nothing is written for them (the new
# sparse target's allocation is the image's data, byte for byte); without
# it they are zeroed the cheap way: fallocate on a file, BLKZEROOUT on a
# block device (seen with strace), never pwrite of zeros.
. "$(dirname "$0")/../lib.sh"
need_root "loop devices"
need_cmd strace losetup
M=1048576
alloc() { echo $(( $(stat -c '%b * %B' "$1") )); }

# 32 MiB in 1 MiB blocks: data at 0, 8-11, 24-27; zeros written at 12-15;
# holes at 1-7 (inside the header region), 16-23, 28-31.
truncate -s $((32 * M)) "$T/img"
for b in 0 8 9 10 11 24 25 26 27; do
	head -c $M /dev/urandom | dd of="$T/img" bs=$M seek=$b conv=notrunc status=none
done
dd if=/dev/zero of="$T/img" bs=$M seek=12 count=4 conv=notrunc status=none
sync
[ "$(alloc "$T/img")" = $((13 * M)) ] || skip "this file system does not keep the image sparse ($(alloc "$T/img") bytes)"

for e in $ENGINES; do
	rm -f "$T/tgt"
	truncate -s $((32 * M)) "$T/tgt"
	run_ss "$T/out" "$T/err" restore "$T/img" "$T/tgt" --target-is-zeroed --engine $e --json
	expect_rc 0 "zeroed/$e: $(cat "$T/err")"
	cmp -s "$T/img" "$T/tgt" || fail "zeroed/$e: target differs"
	# Read: the header region whole (8 MiB), then 12 MiB: no hole.
	expect_json "$T/out" .bytes_read $((20 * M))
	expect_json "$T/out" .bytes_written $((9 * M))
	expect_json "$T/out" .bytes_skipped_zero $((23 * M))
	expect_json "$T/out" .bytes_zeroed 0
	sync
	[ "$(alloc "$T/tgt")" = $((9 * M)) ] ||
		fail "zeroed/$e: the target has $(alloc "$T/tgt") bytes allocated, not the image's $((9 * M)) of data"
	note "zeroed/$e: $(jq -c '{bytes_read, bytes_written, bytes_skipped_zero}' "$T/out"), $(alloc "$T/tgt") bytes allocated"
done

# Without it, over old data: the zeros are zeroed, by fallocate, not pwrite.
mkrand "$T/tgt" $((32 * M))
traced -f -e trace=fallocate,pwrite64,ioctl -o "$T/strace" \
	"$SS" restore "$T/img" "$T/tgt" --engine psync --json >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "cheap zeros: $(cat "$T/err")"
cmp -s "$T/img" "$T/tgt" || fail "cheap zeros: target differs"
expect_json "$T/out" .bytes_written $((9 * M))
expect_json "$T/out" .bytes_zeroed $((23 * M))
expect_json "$T/out" .bytes_skipped_zero 0
# Zeroed, by fallocate: exactly the MiB blocks 1-7, 12-23 and 28-31.
zeroed=$(sed -n 's/.*fallocate([0-9]*, FALLOC_FL_ZERO_RANGE, \([0-9]*\), \([0-9]*\)) = 0$/\1 \2/p' "$T/strace" |
	awk -v M=$M '{ for (o = $1; o < $1 + $2; o += M) print o / M }' | sort -n | tr '\n' ' ')
[ "$zeroed" = "1 2 3 4 5 6 7 12 13 14 15 16 17 18 19 20 21 22 23 28 29 30 31 " ] ||
	fail "fallocate ZERO_RANGE covered MiB blocks '$zeroed': $(grep fallocate "$T/strace")"
# No data write in a zero range (psync: every write is a pwrite64).
sed -n 's/.*pwrite64([0-9]*, .*, \([0-9]*\), \([0-9]*\)) = .*/\1 \2/p' "$T/strace" >"$T/writes"
[ "$(wc -l <"$T/writes")" -gt 5 ] || fail "strace shows no writes: $(head -3 "$T/strace")"
awk -v M=$M '{ n = $1; o = $2
	if ((o >= 12 * M && o < 24 * M) || o >= 28 * M || (o >= M && o < 8 * M)) print }' \
	"$T/writes" >"$T/bad"
[ -s "$T/bad" ] && fail "zeros written as data (len off): $(head -3 "$T/bad")"
note "cheap zeros: $(grep -c FALLOC_FL_ZERO_RANGE "$T/strace") fallocate calls"

# A block device: BLKZEROOUT.
mkrand "$T/disk" $((32 * M))
loop_attach DEV "$T/disk"
traced -f -e trace=ioctl -o "$T/strace" "$SS" restore "$T/img" "$DEV" --json >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "blkzeroout: $(cat "$T/err")"
cmp -s "$T/img" "$DEV" || fail "blkzeroout: target differs"
expect_json "$T/out" .bytes_zeroed $((23 * M))
grep -q "BLKZEROOUT, \[$((12 * M)), $((12 * M))\]" "$T/strace" ||
	fail "no BLKZEROOUT of the zero range: $(grep BLKZEROOUT "$T/strace" | head -3)"
exit 0
