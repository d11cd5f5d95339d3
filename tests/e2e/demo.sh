# The front door's example: scripts/demo.sh builds two images with planted
# differences and verify reports exactly them.
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || fail "no top"
sh scripts/demo.sh >"$T/demo.out" 2>&1 || fail "demo failed: $(tail -5 "$T/demo.out")"
grep -q 'verify: DIFFER' "$T/demo.out" || fail "demo printed no DIFFER"
if command -v zstd >/dev/null; then
	grep -q "^WARNING: asd will load 'demo/ns1-a.dat' as it is" "$T/demo.out" || fail "demo: no cold-start warning"
	grep -q '^sync: SYNCED' "$T/demo.out" || fail "demo: no sync"
	cmp -s demo/ns1-a.dat demo/ns1-a.shadow && fail "demo: sync should leave pristine_offset alone"
fi
run_ss "$T/out" "$T/err" verify demo/local.img demo/shadow.img --json --block-size 4K
expect_rc 1
expect_json "$T/out" '[.pairs[0].extents[] | [.offset_bytes, .length_bytes]]' \
	'[[0,4096],[10485760,8192],[20971520,3145728],[67104768,4096]]'
exit 0
