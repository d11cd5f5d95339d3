#!/bin/bash
# bench/sync.sh - sync of a 4 GiB local where 1% of the 1 MiB blocks
# differ from the shadow (41 blocks, scattered), against verify of the
# same pair (sync's extra cost is writing and reading back 41 MiB) and
# against the full copy an operator would otherwise run:
#   dd if=SHADOW of=LOCAL bs=1M iflag=direct oflag=direct conv=notrunc
# Bytes written are counted twice: sync's own report, and the sectors the
# disk's block layer saw written during the run (/sys/block/DEV/stat).
. "$(dirname "$0")/lib.sh"
SIZE=${SIZE:-$(pick $((4 << 30)) $((128 << 20)))}
A=$BENCH_DIR/local.img
B=$BENCH_DIR/shadow.img
RESULTS=$OUT/sync.times
WRITES=$OUT/sync.writes
: >"$RESULTS"
: >"$WRITES"
M=1048576

mkfile "$B" "$SIZE"
# Start from local == shadow; from then on every run leaves local either
# synced (== shadow) or marked, and plant writes the marks: idempotent.
cmp -s "$A" "$B" || cp "$B" "$A" || die "cannot copy"

# The disk under BENCH_DIR, for its write counter.
disk=$(lsblk -no PKNAME "$(df --output=source "$BENCH_DIR" | tail -1)" 2>/dev/null)
[ -n "$disk" ] || disk=$(basename "$(df --output=source "$BENCH_DIR" | tail -1)")
[ -r /sys/block/$disk/stat ] || die "no /sys/block/$disk/stat"
sectors_written() { awk '{ print $7 }' /sys/block/$disk/stat; }

blocks=$((SIZE / M))
ndiff=$(( (blocks + 99) / 100 ))
# plant: make local = shadow except a 16-byte mark in each of ndiff blocks.
plant() {
	local i b
	for i in $(seq 0 $((ndiff - 1))); do
		b=$((i * 100 + 37))
		[ $b -lt $blocks ] || b=$((blocks - 1 - i))
		printf 'SHADOWSYNC-BENCH' |
			dd of="$A" bs=1 seek=$((b * M + (i * 4099) % (M - 16))) conv=notrunc status=none
	done
	sync
}

# measure NAME WANT_RC CMD...: timed, plus the disk's bytes written.
measure() {
	local name=$1 before after
	before=$(sectors_written)
	timed "$@"
	after=$(sectors_written)
	echo "$name $(( (after - before) * 512 ))" >>"$WRITES"
}

run_verify() { plant; measure verify 1 "$SS" verify "$A" "$B"; }
run_sync() {
	plant
	measure sync 0 "$SS" sync "$A" "$B" --json
	local w
	w=$(jq .pairs[0].bytes_written "$BENCH_DIR/cmd.out")
	[ "$w" = $((ndiff * M)) ] || die "sync wrote $w bytes, expected $((ndiff * M))"
	[ "$(jq .pairs[0].verified "$BENCH_DIR/cmd.out")" = true ] || die "sync not verified"
	cmp -s "$A" "$B" || die "sync left local different"
}
run_dd() {
	plant
	measure dd 0 dd if="$B" of="$A" bs=1M iflag=direct oflag=direct conv=notrunc status=none
}

rounds run_verify run_sync run_dd

median_w() { awk -v n="$1" '$1 == n { print $2 }' "$WRITES" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
v=$(median verify)
{
	echo "### sync, $((SIZE >> 20)) MiB files, $ndiff of $blocks 1 MiB blocks differing (scattered)"
	echo
	echo "$(host_line)"
	echo
	echo "| tool | median wall s | spread s | ratio to verify | bytes written (tool's report) | bytes written (disk counter, median) | peak RSS MiB |"
	echo "|---|---|---|---|---|---|---|"
	printf '| verify | %.2f | %s | 1.000 | 0 | %s | %s |\n' "$v" "$(spread verify)" "$(median_w verify)" "$(rss_mib verify)"
	printf '| sync | %.2f | %s | %s | %s | %s | %s |\n' "$(median sync)" "$(spread sync)" "$(ratio "$(median sync)" "$v")" \
		$((ndiff * M)) "$(median_w sync)" "$(rss_mib sync)"
	printf '| dd full copy | %.2f | %s | %s | %s | %s | %s |\n' "$(median dd)" "$(spread dd)" "$(ratio "$(median dd)" "$v")" \
		"$SIZE" "$(median_w dd)" "$(rss_mib dd)"
	echo
	echo "sync / verify = $(ratio "$(median sync)" "$v") (target <= 1.15); sync / dd = $(ratio "$(median sync)" "$(median dd)"); sync writes $((ndiff * M)) bytes, dd $SIZE"
} | tee "$OUT/sync.md"
