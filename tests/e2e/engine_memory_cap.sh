# --memory is a cap: whatever the block size, I/O size and queue depth,
# verify's peak RSS stays within the cap plus a fixed margin over the
# process's own baseline, or the combination is refused with one line
# (exit 2) naming the memory it would need. Odd block sizes are the trap:
# the chunk used to be lcm(block, 4096), 8 blocks of 64 MiB - 512.
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/time ] || skip "/usr/bin/time is missing (package time)"

M=1048576
SIZE=$((64 * M))
MARGIN=$((16 * M))
mkrand "$T/local" $SIZE
cp "$T/local" "$T/shadow"
flip "$T/shadow" $((40 * M + 123))

# peak ARGS...: run verify LOCAL SHADOW ARGS with /usr/bin/time; RC, and
# RSS in bytes.
peak() {
	/usr/bin/time -f %M -o "$T/rss" "$SS" verify "$T/local" "$T/shadow" \
		"$@" >"$T/out" 2>"$T/err"
	RC=$?
	RSS=$(($(tail -n 1 "$T/rss") * 1024))
}

# The process's own footprint (libraries, sanitizers), buffers aside.
mkrand "$T/small" $M
cp "$T/small" "$T/small2"
/usr/bin/time -f %M -o "$T/rss" "$SS" verify "$T/small" "$T/small2" \
	--block-size 4K --memory 1M >"$T/out" 2>"$T/err" ||
	fail "baseline run failed: $(cat "$T/err")"
BASE=$(($(tail -n 1 "$T/rss") * 1024))
note "baseline RSS $((BASE / 1024)) KiB"

# parse_size_m NM: CAP = N MiB.
parse_size_m() { CAP=$((${1%M} * M)); }

# fits CAP ARGS...: must run (exit 1: the planted difference) within CAP.
fits() {
	local cap=$1
	shift
	peak --memory $cap --json "$@"
	expect_rc 1 "$* --memory $cap: $(cat "$T/err")"
	expect_json "$T/out" .pairs[0].bytes_compared $SIZE
	expect_json "$T/out" .pairs[0].differing_blocks 1
	parse_size_m $cap
	[ $RSS -le $((BASE + CAP + MARGIN)) ] ||
		fail "$* --memory $cap: peak RSS $((RSS / M)) MiB, over the cap + $((MARGIN / M)) MiB + baseline $((BASE / M)) MiB"
	note "$* --memory $cap: peak RSS $((RSS / M)) MiB"
}

# refused CAP NEED_M ARGS...: exit 2, one line naming NEED_M MiB.
refused() {
	local cap=$1 need=$2
	shift 2
	peak --memory $cap "$@"
	expect_rc 2 "$* --memory $cap should be refused: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$*: not one line: $(cat "$T/err")"
	grep -q "^shadowsync: blocks of [0-9]* bytes need at least ${need}M of buffers, more than --memory $cap; raise --memory or use a smaller --block-size$" "$T/err" ||
		fail "$* --memory $cap: $(cat "$T/err")"
	[ -s "$T/out" ] && fail "$*: stdout not empty"
	note "$* --memory $cap: $(cat "$T/err")"
}

for e in io_uring psync; do
	# 64 MiB - 512: one block of each device is 128 MiB and a page.
	refused 16M 129 --engine $e --block-size 67108352
	refused 128M 129 --engine $e --block-size 67108352
	fits 160M --engine $e --block-size 67108352
	refused 1M 2 --engine $e
	fits 16M --engine $e --block-size 3584 --queue-depth 1024
	fits 16M --engine $e --block-size 5242368
	fits 4M --engine $e --block-size 1536 --io-size 8M
	fits 160M --engine $e --block-size 64M --queue-depth 1
done
exit 0
