# A manifest that is truncated, damaged, of an unknown version or
# algorithm, not a manifest at all, or made for a device of another
# size: check and manifest show exit 2 with one clear line, never pass.
. "$(dirname "$0")/../lib.sh"
need_cmd xxhsum

M=1048576
mkrand "$T/dev" $((4 * M))
"$SS" hash "$T/dev" -o "$T/good" --block-size 64K >/dev/null || fail "hash"
size=$(stat -c %s "$T/good")
[ $size = $((512 + 64 * 16 + 8)) ] || fail "manifest is $size bytes"

# retrail FILE: recompute the trailing XXH3-64 (little-endian) so that
# only the field under test is wrong.
retrail() {
	local n=$(($(stat -c %s "$1") - 8)) hex le="" i
	# xxhsum -H3 prints "XXH3 (stdin) = <16 hex digits, big-endian>"
	hex=$(head -c $n "$1" | xxhsum -H3 | sed 's/.*= //')
	[ ${#hex} = 16 ] || fail "xxhsum -H3 printed '$hex'"
	for i in 14 12 10 8 6 4 2 0; do le="$le\\x${hex:$i:2}"; done
	head -c $n "$1" >"$1.t" && printf "$le" >>"$1.t" && mv "$1.t" "$1"
}
# setle FILE OFFSET BYTES VALUE: write VALUE little-endian.
setle() {
	local v=$4 i s=""
	for i in $(seq 1 "$3"); do s="$s\\x$(printf %02x $((v & 255)))"; v=$((v >> 8)); done
	printf "$s" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
retrail_check() { cp "$T/good" "$T/x"; retrail "$T/x"; cmp -s "$T/x" "$T/good" || fail "retrail is wrong"; }
retrail_check

# bad NAME PATTERN: check and show both refuse $T/bad.
bad() {
	local name=$1 pattern=$2 cmd
	for cmd in check show; do
		if [ $cmd = check ]; then
			args=(check "$T/dev" "$T/bad" --json)
		else
			args=(manifest show "$T/bad")
		fi
		run_ss "$T/out" "$T/err" "${args[@]}"
		expect_rc 2 "$name/$cmd"
		[ "$(wc -l <"$T/err")" = 1 ] || fail "$name/$cmd: one line wanted: $(cat "$T/err")"
		grep -qE -e "$pattern" "$T/err" || fail "$name/$cmd: '$pattern' not in: $(cat "$T/err")"
		if [ $cmd = check ]; then
			expect_json "$T/out" .result '"error"'
			expect_json "$T/out" .exit_status 2
		else
			[ -s "$T/out" ] && fail "$name/$cmd: printed a report: $(head -c 200 "$T/out")"
		fi
	done
	note "$name: $(cat "$T/err")"
}

head -c $((size - 1)) "$T/good" >"$T/bad"
bad truncated-by-one "manifest '$T/bad' is unusable: truncated or overlong"
head -c 100 "$T/good" >"$T/bad"
bad truncated-header "unusable: truncated \\(shorter than a manifest header\\)"
: >"$T/bad"
bad empty "unusable: truncated"
cp "$T/good" "$T/bad"; head -c 16 /dev/zero >>"$T/bad"
bad overlong "unusable: truncated or overlong"
cp "$T/good" "$T/bad"; flip "$T/bad" 600
bad digest-flipped "unusable: damaged \\(trailer checksum does not match\\)"
cp "$T/good" "$T/bad"; flip "$T/bad" $((size - 1))
bad trailer-flipped "unusable: damaged \\(trailer checksum does not match\\)"
cp "$T/good" "$T/bad"; flip "$T/bad" 60
bad source-flipped "unusable: damaged"
cp "$T/good" "$T/bad"; setle "$T/bad" 8 4 2; retrail "$T/bad"
bad version-2 "unusable: unknown manifest version"
cp "$T/good" "$T/bad"; setle "$T/bad" 12 4 9; retrail "$T/bad"
bad algorithm-9 "unusable: unknown hash algorithm"
cp "$T/good" "$T/bad"; setle "$T/bad" 32 8 63; retrail "$T/bad"
bad block-count "unusable: inconsistent header \\(block count\\)"
cp "$T/good" "$T/bad"; setle "$T/bad" 16 8 1000; retrail "$T/bad"
bad block-size "unusable: inconsistent header"
cp "$T/good" "$T/bad"; flip "$T/bad" 0; retrail "$T/bad"
bad magic "unusable: not a shadowsync manifest \\(bad magic\\)"
rm -f "$T/bad"
bad missing "unusable: No such file or directory"

# A manifest of a device of another size.
mkrand "$T/dev2" $((4 * M + 512))
run_ss "$T/out" "$T/err" check "$T/dev2" "$T/good"
expect_rc 2
grep -q "manifest '$T/good' is for a device of $((4 * M)) bytes; '$T/dev2' has $((4 * M + 512))" "$T/err" || fail "$(cat "$T/err")"

# The good one still passes, and a directory is no manifest.
run_ss "$T/out" "$T/err" check "$T/dev" "$T/good"
expect_rc 0
run_ss "$T/out" "$T/err" check "$T/dev" "$T"
expect_rc 2
run_ss "$T/out" "$T/err" check "$T/dev" "$T/good" --block-size 4K
expect_rc 2
grep -q "block size is the manifest's" "$T/err" || fail "$(cat "$T/err")"
run_ss "$T/out" "$T/err" hash "$T/dev"
expect_rc 2
grep -q "hash: -o MANIFEST is required" "$T/err" || fail "$(cat "$T/err")"
run_ss "$T/out" "$T/err" hash "$T/dev" -o "$T/nodir/m"
expect_rc 2
grep -q "cannot create manifest '$T/nodir/m': its directory '$T/nodir' does not exist" "$T/err" || fail "$(cat "$T/err")"
exit 0
