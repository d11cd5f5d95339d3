# A large or odd --block-size never hides damage on an Aerospike device:
# no comparison block straddles the 8 MiB header region's end or a
# write-block boundary, so a damaged record is a "data" extent, the
# verdict warns, and a header difference stays a "header" extent.
. "$(dirname "$0")/../lib.sh"
need_cmd zstd
fixtures "$T/fx"
M=1048576
L=$T/fx/ns1-a.dat S=$T/fx/ns1-a.shadow

cp "$L" "$T/rec"
flip "$T/rec" $((8 * M + 100))
for bs in 16M 64M 24M; do
	run_ss "$T/out" "$T/err" verify "$T/rec" "$S" --json --block-size $bs
	expect_rc 1 "$bs: $(cat "$T/err")"
	expect_json "$T/out" '.pairs[0].extents[0].region' '"data"'
	expect_json "$T/out" '[.pairs[0].extents[] | select(.region == "header")] | length' 0
	expect_json "$T/out" .pairs[0].cold_start.verdict '"load-local"'
	expect_json "$T/out" .pairs[0].cold_start.data_matches false
	expect_json "$T/out" .pairs[0].block_size_bytes 8388608
	run_ss "$T/out" "$T/err" verify "$T/rec" "$S" --block-size $bs
	expect_rc 1 "$bs text"
	head -1 "$T/out" | grep -q "^WARNING: asd will load" || fail "$bs: no warning first: $(head -2 "$T/out")"
	grep -q "compared in 8.0 MiB blocks, not the" "$T/out" || fail "$bs: no note on the block size"
done
# 3M does not divide the 8 MiB write-block: 1 MiB blocks, exact extent.
run_ss "$T/out" "$T/err" verify "$T/rec" "$S" --json --block-size 3M
expect_rc 1
expect_json "$T/out" .pairs[0].block_size_bytes $M
expect_json "$T/out" .pairs[0].block_size_requested_bytes $((3 * M))
expect_json "$T/out" .pairs[0].extents "[{\"offset_bytes\":$((8 * M)),\"length_bytes\":$M,\"region\":\"data\"}]"

# A header difference with 16M blocks: a header extent, copy-from-shadow.
cp "$L" "$T/hdr"
flip "$T/hdr" 44
run_ss "$T/out" "$T/err" verify "$T/hdr" "$S" --json --block-size 16M
expect_rc 1
expect_json "$T/out" .pairs[0].extents "[{\"offset_bytes\":0,\"length_bytes\":$((8 * M)),\"region\":\"header\"}]"
expect_json "$T/out" .pairs[0].cold_start.verdict '"copy-from-shadow"'

# sync with 16M blocks writes the record's write-block, and only it.
run_ss "$T/out" "$T/err" sync "$T/rec" "$S" --json --block-size 16M
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" .pairs[0].extents_written "[{\"offset_bytes\":$((8 * M)),\"length_bytes\":$((8 * M)),\"region\":\"data\"}]"
cmp -s "$T/rec" "$L" || fail "sync did not repair the record"
exit 0
