# verify on real block devices: a pair of loop devices, and a loop device
# against a larger regular file; all engines agree with the file result.
. "$(dirname "$0")/../lib.sh"
need_root "loop devices"
[ -e /dev/loop-control ] || skip "no /dev/loop-control"
need_cmd losetup

M=1048576
SIZE=$((32 * M)) BS=$((256 * 1024))
mkrand "$T/shadow.img" $SIZE
cp "$T/shadow.img" "$T/local.img"
offs="0 $((BS - 1)) $((5 * M)) $((5 * M + BS)) $((SIZE - 1))"
for o in $offs; do flip "$T/local.img" $o; done
want=$(extents_of $offs)

loop_attach L "$T/local.img"
loop_attach S "$T/shadow.img"
note "local $L, shadow $S, want $want"

for e in $ENGINES auto; do
	run_ss "$T/out" "$T/err" verify "$L" "$S" --block-size $BS --engine $e --json
	expect_rc 1 "loop/$e: $(cat "$T/err")"
	expect_json "$T/out" .pairs[0].extents "$want"
	expect_json "$T/out" .pairs[0].local.size_bytes $SIZE
	expect_json "$T/out" .pairs[0].local.direct_io true
	expect_json "$T/out" .pairs[0].shadow.direct_io true
	[ $e = auto ] && expect_json "$T/out" .pairs[0].engine '"io_uring"'
done

# The same answer from the backing files.
run_ss "$T/out" "$T/err" verify "$T/local.img" "$T/shadow.img" --block-size $BS --json
expect_rc 1; expect_json "$T/out" .pairs[0].extents "$want"

# A block device local against a larger file shadow.
head -c $M /dev/urandom >>"$T/shadow.img"
run_ss "$T/out" "$T/err" verify "$L" "$T/shadow.img" --block-size $BS --json
expect_rc 1
expect_json "$T/out" .pairs[0].extents "$want"
expect_json "$T/out" .pairs[0].shadow_extra_bytes $M

# Identical devices match.
cp "$T/shadow.img" "$T/same.img"
truncate -s $SIZE "$T/same.img"
loop_attach X "$T/same.img"
run_ss "$T/out" "$T/err" verify "$X" "$S" --json
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" .result '"match"'

# A loop device is read by verify, never written: its bytes are unchanged.
sum_before=$(xxhsum -H2 <"$T/local.img" | cut -d' ' -f1)
run_ss "$T/out" "$T/err" verify "$L" "$S"
expect_rc 1
[ "$(xxhsum -H2 <"$T/local.img" | cut -d' ' -f1)" = "$sum_before" ] || fail "verify changed local"
exit 0
