# --manifest checks every block as it arrives: a block that arrives wrong
# once is fetched again and the restore completes (a source through nbdkit
# that serves one bad read, then good ones); a block whose digest is wrong
# every time is fetched again once (two reads of it, seen with strace),
# then exit 2 naming its offset, and TARGET is not left loadable (the
# header region is not written); a manifest of another size, or another
# block size, is refused before anything is written.
. "$(dirname "$0")/../lib.sh"
need_root "FUSE"
need_cmd strace xxhsum
M=1048576
sum() { xxhsum -H2 <"$1" | cut -d' ' -f1; }

mkrand "$T/img" $((32 * M))
"$SS" hash "$T/img" -o "$T/img.man" --block-size 1M >/dev/null || fail hash

# A manifest that disagrees with the image on block 21 (a flipped digest).
cp "$T/img" "$T/other"
flip "$T/other" $((21 * M + 100))
"$SS" hash "$T/other" -o "$T/wrong.man" --block-size 1M >/dev/null || fail hash
mkrand "$T/tgt" $((32 * M))
traced -f -e trace=pread64 -o "$T/strace" "$SS" restore "$T/img" "$T/tgt" \
	--manifest "$T/wrong.man" --engine psync --json >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2 "wrong digest"
grep -qx "shadowsync: block at offset $((21 * M)) of '$T/img' does not match manifest '$T/wrong.man', fetched twice" "$T/err" ||
	fail "wrong digest: $(cat "$T/err")"
reads=$(grep -c "pread64([0-9]*, .*, $M, $((21 * M))) = $M" "$T/strace")
[ "$reads" = 2 ] || fail "block 21 was read $reads times, not twice (once, then again)"
expect_json "$T/out" .result '"error"'
expect_json "$T/out" .blocks_refetched 1
expect_json "$T/out" .header_region_written false
cmp -s -n $((8 * M)) "$T/img" "$T/tgt" && fail "wrong digest: the header region was written"
head -c 30 "$T/tgt" | qgrep "SHADOWSYNC RESTORE IN PROGRESS" || fail "wrong digest: the target is not marked"
note "wrong digest: $(cat "$T/err")"

# A source that gives block 9 wrong once, right after: fetched again, done.
cp "$T/img" "$T/bad"
flip "$T/bad" $((9 * M + 4321))
fuse_device "$T/flaky" eval \
	get_size="stat -Lc %s '$T/img'" \
	pread="f='$T/img'; if [ \$4 -le $((9 * M + 4321)) ] && [ \$((\$4 + \$3)) -gt $((9 * M + 4321)) ] && [ ! -e '$T/served' ]; then touch '$T/served'; f='$T/bad'; fi; dd if=\"\$f\" skip=\$4 count=\$3 iflag=count_bytes,skip_bytes status=none"
mkrand "$T/tgt" $((32 * M))
run_ss "$T/out" "$T/err" restore "$T/flaky/dev" "$T/tgt" --manifest "$T/img.man" --json
expect_rc 0 "flaky: $(cat "$T/err")"
[ -e "$T/served" ] || fail "flaky: the bad read was never served: the test did not test"
expect_json "$T/out" .blocks_refetched 1
expect_json "$T/out" .verified true
cmp -s "$T/img" "$T/tgt" || fail "flaky: target differs from the image"

# Another size, another block size: refused, nothing written.
head -c $((16 * M)) "$T/img" >"$T/half"
"$SS" hash "$T/half" -o "$T/half.man" >/dev/null || fail hash
mkrand "$T/tgt" $((32 * M))
before=$(sum "$T/tgt")
run_ss "$T/out" "$T/err" restore "$T/img" "$T/tgt" --manifest "$T/half.man"
expect_rc 2 "another size"
grep -qx "shadowsync: manifest '$T/half.man' is for an image of $((16 * M)) bytes; '$T/img' has $((32 * M))" "$T/err" ||
	fail "another size: $(cat "$T/err")"
run_ss "$T/out" "$T/err" restore "$T/img" "$T/tgt" --manifest "$T/img.man" --block-size 64K
expect_rc 2 "another block size"
grep -qx "shadowsync: --block-size 65536 is not the block size of manifest '$T/img.man' ($M)" "$T/err" ||
	fail "another block size: $(cat "$T/err")"
[ "$(sum "$T/tgt")" = "$before" ] || fail "refused, yet the target was written"
exit 0
