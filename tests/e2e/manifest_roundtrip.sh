# hash -> check round trips on files and loop devices, every engine; a
# flipped byte is found in the right block; digests are xxhsum -H2's of
# each block; manifests from verify/sync/warm --manifest-out equal hash's;
# a hash killed mid-way never leaves a partial manifest under the name.
. "$(dirname "$0")/../lib.sh"
need_cmd xxhsum

M=1048576
# Every engine, sizes with a short last block and smaller than a block.
for size in $((5 * M + 1234)) 1000 $((4 * M)); do
	mkrand "$T/dev" $size
	for e in $ENGINES; do
		run_ss "$T/out" "$T/err" hash "$T/dev" -o "$T/m" --block-size 64K --engine $e --json
		expect_rc 0 "hash $size/$e: $(cat "$T/err")"
		expect_json "$T/out" .manifest.blocks $(( (size + 65535) / 65536 ))
		expect_json "$T/out" .manifest.device_size_bytes $size
		# Every digest, as an independent tool computes it.
		if [ $size = $((5 * M + 1234)) ]; then
			"$SS" manifest show "$T/m" --json | jq -r '.hashes[]' >"$T/mine" ||
				fail "manifest show $e"
			for b in $(seq 0 $(( (size - 1) / 65536 ))); do
				dd if="$T/dev" bs=64K skip=$b count=1 status=none | xxhsum -H2 | cut -d' ' -f1
			done >"$T/theirs"
			cmp -s "$T/mine" "$T/theirs" || fail "hash/$e: digests differ from xxhsum -H2's"
		fi
		run_ss "$T/out" "$T/err" check "$T/dev" "$T/m" --engine $e --json
		expect_rc 0 "check $size/$e: $(cat "$T/err")"
		expect_json "$T/out" .result '"match"'
		expect_json "$T/out" .blocks_compared $(( (size + 65535) / 65536 ))
	done
	# A flipped byte: exactly its block, as an extent.
	off=$((size - 1))
	SIZE=$size BS=65536
	flip "$T/dev" $off
	run_ss "$T/out" "$T/err" check "$T/dev" "$T/m" --json
	expect_rc 1 "flipped"
	expect_json "$T/out" .extents "$(extents_of $off)"
	expect_json "$T/out" .differing_blocks 1
	run_ss "$T/out" "$T/err" check "$T/dev" "$T/m"
	expect_rc 1
	grep -q '^check: DIFFER, 1 of' "$T/out" || fail "text: $(cat "$T/out")"
done

# The digests are XXH3-128 of each block, big-endian hex, as xxhsum -H2.
mkrand "$T/dev" $((3 * M + 100))
run_ss "$T/out" "$T/err" hash "$T/dev" -o "$T/m" --block-size 1M
expect_rc 0
run_ss "$T/out" "$T/err" manifest show "$T/m" --json
expect_rc 0
for b in 0 1 2 3; do
	want=$(dd if="$T/dev" bs=$M skip=$b count=1 status=none | xxhsum -H2 | cut -d' ' -f1)
	expect_json "$T/out" ".hashes[$b]" "\"$want\""
done
run_ss "$T/out" "$T/err" manifest show "$T/m"
expect_rc 0
grep -q "^$(dd if="$T/dev" bs=$M skip=3 count=1 status=none | xxhsum -H2 | cut -d' ' -f1)  block 3 offset $((3 * M))$" "$T/out" ||
	fail "text digest line: $(tail -2 "$T/out")"

# A hard flip in the middle block of a loop device, every engine.
if [ "$(id -u)" = 0 ] && [ -e /dev/loop-control ]; then
	mkrand "$T/img" $((16 * M))
	loop_attach L "$T/img"
	run_ss "$T/out" "$T/err" hash "$L" -o "$T/lm"
	expect_rc 0 "$(cat "$T/err")"
	flip "$T/img" $((7 * M + 77))
	for e in $ENGINES; do
		run_ss "$T/out" "$T/err" check "$L" "$T/lm" --engine $e --json
		expect_rc 1 "loop/$e"
		expect_json "$T/out" .extents "[{\"offset_bytes\":$((7 * M)),\"length_bytes\":$M}]"
	done
fi

