# restore onto regular files and a loop device, from a file and from a
# loop device, every engine: the target ends equal to the image (cmp), the
# image is never changed, bytes beyond a shorter image are zeroed (asd
# would sweep stale write-blocks there; restore_review), the
# report counts what it did; --no-verify says so; --manifest-out equals
# what `hash TARGET` writes; a progress line on a terminal only.
. "$(dirname "$0")/../lib.sh"
need_root "loop devices"
need_cmd losetup xxhsum script
M=1048576
sum() { xxhsum -H2 <"$1" | cut -d' ' -f1; }

# The image: 40 MiB + 1234 bytes (a short last block), data with zeros in it.
mkrand "$T/img" $((40 * M + 1234))
dd if=/dev/zero of="$T/img" bs=$M seek=20 count=3 conv=notrunc status=none
img_sum=$(sum "$T/img")

for e in $ENGINES; do
	mkrand "$T/tgt" $((48 * M))	# larger than the image, old data
	run_ss "$T/out" "$T/err" restore "$T/img" "$T/tgt" --engine $e --json
	expect_rc 0 "file/$e: $(cat "$T/err")"
	expect_json "$T/out" .result '"restored"'
	expect_json "$T/out" .engine "\"$e\""
	expect_json "$T/out" .source.kind '"file"'
	expect_json "$T/out" .source.size_bytes $((40 * M + 1234))
	expect_json "$T/out" .bytes_read $((40 * M + 1234))
	expect_json "$T/out" .bytes_written $((37 * M + 1234))
	expect_json "$T/out" .bytes_zeroed $((3 * M + 8 * M - 1234))
	expect_json "$T/out" .bytes_zeroed_past_image $((8 * M - 1234))
	expect_json "$T/out" .bytes_verified $((48 * M))
	expect_json "$T/out" .verified true
	expect_json "$T/out" .header_region_written true
	cmp -s -n $((40 * M + 1234)) "$T/img" "$T/tgt" || fail "file/$e: target differs from the image"
	cmp -s -i $((40 * M + 1234)):0 -n $((8 * M - 1234)) "$T/tgt" /dev/zero ||
		fail "file/$e: bytes past the image were not zeroed"
	[ "$(sum "$T/img")" = "$img_sum" ] || fail "file/$e: the image changed"
	note "file/$e: $(jq -c '{bytes_written, bytes_zeroed, elapsed_s}' "$T/out")"
done

# A loop device as target, and as source.
mkrand "$T/disk" $((48 * M))
loop_attach TGT "$T/disk"
run_ss "$T/out" "$T/err" restore "$T/img" "$TGT" --json
expect_rc 0 "loop target: $(cat "$T/err")"
cmp -s -n $((40 * M + 1234)) "$T/img" "$TGT" || fail "loop target differs"
cp "$T/img" "$T/img2"
truncate -s $((40 * M + 4096)) "$T/img2"	# a loop device: whole sectors
loop_attach SRC "$T/img2"
mkrand "$T/tgt" $((48 * M))
run_ss "$T/out" "$T/err" restore "$SRC" "$T/tgt" --json
expect_rc 0 "loop source: $(cat "$T/err")"
expect_json "$T/out" .source.kind '"block-device"'
cmp -s -n $((40 * M + 4096)) "$T/img2" "$T/tgt" || fail "loop source: target differs"

# Text, --no-verify: the report says it did not read back.
mkrand "$T/tgt" $((48 * M))
run_ss "$T/out" "$T/err" restore "$T/img" "$T/tgt" --no-verify
expect_rc 0 "no-verify: $(cat "$T/err")"
grep -q "^restore: RESTORED '$T/img' onto '$T/tgt': .* NOT read back (--no-verify)$" "$T/out" ||
	fail "no-verify text: $(head -2 "$T/out")"
run_ss "$T/out" "$T/err" restore "$T/img" "$T/tgt" --no-verify --json
expect_rc 0 "no-verify json: $(cat "$T/err")"
expect_json "$T/out" .verified false
expect_json "$T/out" .verify_result '"skipped"'
expect_json "$T/out" .bytes_verified 0

# --manifest-out: TARGET's manifest, equal to hash's with the block size.
mkrand "$T/img3" $((24 * M))
mkrand "$T/tgt3" $((24 * M))
run_ss "$T/out" "$T/err" restore "$T/img3" "$T/tgt3" --manifest-out "$T/tgt3.man" --block-size 64K --json
expect_rc 0 "manifest-out: $(cat "$T/err")"
expect_json "$T/out" .manifest_out.blocks 384
"$SS" hash "$T/tgt3" -o "$T/hash.man" --block-size 64K >/dev/null || fail "hash"
cmp -s <(dd if="$T/tgt3.man" bs=512 skip=1 status=none | head -c $((384 * 16))) \
	<(dd if="$T/hash.man" bs=512 skip=1 status=none | head -c $((384 * 16))) ||
	fail "--manifest-out digests differ from hash's"
"$SS" check "$T/tgt3" "$T/tgt3.man" >/dev/null || fail "check against --manifest-out"
run_ss "$T/out" "$T/err" restore "$T/img3" "$T/tgt" --manifest-out "$T/x.man"
expect_rc 2
grep -q "manifest-out: target '$T/tgt' is larger than the image" "$T/err" || fail "$(cat "$T/err")"
[ -e "$T/x.man" ] && fail "a manifest was written for a larger target"

# The progress line, on a terminal only.
mkrand "$T/big" $((128 * M))
truncate -s $((128 * M)) "$T/bigt"
script -qec "'$SS' restore '$T/big' '$T/bigt' --queue-depth 1 --io-size 4K --engine psync" /dev/null >"$T/tty" 2>&1
tr '\r' '\n' <"$T/tty" | qgrep -aE "^restore: +[0-9]+%  [0-9.]+ [KMG]?i?B of 128.0 MiB  [0-9.]+ [KMG]?i?B/s  ETA [0-9]+:[0-9][0-9]" ||
	fail "no progress line: $(tr '\r' '\n' <"$T/tty" | head -5)"
"$SS" restore "$T/big" "$T/bigt" >"$T/out" 2>"$T/err"
grep -q "ETA" "$T/err" && fail "progress on a pipe"
exit 0
