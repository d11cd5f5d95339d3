# sync proves what it wrote: the read-back goes to the device, not to the
# page cache. A buffered-only local (no O_DIRECT) that throws its writes
# away (tests/tools/slowdev with SLOWDEV_NODIRECT and SLOWDEV_LOSE_WRITES)
# must fail the read-back, exit 2, never "synced".
. "$(dirname "$0")/../lib.sh"
need_root "FUSE mounts"
M=1048576
mkrand "$T/shadow" $((8 * M))
mkrand "$T/back" $((8 * M))
SLOWDEV_NODIRECT=1 SLOWDEV_LOSE_WRITES=1 slow_device "$T/lossy" "$T/back" 0
for e in io_uring libaio psync; do
	run_ss "$T/out" "$T/err" sync "$T/lossy/dev" "$T/shadow" --engine $e --json
	expect_rc 2 "lossy/$e: $(cat "$T/err")"
	expect_json "$T/out" .pairs[0].local.direct_io false
	expect_json "$T/out" .pairs[0].verified false
	grep -q "^shadowsync: read-back of local '$T/lossy/dev' at offset [0-9]* does not match what was written$" "$T/err" ||
		fail "lossy/$e: $(cat "$T/err")"
done
# The same buffered device that keeps its writes syncs fine.
SLOWDEV_NODIRECT=1 slow_device "$T/kept" "$T/back" 0
run_ss "$T/out" "$T/err" sync "$T/kept/dev" "$T/shadow" --json
expect_rc 0 "kept: $(cat "$T/err")"
expect_json "$T/out" .pairs[0].local.direct_io false
cmp -s "$T/back" "$T/shadow" || fail "kept: not synced"
exit 0
