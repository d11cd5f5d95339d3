# Header-aware verify and sync on the real 8.1 images: pristine_offset
# (local-only) is not a difference, any other header byte is, as a
# "header" extent; data extents are "data"; the block size defaults to
# the 8 MiB write-block; a damaged local record under a TRUSTED shadow
# is load-local with a warning first and exit 1; sync repairs it without
# touching pristine_offset and the verdict is then a clean load-local.
. "$(dirname "$0")/../lib.sh"
need_cmd xxhsum zstd
fixtures "$T/fx"
M=1048576
L=$T/fx/ns1-a.dat S=$T/fx/ns1-a.shadow

# The raw images differ (pristine_offset) yet the pair matches.
cmp -s "$L" "$S" && fail "fixture local and shadow should differ in pristine_offset"
[ "$(cmp -l "$L" "$S" | wc -l)" = 1 ] || fail "fixture should differ in one byte"
run_ss "$T/out" "$T/err" verify "$L" "$S" --json
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" .result '"match"'
expect_json "$T/out" .pairs[0].block_size_bytes 8388608
expect_json "$T/out" .pairs[0].extents '[]'
expect_json "$T/out" .pairs[0].cold_start.verdict '"load-local"'
expect_json "$T/out" .pairs[0].cold_start.data_matches true
expect_json "$T/out" .summary.cold_start_verdicts '{"load-local":1}'
expect_json "$T/out" .pairs[0].local.aerospike.pristine_offset_bytes 16777216

# Header bytes right beside pristine_offset count, as header extents.
for off in 69719 69728 44; do
	cp "$L" "$T/l2"
	flip "$T/l2" $off
	run_ss "$T/out" "$T/err" verify "$T/l2" "$S" --json
	expect_rc 1 "flip $off"
	expect_json "$T/out" .pairs[0].extents '[{"offset_bytes":0,"length_bytes":8388608,"region":"header"}]'
	expect_json "$T/out" .pairs[0].cold_start.verdict '"copy-from-shadow"'
done
# With 1 MiB blocks the header extent is the first MiB.
run_ss "$T/out" "$T/err" verify "$T/l2" "$S" --json --block-size 1M
expect_rc 1
expect_json "$T/out" .pairs[0].extents '[{"offset_bytes":0,"length_bytes":1048576,"region":"header"}]'

# A flipped byte in a record of local's first write-block: asd would load
# local as it is. Warning first, exit 1, data extent.
cp "$L" "$T/l3"
flip "$T/l3" $((8 * M + 100))
run_ss "$T/out" "$T/err" verify "$T/l3" "$S" --json
expect_rc 1
expect_json "$T/out" .pairs[0].extents '[{"offset_bytes":8388608,"length_bytes":8388608,"region":"data"}]'
expect_json "$T/out" .pairs[0].cold_start.verdict '"load-local"'
expect_json "$T/out" .pairs[0].cold_start.data_matches false
expect_json "$T/out" .pairs[0].cold_start.data_differing_bytes 8388608
run_ss "$T/out" "$T/err" verify "$T/l3" "$S"
expect_rc 1
head -1 "$T/out" | grep -q "^WARNING: asd will load '$T/l3' as it is and serve its 8.0 MiB of data that differ" ||
	fail "warning not first: $(head -3 "$T/out")"

# sync writes that one write-block, not the header (pristine_offset stays).
run_ss "$T/out" "$T/err" sync "$T/l3" "$S" --json
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" .pairs[0].extents_written '[{"offset_bytes":8388608,"length_bytes":8388608,"region":"data"}]'
expect_json "$T/out" .pairs[0].bytes_written 8388608
expect_json "$T/out" .pairs[0].cold_start.verdict '"load-local"'
expect_json "$T/out" .pairs[0].cold_start.data_matches true
run_ss "$T/out" "$T/err" inspect "$T/l3" --json
expect_rc 0
expect_json "$T/out" .aerospike.pristine_offset_bytes 16777216
cmp -s "$T/l3" "$L" || fail "sync did not restore the record"

# A damaged header: sync rewrites the header block from the shadow and
# keeps local's own pristine_offset (which asd writes to local only).
cp "$L" "$T/l4"; flip "$T/l4" 50
run_ss "$T/out" "$T/err" sync "$T/l4" "$S" --json
expect_rc 0
expect_json "$T/out" .pairs[0].extents_written '[{"offset_bytes":0,"length_bytes":8388608,"region":"header"}]'
cmp -s "$T/l4" "$L" || fail "header sync: local should now be the shadow's header with local's pristine_offset"
run_ss "$T/out" "$T/err" inspect "$T/l4" --json
expect_rc 0
expect_json "$T/out" .aerospike.pristine_offset_bytes 16777216
run_ss "$T/out" "$T/err" verify "$T/l4" "$S" --json
expect_rc 0
expect_json "$T/out" .pairs[0].cold_start.verdict '"load-local"'

# sync will not overwrite another namespace's device unless forced.
need_mkaero
"$MKAERO" "$T/other" --size 128M --namespace other --flags TRUSTED || fail mkaero
sum=$(xxhsum -H2 <"$T/other")
run_ss "$T/out" "$T/err" sync "$T/other" "$S"
expect_rc 2
grep -q "local '$T/other' holds namespace 'other' but shadow '$S' holds 'ns1'; refusing to overwrite it (--force if you are sure)" "$T/err" ||
	fail "$(cat "$T/err")"
[ "$(xxhsum -H2 <"$T/other")" = "$sum" ] || fail "the other namespace's device was written"
run_ss "$T/out" "$T/err" sync "$T/other" "$S" --force
expect_rc 0 "$(cat "$T/err")"
cmp -s "$T/other" "$S" || fail "--force did not sync"

# An older server always copies: the figures come from the shadow's sweep
# (one used write-block, then the 10 unused it stops after).
run_ss "$T/out" "$T/err" verify "$L" "$S" --json --server-version 6.0
expect_rc 0
expect_json "$T/out" .pairs[0].cold_start.verdict '"copy-from-shadow"'
expect_json "$T/out" .pairs[0].cold_start.used_wblocks 1
expect_json "$T/out" .pairs[0].cold_start.copy_wblocks 11
expect_json "$T/out" .pairs[0].cold_start.copy_bytes $((11 * 8 * M))
expect_json "$T/out" '.pairs[0].cold_start.copy_estimate_s > 0' true
run_ss "$T/out" "$T/err" verify "$L" "$S" --server-version 6.0
expect_rc 0
grep -q "why: server 6.0 always reads the shadow" "$T/out" || fail "$(cat "$T/out")"
grep -q "asd copies 11 write-blocks (88.0 MiB: 1 used" "$T/out" || fail "$(cat "$T/out")"
exit 0
