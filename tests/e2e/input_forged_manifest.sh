# Forged manifests: the trailer is an unkeyed XXH3-64, so a forger
# recomputes it (tests/tools/forgeman) and only the field under test is
# wrong. Block sizes 2^63, 2^64-512, 0, 511, 64M+512, a block count off by
# one, absurd device sizes, a source without NUL or not UTF-8: check and
# manifest show (text and JSON) exit 2 with one clear line on stderr and
# nothing on stdout, never a crash (make check-asan runs this against the
# ASan/UBSan build). These made check fault, divide by zero or overflow.
. "$(dirname "$0")/../lib.sh"
FORGE=$TOP/build/tests/tools/forgeman
[ -x "$FORGE" ] || fail "$FORGE not built (make unit)"

M=1048576
mkrand "$T/dev" $((4 * M))
"$SS" hash "$T/dev" -o "$T/good" --block-size 64K >/dev/null || fail "hash"
[ "$(stat -c %s "$T/good")" = $((512 + 64 * 16 + 8)) ] || fail "manifest size"

# The forger's trailer is the writer's, and xxhsum's XXH3-64 (-H3; -H1 is
# XXH64) read little-endian: the test does not check itself.
"$FORGE" "$T/good" "$T/same" && cmp -s "$T/good" "$T/same" || fail "forgeman trailer differs"
if command -v xxhsum >/dev/null; then
	n=$(($(stat -c %s "$T/good") - 8))
	hex=$(head -c $n "$T/good" | xxhsum -H3 | sed 's/.*= //')
	le=$(tail -c 8 "$T/good" | od -An -tx1 | tr -d ' \n')
	be=""
	for i in 14 12 10 8 6 4 2 0; do be="$be${le:$i:2}"; done
	[ "$hex" = "$be" ] || fail "xxhsum -H3 says $hex, trailer holds $be"
fi

# forged NAME PATTERN EDIT...: check (text, JSON) and show (text, JSON)
# refuse the forged manifest with exactly one line matching PATTERN.
forged() {
	local name=$1 pattern=$2 mode
	shift 2
	"$FORGE" "$T/good" "$T/bad" "$@" || fail "$name: forgeman $*"
	for mode in check check-json show show-json; do
		case $mode in
		check)      run_ss "$T/out" "$T/err" check "$T/dev" "$T/bad" ;;
		check-json) run_ss "$T/out" "$T/err" check "$T/dev" "$T/bad" --json ;;
		show)       run_ss "$T/out" "$T/err" manifest show "$T/bad" ;;
		show-json)  run_ss "$T/out" "$T/err" manifest show "$T/bad" --json ;;
		esac
		expect_rc 2 "$name/$mode: $(head -c 300 "$T/err")"
		[ "$(wc -l <"$T/err")" = 1 ] || fail "$name/$mode: one line wanted: $(head -c 600 "$T/err")"
		grep -qE -e "^shadowsync: manifest '$T/bad' is unusable: $pattern" "$T/err" ||
			fail "$name/$mode: '$pattern' not in: $(cat "$T/err")"
		case $mode in
		*-json)	# with --json, one error object on stdout
			expect_json "$T/out" .result '"error"'
			expect_json "$T/out" .exit_status 2 ;;
		*)	[ -s "$T/out" ] && fail "$name/$mode: printed a report: $(head -c 200 "$T/out")" ;;
		esac
	done
	note "$name: $(cat "$T/err")"
}
BS="inconsistent header \\(block size"
forged bs-2^63 "$BS 9223372036854775808: expected a multiple of 512 from 512 to 64M\\)$" \
	set 16 8 0x8000000000000000 set 32 8 1 digests 1
forged bs-2^63-count-as-is "$BS 9223372036854775808" set 16 8 0x8000000000000000
forged bs-2^64-512 "$BS 18446744073709551104: " set 16 8 0xfffffffffffffe00 set 32 8 0 digests 0
forged bs-2^64-512-one "$BS 18446744073709551104: " set 16 8 0xfffffffffffffe00 set 32 8 1 digests 1
forged bs-0 "$BS 0: " set 16 8 0
forged bs-511 "$BS 511: " set 16 8 511 set 32 8 8210 digests 8210
forged bs-64M+512 "$BS 67109376: " set 16 8 $((64 * M + 512)) set 32 8 1 digests 1
forged bs-128M "$BS 134217728: " set 16 8 $((128 * M)) set 32 8 1 digests 1
BC="inconsistent header \\(block count\\): "
forged count-plus-1 "${BC}65 recorded, but 64 blocks of 65536 bytes cover 4194304 bytes$" \
	set 32 8 65 digests 65
