# shadowsync bench on a small file, a fraction of a second per
# combination: the JSON has every cell asked for (psync only at queue
# depth 1), numbers that are positive where a cell ran, a best
# combination and a self-checked hash speed; the target is not written
# (its digest and mtime unchanged); --write creates its own file, writes
# it and removes it, and never touches a file that exists; bad lists are
# one error line.
. "$(dirname "$0")/../lib.sh"
need_cmd jq xxhsum

M=1048576
mkrand "$T/img" $((16 * M))
before=$(xxhsum -H2 <"$T/img")
mtime=$(stat -c %Y "$T/img")
run_ss "$T/out" "$T/err" bench "$T/img" --seconds 0.05 --queue-depths 1,4 --io-sizes 64K,1M --json
expect_rc 0 "$(cat "$T/err")"
grep -q "^bench: .* combinations x 0.05 s" "$T/err" || fail "no announcement: $(cat "$T/err")"
python3 -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" bench "$T/out" || fail "schema"
[ "$(xxhsum -H2 <"$T/img")" = "$before" ] || fail "bench changed its target"
[ "$(stat -c %Y "$T/img")" = "$mtime" ] || fail "bench wrote its target (mtime)"
expect_json "$T/out" '.cells | length' 12
expect_json "$T/out" '[.cells[] | select(.direction != "read")] | length' 0
expect_json "$T/out" '[.cells[] | select(.engine == "psync" and .queue_depth == 4 and .skipped != null)] | length' 2
jq -e '[.cells[] | select(.engine == "psync" and .queue_depth == 4)][0].skipped | test("one request")' "$T/out" >/dev/null ||
	fail "psync at depth 4 not skipped"
# Every cell that ran: bytes, IOPS and latencies positive, p99 >= p50,
# bytes a whole number of requests.
jq -e '[.cells[] | select(.skipped == null)] | length > 0 and all(.[];
	.bytes > 0 and .ios > 0 and .bytes == .ios * .io_size_bytes and .elapsed_s > 0
	and .throughput_bytes_per_s > 0 and .iops > 0 and .latency_p50_us > 0
	and .latency_p99_us >= .latency_p50_us and .cpu_s_per_gib >= 0)' "$T/out" >/dev/null ||
	fail "cells: $(jq -c '.cells' "$T/out")"
jq -e '.best_read.throughput_bytes_per_s == ([.cells[] | select(.skipped == null) | .throughput_bytes_per_s] | max)' \
	"$T/out" >/dev/null || fail "best_read is not the fastest cell"
expect_json "$T/out" .best_write null
expect_json "$T/out" .hash.self_check true
jq -e '.hash.throughput_bytes_per_s > 0' "$T/out" >/dev/null || fail "hash speed"
expect_json "$T/out" .target.size_bytes $((16 * M))

# Text: the table, the best line, the hash line.
run_ss "$T/out" "$T/err" bench "$T/img" --seconds 0.05 --engines psync --io-sizes 1M --queue-depths 1
expect_rc 0 "$(cat "$T/err")"
grep -q "^read  psync *1 *1M " "$T/out" || fail "table: $(cat "$T/out")"
grep -q "^best read: psync, queue depth 1, 1M requests:" "$T/out" || fail "best: $(cat "$T/out")"
grep -q "^XXH3-128 on this CPU: .*self-check passed" "$T/out" || fail "hash line"

# --write: its own file, created, written, removed; an existing one refused.
run_ss "$T/out" "$T/err" bench "$T/new" --write --size 8M --seconds 0.05 --queue-depths 2 --io-sizes 1M --json
expect_rc 0 "$(cat "$T/err")"
[ -e "$T/new" ] && fail "--write left its file"
expect_json "$T/out" .created true
jq -e '[.cells[] | select(.direction == "write" and .skipped == null)] | length > 0
	and all(.[]; .bytes > 0)' "$T/out" >/dev/null || fail "no write cells ran"
jq -e '.best_write.direction == "write"' "$T/out" >/dev/null || fail "best_write"
run_ss "$T/out" "$T/err" bench "$T/img" --write --seconds 0.05
expect_rc 2
grep -q "exists" "$T/err" || fail "--write over a file: $(cat "$T/err")"
[ "$(xxhsum -H2 <"$T/img")" = "$before" ] || fail "--write changed an existing file"

# Bad input: one line each.
for bad in "--engines io_uring,spdk" "--queue-depths 0" "--io-sizes 5K" "--seconds 0" \
	"--seconds x" "--queue-depths ,"; do
	# shellcheck disable=SC2086
	run_ss "$T/out" "$T/err" bench "$T/img" $bad
	expect_rc 2 "$bad"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$bad: not one line: $(cat "$T/err")"
done
run_ss "$T/out" "$T/err" bench "$T"
expect_rc 2
exit 0
