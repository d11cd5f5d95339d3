# sync of a loop device from a loop-device shadow, every engine: only the
# differing blocks are written, the result is identical, the shadow's
# backing file is byte-identical before and after.
. "$(dirname "$0")/../lib.sh"
need_root "loop devices"
need_cmd losetup xxhsum

M=1048576
SIZE=$((32 * M)) BS=$((128 * 1024))
offs="0 $((BS - 1)) $((BS)) $((7 * M + 3)) $((SIZE - 1))"
for e in $ENGINES; do
	mkrand "$T/shadow.img" $SIZE
	cp "$T/shadow.img" "$T/local.img"
	for o in $offs; do flip "$T/local.img" $o; done
	want=$(extents_of $offs)
	shadow_sum=$(xxhsum -H2 <"$T/shadow.img")
	loop_attach L "$T/local.img"
	loop_attach S "$T/shadow.img"

	run_ss "$T/out" "$T/err" sync "$L" "$S" --block-size $BS --engine $e --json
	expect_rc 0 "$e: $(cat "$T/err")"
	expect_json "$T/out" .pairs[0].extents_written "$want"
	expect_json "$T/out" .pairs[0].verified true
	run_ss "$T/out" "$T/err" verify "$L" "$S" --block-size 4K
	expect_rc 0 "$e: verify after sync"
	losetup -d "$L"; losetup -d "$S"
	cmp -s "$T/local.img" "$T/shadow.img" || fail "$e: backing files differ"
	[ "$(xxhsum -H2 <"$T/shadow.img")" = "$shadow_sum" ] || fail "$e: shadow changed"
	note "$e: $want"
done
exit 0
