# verify finds differences planted at the first byte, the last byte, on
# both sides of block boundaries and in a short last block, and reports
# identical pairs as identical; every engine gives the same answer.
. "$(dirname "$0")/../lib.sh"

# check NAME SIZE BS OFFSET...: plant flips at OFFSETs in a copy, verify.
check() {
	local name=$1 e want result
	SIZE=$2 BS=$3
	shift 3
	mkrand "$T/shadow" "$SIZE"
	cp "$T/shadow" "$T/local"
	for off in "$@"; do flip "$T/local" "$off"; done
	want=$(extents_of "$@")
	[ $# -eq 0 ] && want='[]'
	result=differ
	[ $# -eq 0 ] && result=match
	for e in $ENGINES auto; do
		run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" \
			--block-size "$BS" --engine "$e" --json
		[ $# -eq 0 ] && expect_rc 0 "$name/$e" || expect_rc 1 "$name/$e"
		[ -s "$T/err" ] && fail "$name/$e: stderr not empty: $(cat "$T/err")"
		expect_json "$T/out" .result "\"$result\""
		expect_json "$T/out" .pairs[0].extents "$want"
		expect_json "$T/out" .pairs[0].bytes_compared "$SIZE"
		expect_json "$T/out" .pairs[0].shadow_extra_bytes 0
		expect_json "$T/out" .pairs[0].block_size_bytes "$BS"
		expect_json "$T/out" .pairs[0].differing_bytes \
			"$(echo "$want" | jq '[.[].length_bytes] | add // 0')"
		[ "$e" = auto ] || expect_json "$T/out" .pairs[0].engine "\"$e\""
	done
	note "$name: $want"
}

M=1048576
check identical            $((4 * M))        65536
check first-byte           $((4 * M))        65536 0
check last-byte            $((4 * M))        65536 $((4 * M - 1))
check boundary-both-sides  $((4 * M))        65536 65535 65536
check boundary-scattered   $((4 * M))        65536 131071 196608 $((3 * M))
check short-last-block     $((4 * M + 1000)) 65536 $((4 * M + 999))
check short-last-and-first $((4 * M + 777))  65536 0 $((4 * M))
check tiny-device          1000              65536 500
check odd-block-size       $((3 * M + 5))    1536  1535 1536 $((3 * M + 4))
check default-1m-blocks    $((3 * M + 5))    $M    $((M - 1)) $((2 * M))
check everything-differs   $((2 * M))        $M    0 $M

# The block-size default is 1 MiB and sizes take suffixes.
SIZE=$((3 * M)) BS=$M
mkrand "$T/shadow" "$SIZE"; cp "$T/shadow" "$T/local"; flip "$T/local" $((2 * M + 7))
run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --json
expect_rc 1; expect_json "$T/out" .pairs[0].block_size_bytes $M
expect_json "$T/out" .pairs[0].extents "$(extents_of $((2 * M + 7)))"
for bs in 1MiB 1M 1024K 1024KiB; do
	run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --json --block-size $bs
	expect_rc 1 "$bs"; expect_json "$T/out" .pairs[0].block_size_bytes $M
done

# The text report gives the same facts for a person.
run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --block-size 4K
expect_rc 1
grep -q '^verify: DIFFER' "$T/out" || fail "text: no DIFFER line"
grep -q "bytes $((2 * M))-$((2 * M + 4095))" "$T/out" || fail "text: range missing: $(cat "$T/out")"
grep -q '1 differing block, 4.0 KiB, in 1 extent' "$T/out" || fail "text: counts missing"
cp "$T/shadow" "$T/local"
run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow"
expect_rc 0
grep -q '^verify: MATCH' "$T/out" || fail "text: no MATCH line"

# A larger shadow: compared over local's size, the extra reported.
mkrand "$T/shadow" $((2 * M + 12345))
head -c $((2 * M)) "$T/shadow" >"$T/local"
run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --json
expect_rc 0
expect_json "$T/out" .pairs[0].shadow_extra_bytes 12345
expect_json "$T/out" .pairs[0].bytes_compared $((2 * M))
run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow"
expect_rc 0
grep -q 'shadow is 12.1 KiB larger than local' "$T/out" || fail "text: extra bytes not mentioned"
exit 0