forged count-minus-1 "${BC}63 recorded" set 32 8 63 digests 63
forged count-plus-1-digests-as-is "${BC}65 recorded" set 32 8 65
forged count-2^60 "${BC}1152921504606846976 recorded" set 32 8 0x1000000000000000
forged count-2^64-1 "${BC}18446744073709551615 recorded" set 32 8 0xffffffffffffffff
forged digests-plus-1 "truncated or overlong" digests 65
forged digests-minus-1 "truncated or overlong" digests 63
DS="inconsistent header \\(device size"
forged device-2^64-1 "$DS 18446744073709551615: expected 1 to 2\\^63-1 bytes\\)$" \
	set 24 8 0xffffffffffffffff
forged device-2^64-1-bs-2^63 "$BS 9223372036854775808" \
	set 24 8 0xffffffffffffffff set 16 8 0x8000000000000000 set 32 8 0 digests 0
forged device-2^63 "$DS 9223372036854775808: " set 24 8 0x8000000000000000
forged device-0 "$DS 0: " set 24 8 0 set 32 8 0 digests 0
forged device-2^62 "${BC}64 recorded, but 70368744177664 blocks" set 24 8 0x4000000000000000
forged header-len "inconsistent header \\(header length 4096" set 48 4 4096
forged flags "inconsistent header \\(unknown flags 0x80000000\\)" set 52 4 0x80000000
forged created "inconsistent header \\(creation time -2: " set 40 8 0xfffffffffffffffe
SRC="inconsistent header \\(the source description is not printable UTF-8 ending in a NUL within 256 bytes\\)$"
forged source-no-nul "$SRC" bytes 56 "$(printf '41%.0s' $(seq 256))"
forged source-latin1 "$SRC" bytes 56 2f6465762fe9
forged source-overlong "$SRC" bytes 56 2fc0af00
forged source-escape "$SRC" bytes 56 2f1b5b324a00
NS="inconsistent header \\(the namespace is not printable UTF-8"
forged namespace-latin1 "$NS" set 52 4 1 bytes 352 6e73ff00
forged namespace-no-nul "$NS" set 52 4 1 bytes 352 "$(printf '6e%.0s' $(seq 32))"
forged summary-state "inconsistent header \\(Aerospike summary of state 7\\)" set 52 4 1 set 312 4 7

# Consistent in itself, but another device's size: check refuses, show shows.
"$FORGE" "$T/good" "$T/other" set 24 8 $((4 * M + 1)) set 32 8 65 digests 65
run_ss "$T/out" "$T/err" check "$T/dev" "$T/other"
expect_rc 2
grep -q "manifest '$T/other' is for a device of $((4 * M + 1)) bytes; '$T/dev' has $((4 * M))" "$T/err" ||
	fail "other size: $(cat "$T/err")"
run_ss "$T/out" "$T/err" manifest show "$T/other" --json
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" '.hashes | length' 65

# Good UTF-8 is shown as it is.
"$FORGE" "$T/good" "$T/utf8" bytes 56 2f64c3a9762fe282ac00
run_ss "$T/out" "$T/err" manifest show "$T/utf8" --json
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" .manifest.source '"/dév/€"'

# A FIFO named as the manifest is refused at once, not waited on.
mkfifo "$T/fifo"
run_ss "$T/out" "$T/err" manifest show "$T/fifo"
expect_rc 2
grep -q "manifest '$T/fifo' is unusable: not a regular file" "$T/err" || fail "fifo: $(cat "$T/err")"

# The untouched manifest still passes.
run_ss "$T/out" "$T/err" check "$T/dev" "$T/good"
expect_rc 0 "$(cat "$T/err")"
exit 0
