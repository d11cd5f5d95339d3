# sync writes only the differing blocks: a sparse local whose holes match
# the shadow's zeros gains exactly the differing blocks' allocation.
. "$(dirname "$0")/../lib.sh"

M=1048576
alloc() { echo $(( $(stat -c '%b * %B' "$1") )); }

for e in $ENGINES; do
	# Shadow: 64 MiB, zeros except three 1 MiB blocks of data.
	head -c $((64 * M)) /dev/zero >"$T/shadow"
	for b in 3 10 40; do
		head -c $M /dev/urandom | dd of="$T/shadow" bs=$M seek=$b conv=notrunc status=none
	done
	# Local: sparse, holding only block 3's data (blocks 10 and 40 differ).
	rm -f "$T/local"
	truncate -s $((64 * M)) "$T/local"
	dd if="$T/shadow" of="$T/local" bs=$M skip=3 seek=3 count=1 conv=notrunc status=none
	sync
	before=$(alloc "$T/local")

	run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow" --engine $e --json
	expect_rc 0 "$e: $(cat "$T/err")"
	expect_json "$T/out" .pairs[0].extents_written \
		"[{\"offset_bytes\":$((10 * M)),\"length_bytes\":$M},{\"offset_bytes\":$((40 * M)),\"length_bytes\":$M}]"
	expect_json "$T/out" .pairs[0].bytes_written $((2 * M))
	cmp -s "$T/local" "$T/shadow" || fail "$e: not identical"
	sync
	after=$(alloc "$T/local")
	[ $((after - before)) = $((2 * M)) ] ||
		fail "$e: allocation grew by $((after - before)) bytes, expected $((2 * M))"
	note "$e: allocated $before -> $after bytes"
done
exit 0
