# sync on regular files: differences at the first byte, the last byte,
# block boundaries and a short last block are written from the shadow,
# exactly those blocks, then read back; the shadow is never changed;
# --dry-run writes nothing; a second sync finds nothing to do. Every engine.
. "$(dirname "$0")/../lib.sh"
need_cmd xxhsum

sum() { xxhsum -H2 <"$1" | cut -d' ' -f1; }
need_cmd strace

# kernel_writes TRACE: the pwrite64s to $T/local in an strace log, merged
# where they touch, as JSON [[offset, length]...].
kernel_writes() {
	awk -v local="$T/local" '
		/openat\(/ && index($0, "\"" local "\"") && / = [0-9]+$/ { fd[$NF] = 1; next }
		/pwrite64\(/ { f = $0; sub(/^[0-9]+ +pwrite64\(/, "", f); sub(/,.*/, "", f)
			       if (!(f in fd)) next
			       n = split($0, a, ", "); o = a[n]; sub(/\).*/, "", o)
			       l = $NF; print o, l }' "$1" | sort -n |
	awk 'BEGIN { printf "[" }
	     { if (n && $1 == s + len) { len += $2; next }
	       if (n) printf "%s[%d,%d]", (n > 1 ? "," : ""), s, len
	       s = $1; len = $2; n++ }
	     END { if (n) printf "%s[%d,%d]", (n > 1 ? "," : ""), s, len; print "]" }'
}

# check NAME SIZE BS OFFSET...
check() {
	local name=$1 e want bytes before shadow_sum
	SIZE=$2 BS=$3
	shift 3
	for e in $ENGINES auto; do
		mkrand "$T/shadow" "$SIZE"
		cp "$T/shadow" "$T/local"
		for off in "$@"; do flip "$T/local" "$off"; done
		want=$(extents_of "$@")
		bytes=$(echo "$want" | jq '[.[].length_bytes] | add // 0')
		shadow_sum=$(sum "$T/shadow")
		before=$(sum "$T/local")

		run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow" --block-size "$BS" --engine $e --dry-run --json
		expect_rc 1 "$name/$e dry-run: $(cat "$T/err")"
		expect_json "$T/out" .result '"differ"'
		expect_json "$T/out" .dry_run true
		expect_json "$T/out" .pairs[0].extents "$want"
		expect_json "$T/out" .pairs[0].bytes_written 0
		[ "$(sum "$T/local")" = "$before" ] || fail "$name/$e: --dry-run changed local"

		if [ $e = psync ]; then
			# What the kernel was asked to write, not only the report.
			traced -f -e trace=openat,pwrite64 -o "$T/trace" \
				"$SS" sync "$T/local" "$T/shadow" --block-size "$BS" --engine $e --json >"$T/out" 2>"$T/err"
			RC=$?
			kernel_writes "$T/trace" >"$T/kw"
			[ "$(cat "$T/kw")" = "$(echo "$want" | jq -c 'map([.offset_bytes, .length_bytes])')" ] ||
				fail "$name: the kernel was asked to write $(cat "$T/kw"), want $want"
		else
			run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow" --block-size "$BS" --engine $e --json
		fi
		expect_rc 0 "$name/$e: $(cat "$T/err")"
		expect_json "$T/out" .result '"synced"'
		expect_json "$T/out" .pairs[0].result '"synced"'
		expect_json "$T/out" .pairs[0].extents_written "$want"
		expect_json "$T/out" .pairs[0].bytes_written "$bytes"
		expect_json "$T/out" .pairs[0].verified true
		cmp -s "$T/local" "$T/shadow" || fail "$name/$e: local differs from shadow after sync"
		[ "$(sum "$T/shadow")" = "$shadow_sum" ] || fail "$name/$e: shadow changed"

		run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow" --block-size "$BS" --engine $e --json
		expect_rc 0 "$name/$e again"
		expect_json "$T/out" .result '"match"'
		expect_json "$T/out" .pairs[0].bytes_written 0
	done
	note "$name: $want"
}

M=1048576
check first-byte           $((4 * M))        65536 0
check last-byte            $((4 * M))        65536 $((4 * M - 1))
check boundary-both-sides  $((4 * M))        65536 65535 65536
check scattered            $((4 * M))        65536 131071 196608 $((3 * M))
check short-last-block     $((4 * M + 1000)) 65536 $((4 * M + 999))
check short-and-first      $((4 * M + 777))  4096  0 $((4 * M))
check odd-block-size       $((3 * M + 5))    1536  1535 1536 $((3 * M + 4))
check tiny-device          1000              65536 999
check all-differs          $((2 * M))        $M    0 $M

# Identical pair: nothing written, exit 0, text says so.
mkrand "$T/shadow" $M; cp "$T/shadow" "$T/local"
run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow"
expect_rc 0
grep -q '^sync: MATCH' "$T/out" || fail "text: $(cat "$T/out")"
run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow" --dry-run
expect_rc 0

# Text report of a real sync.
flip "$T/local" 5
run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow"
expect_rc 0
grep -q '^sync: SYNCED' "$T/out" || fail "text: $(cat "$T/out")"

# A larger shadow: its extra bytes are not copied, local keeps its size.
mkrand "$T/shadow" $((2 * M + 4096)); head -c $((2 * M)) "$T/shadow" >"$T/local"; flip "$T/local" 7
run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow" --json
expect_rc 0
expect_json "$T/out" .pairs[0].shadow_extra_bytes 4096
[ "$(stat -c %s "$T/local")" = $((2 * M)) ] || fail "local changed size"
cmp -s -n $((2 * M)) "$T/local" "$T/shadow" || fail "larger shadow: not synced"

# The shadow is opened read-only: a read-only shadow file is fine.
chmod 444 "$T/shadow"; flip "$T/local" 9
run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow"
expect_rc 0 "read-only shadow: $(cat "$T/err")"
exit 0
