# restore from a stream on stdin: `zstd -dc IMG.zst | shadowsync restore -
# TARGET` ends with TARGET equal to the image, whatever the engine; a
# stream shorter than TARGET is refused without --manifest (a cut stream,
# a zstd failing in a pipe, looks the same) and TARGET keeps the mark; with
# the image's manifest it is restored and the rest zeroed; one that
# runs past
# TARGET's end is exit 2 naming the offset, and TARGET is left marked as
# an unfinished restore (asd loads nothing from it); an empty stream, a
# terminal, and stdin redirected from TARGET itself are refused; with
# --manifest a stream that is too short or too long is an error.
. "$(dirname "$0")/../lib.sh"
need_cmd zstd xxhsum script
M=1048576
sum() { xxhsum -H2 <"$1" | cut -d' ' -f1; }

mkrand "$T/img" $((30 * M + 777))
dd if=/dev/zero of="$T/img" bs=$M seek=12 count=4 conv=notrunc status=none
zstd -q "$T/img" -o "$T/img.zst" || fail zstd
"$SS" hash "$T/img" -o "$T/img.man" >/dev/null || fail hash

for e in $ENGINES; do
	mkrand "$T/tgt" $((30 * M + 777))
	zstd -dc "$T/img.zst" | "$SS" restore - "$T/tgt" --engine $e --json >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 0 "$e: $(cat "$T/err")"
	expect_json "$T/out" .source.kind '"stdin"'
	expect_json "$T/out" .source.name '"stdin"'
	expect_json "$T/out" .source.size_bytes $((30 * M + 777))
	expect_json "$T/out" .bytes_read $((30 * M + 777))
	expect_json "$T/out" .bytes_zeroed $((4 * M))
	expect_json "$T/out" .verified true
	cmp -s "$T/img" "$T/tgt" || fail "$e: target differs from the image"
done

# Shorter than TARGET, no manifest: refused at its end, header region not
# written, the mark stays (a cut .zst gave RESTORED, TRUSTED: review).
mkrand "$T/tgt" $((40 * M))
zstd -dc "$T/img.zst" | "$SS" restore - "$T/tgt" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2 "shorter, no manifest"
grep -q "^shadowsync: stdin ended at offset $((30 * M + 777)), before the end of target '$T/tgt' ($((40 * M)) bytes): .*give --manifest" "$T/err" ||
	fail "shorter: $(cat "$T/err")"
head -c 30 "$T/tgt" | qgrep "SHADOWSYNC RESTORE IN PROGRESS" || fail "shorter: no mark on the target"
# With the image's manifest: restored, the rest zeroed (asd would sweep it).
"$SS" hash "$T/img" -o "$T/img.man" >/dev/null 2>"$T/err" || fail "hash: $(cat "$T/err")"
zstd -dc "$T/img.zst" | "$SS" restore - "$T/tgt" --manifest "$T/img.man" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "shorter: $(cat "$T/err")"
cmp -s -n $((30 * M + 777)) "$T/img" "$T/tgt" || fail "shorter: target differs"
cmp -s -i $((30 * M + 777)):0 -n $((10 * M - 777)) "$T/tgt" /dev/zero ||
	fail "shorter: bytes past the stream were not zeroed"

# Past TARGET's end: exit 2 naming the offset; the header region is not
# written, TARGET keeps the mark (verify against the image: not load-local).
truncate -s $((20 * M)) "$T/small"
zstd -dc "$T/img.zst" | "$SS" restore - "$T/small" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2 "past the end"
grep -qx "shadowsync: stdin runs past the end of target '$T/small' at offset $((20 * M))" "$T/err" ||
	fail "past the end: $(cat "$T/err")"
head -c 30 "$T/small" | qgrep "SHADOWSYNC RESTORE IN PROGRESS" || fail "past the end: no mark on the target"
cmp -s -n $((8 * M)) "$T/img" "$T/small" && fail "past the end: the header region was written"
note "past the end: $(cat "$T/err")"

# Nothing at all, a terminal, TARGET itself.
mkrand "$T/tgt" $((8 * M))
before=$(sum "$T/tgt")
"$SS" restore - "$T/tgt" </dev/null >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2 "empty"
grep -qx "shadowsync: stdin is empty: nothing to restore" "$T/err" || fail "empty: $(cat "$T/err")"
[ "$(sum "$T/tgt")" = "$before" ] || fail "empty: target written"
script -qec "'$SS' restore - '$T/tgt'" /dev/null >"$T/tty" 2>&1
grep -q "stdin is a terminal" "$T/tty" || fail "terminal: $(cat "$T/tty")"
"$SS" restore - "$T/tgt" <"$T/tgt" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2 "stdin is the target"
grep -qx "shadowsync: target '$T/tgt' and 'stdin' are the same file; a device cannot be restored from itself" "$T/err" ||
	fail "stdin is the target: $(cat "$T/err")"
[ "$(sum "$T/tgt")" = "$before" ] || fail "stdin is the target: target written"

# With --manifest: too short, too long, right.
mkrand "$T/tgt" $((40 * M))
head -c $((30 * M)) "$T/img" | "$SS" restore - "$T/tgt" --manifest "$T/img.man" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2 "short of the manifest"
grep -qx "shadowsync: stdin ended at offset $((30 * M)), before the image's $((30 * M + 777)) bytes (manifest '$T/img.man')" "$T/err" ||
	fail "short of the manifest: $(cat "$T/err")"
(cat "$T/img"; echo more) | "$SS" restore - "$T/tgt" --manifest "$T/img.man" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2 "past the manifest"
grep -qx "shadowsync: stdin runs past the end of the image of manifest '$T/img.man' at offset $((30 * M + 777))" "$T/err" ||
	fail "past the manifest: $(cat "$T/err")"
zstd -dc "$T/img.zst" | "$SS" restore - "$T/tgt" --manifest "$T/img.man" --json >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "with the manifest: $(cat "$T/err")"
cmp -s -n $((30 * M + 777)) "$T/img" "$T/tgt" || fail "with the manifest: target differs"
exit 0
