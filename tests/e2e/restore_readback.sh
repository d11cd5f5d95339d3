# Every written block is read back and its digest checked against what
# arrived. A target that accepts writes and loses them (nbdkit's null
# plugin through nbdfuse: reads give zeros) is caught: exit 1, the extents
# that read back wrong (the zero block among them reads back right), the
# header region not written; --no-verify does not look and says so.
# From a remote source (nginx), where each 128 MiB window is read back
# in the background while the next is fetched, the losses of every
# window are found, the last one's too.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"
need_root "FUSE"
PY=/usr/bin/python3
M=1048576

# 16 MiB: the header region, then data but for a zero block at 12 MiB.
mkrand "$T/img" $((16 * M))
dd if=/dev/zero of="$T/img" bs=1M seek=12 count=1 conv=notrunc status=none
fuse_device "$T/null" null 16M

run_ss "$T/out" "$T/err" restore "$T/img" "$T/null/dev" --json
expect_rc 1 "lost writes: $(cat "$T/err")"
expect_json "$T/out" .result '"mismatch"'
expect_json "$T/out" .verified false
expect_json "$T/out" .verify_result '"mismatch"'
expect_json "$T/out" .header_region_written false
expect_json "$T/out" .mismatch_extents \
	"[{\"offset_bytes\":$((8 * M)),\"length_bytes\":$((4 * M))},{\"offset_bytes\":$((13 * M)),\"length_bytes\":$((3 * M))}]"
expect_json "$T/out" .mismatch_extents_total 2
expect_json "$T/out" .exit_reason "\"$((7 * M)) bytes of target '$T/null/dev' did not read back as written, in 2 extents (the first at offset $((8 * M)))\""
if [ -x $PY ] && $PY -c 'import jsonschema' 2>/dev/null; then
	$PY -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" restore "$T/out" ||
		fail "not the contract: $(head -c 400 "$T/out")"
fi

run_ss "$T/out" "$T/err" restore "$T/img" "$T/null/dev"
expect_rc 1
grep -q "^restore: MISMATCH, 2 extents of '$T/null/dev' did not read back as written$" "$T/out" ||
	fail "text: $(head -3 "$T/out")"
grep -q "^    bytes $((8 * M))-$((12 * M - 1))  (4.0 MiB at 8.0 MiB)$" "$T/out" || fail "text extents: $(cat "$T/out")"
tail -1 "$T/out" | qgrep "^exit status 1: $((7 * M)) bytes of target '$T/null/dev' did not read back as written" ||
	fail "text: no reason: $(tail -1 "$T/out")"

run_ss "$T/out" "$T/err" restore "$T/img" "$T/null/dev" --no-verify --json
expect_rc 0 "--no-verify: $(cat "$T/err")"
expect_json "$T/out" .verify_result '"skipped"'
expect_json "$T/out" .verified false

# 300 MiB over http: windows [8M, 136M), [136M, 264M), [264M, 300M) (128
# MiB: 4 connections x 8 MiB parts x 4 rounds), read back as the next is
# fetched; zero blocks at 12 MiB and 200 MiB.
mkdir -p "$T/www"
mkrand "$T/www/big" $((300 * M))
for z in 12 200; do
	dd if=/dev/zero of="$T/www/big" bs=1M seek=$z count=1 conv=notrunc status=none
done
fuse_device "$T/null2" null 300M
start_nginx HTTP "$T/www"
run_ss "$T/out" "$T/err" restore "http://127.0.0.1:$HTTP/big" "$T/null2/dev" \
	--connections 4 --part-size 8M --json
expect_rc 1 "lost writes, http: $(cat "$T/err")"
expect_json "$T/out" .verify_result '"mismatch"'
expect_json "$T/out" .header_region_written false
expect_json "$T/out" .bytes_verified $((292 * M))
expect_json "$T/out" .mismatch_extents \
	"[{\"offset_bytes\":$((8 * M)),\"length_bytes\":$((4 * M))},{\"offset_bytes\":$((13 * M)),\"length_bytes\":$((187 * M))},{\"offset_bytes\":$((201 * M)),\"length_bytes\":$((99 * M))}]"
expect_json "$T/out" .mismatch_extents_total 3
exit 0
