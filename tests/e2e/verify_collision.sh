# Blocks are equal only when their bytes are: two 1 MiB blocks with the
# same XXH3-128 (built by tests/tools/xxcollide; xxhsum agrees they
# collide) are reported as differing by verify and repaired by sync.
. "$(dirname "$0")/../lib.sh"
need_cmd xxhsum
COLLIDE=$TOP/build/tests/tools/xxcollide
[ -x "$COLLIDE" ] || fail "$COLLIDE not built (make unit)"
M=1048576

"$COLLIDE" "$T/a" "$T/b" $M || fail "xxcollide"
cmp -s "$T/a" "$T/b" && fail "the two blocks should differ"
[ "$(xxhsum -H2 <"$T/a")" = "$(xxhsum -H2 <"$T/b")" ] || fail "xxhsum says they do not collide"

mkrand "$T/shadow" $((16 * M))
cp "$T/shadow" "$T/local"
dd if="$T/a" of="$T/local" bs=1M seek=5 conv=notrunc status=none
dd if="$T/b" of="$T/shadow" bs=1M seek=5 conv=notrunc status=none
for e in $ENGINES; do
	run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --json --engine $e
	expect_rc 1 "$e: $(cat "$T/err")"
	expect_json "$T/out" .pairs[0].extents "[{\"offset_bytes\":$((5 * M)),\"length_bytes\":$M}]"
done
run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow" --json
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" .pairs[0].bytes_written $M
expect_json "$T/out" .pairs[0].verified true
cmp -s "$T/local" "$T/shadow" || fail "sync did not repair the colliding block"
exit 0