# verify/sync/warm --manifest-out give the manifest hash makes of the
# shadow (all but the creation time and the manifest's own path).
need_mkaero
fixtures "$T/fx"
same() {
	"$SS" manifest show "$1" --json | jq -c 'del(.manifest.created, .manifest.created_unix, .manifest.path)' >"$T/j1"
	"$SS" manifest show "$2" --json | jq -c 'del(.manifest.created, .manifest.created_unix, .manifest.path)' >"$T/j2"
	cmp -s "$T/j1" "$T/j2" || fail "$1 and $2 differ: $(diff "$T/j1" "$T/j2" | head -5)"
}
run_ss "$T/out" "$T/err" hash "$T/fx/ns1-a.shadow" -o "$T/h.man" --json
expect_rc 0
expect_json "$T/out" .manifest.block_size_bytes 8388608
expect_json "$T/out" .manifest.aerospike.namespace '"ns1"'
# The manifest's Aerospike summary is the header as inspect decodes it:
# every field, flags included (TRUSTED devices here, and one that is not).
for dev in "$T/fx/ns1-a.shadow" "$T/fx/ns1-b.dat"; do
	"$SS" hash "$dev" -o "$T/a.man" >/dev/null || fail "hash $dev"
	"$SS" inspect "$dev" --json | jq -cS .aerospike >"$T/i.json" || fail "inspect $dev"
	"$SS" manifest show "$T/a.man" --json | jq -cS .manifest.aerospike >"$T/m.json" || fail "show $dev"
	jq -e '.flags | length > 0' "$T/i.json" >/dev/null || fail "$dev: no flags to compare"
	cmp -s "$T/i.json" "$T/m.json" || fail "manifest's header of $dev: $(cat "$T/m.json") != inspect's $(cat "$T/i.json")"
done
"$MKAERO" "$T/nt.img" --size 16M --namespace plain --flags CP,COMMIT_TO_DEVICE || fail mkaero
"$SS" hash "$T/nt.img" -o "$T/a.man" >/dev/null || fail "hash nt"
"$SS" manifest show "$T/a.man" --json | jq -c .manifest.aerospike.flags >"$T/m.json" || fail "show nt"
[ "$(cat "$T/m.json")" = '["CP","COMMIT_TO_DEVICE"]' ] || fail "flags of a non-TRUSTED device: $(cat "$T/m.json")"
run_ss "$T/out" "$T/err" verify "$T/fx/ns1-a.dat" "$T/fx/ns1-a.shadow" --manifest-out "$T/v.man"
expect_rc 0 "$(cat "$T/err")"
same "$T/h.man" "$T/v.man"
cp "$T/fx/ns1-a.dat" "$T/l.dat"; flip "$T/l.dat" $((20 * M))
run_ss "$T/out" "$T/err" sync "$T/l.dat" "$T/fx/ns1-a.shadow" --manifest-out "$T/s.man"
expect_rc 0 "$(cat "$T/err")"
same "$T/h.man" "$T/s.man"
run_ss "$T/out" "$T/err" warm "$T/fx/ns1-a.shadow" --manifest-out "$T/w.man"
expect_rc 0 "$(cat "$T/err")"
same "$T/h.man" "$T/w.man"
# With 1 MiB blocks everywhere, the same again.
run_ss "$T/out" "$T/err" hash "$T/fx/ns1-b.shadow" -o "$T/h1.man" --block-size 1M
expect_rc 0 "$(cat "$T/err")"
run_ss "$T/out" "$T/err" verify "$T/fx/ns1-b.dat" "$T/fx/ns1-b.shadow" --manifest-out "$T/v1.man" --block-size 1M
expect_rc 0
same "$T/h1.man" "$T/v1.man"
# A larger shadow cannot be hashed whole by verify: refused, no file.
head -c $M /dev/urandom >"$T/p1"; head -c $((2 * M)) /dev/urandom >"$T/p2"
run_ss "$T/out" "$T/err" verify "$T/p1" "$T/p2" --manifest-out "$T/no.man"
expect_rc 2
grep -q "manifest-out: shadow '$T/p2' is larger than local" "$T/err" || fail "$(cat "$T/err")"
[ -e "$T/no.man" ] && fail "a manifest was left"
run_ss "$T/out" "$T/err" verify --config /dev/null --manifest-out "$T/no.man"
expect_rc 2

# No half manifest, ever: a failing device (EIO) leaves nothing; a hash
# killed mid-way leaves the previous manifest intact under the name.
if [ "$(id -u)" = 0 ] && [ -c /dev/fuse ] && command -v nbdfuse >/dev/null; then
	touch "$T/trigger"
	fuse_device "$T/mnt" --filter=error memory 16M error-pread-rate=100% error-file="$T/trigger"
	mkdir "$T/out.d"
	run_ss "$T/out" "$T/err" hash "$T/mnt/dev" -o "$T/out.d/m" --block-size 64K
	expect_rc 2
	grep -q "read error on device '$T/mnt/dev' at offset" "$T/err" || fail "$(cat "$T/err")"
	[ -z "$(ls -A "$T/out.d")" ] || fail "files left after a failed hash: $(ls -A "$T/out.d")"

	mkrand "$T/slow.img" $((64 * M))
	fuse_device "$T/smnt" --filter=delay file "$T/slow.img" delay-read=20ms
	"$SS" hash "$T/slow.img" -o "$T/keep.man" || fail "hash of the image"
	"$SS" hash "$T/smnt/dev" -o "$T/keep.man" --queue-depth 1 --io-size 64K &
	pid=$!
	sleep 1
	kill -KILL $pid
	wait $pid 2>/dev/null
	run_ss "$T/out" "$T/err" check "$T/slow.img" "$T/keep.man"
	expect_rc 0 "the old manifest must survive a killed hash: $(cat "$T/err")"
fi
exit 0
