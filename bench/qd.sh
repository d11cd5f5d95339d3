#!/bin/bash
# bench/qd.sh - throughput against queue depth on a slow device
# (tests/tools/slowdev, 20 ms per read: an EBS volume's first reads):
# shadowsync warm with each engine at queue depths 1 to 128, beside fio
# at the same depths (libaio, 1 MiB, O_DIRECT). On such a device
# throughput should grow with depth until something else is the limit.
# psync keeps one read in flight: it is measured at depth 1 only.
# Writes out/qd.md and out/qd.dat.
. "$(dirname "$0")/lib.sh"
DELAY_MS=${DELAY_MS:-20}
DEPTHS=${DEPTHS:-$(pick "1 4 16 32 64 128" "1 16 64")}
DEV_SIZE=${DEV_SIZE:-$(pick $((256 << 20)) $((32 << 20)))}
RESULTS=$OUT/qd.times
: >"$RESULTS"
SLOWDEV=$TOP/build/tests/tools/slowdev
[ -x "$SLOWDEV" ] || die "$SLOWDEV not built (make unit; needs libfuse3-dev)"
command -v fio >/dev/null || die "fio missing"
mkfile "$BENCH_DIR/qd.img" "$DEV_SIZE"
M=$BENCH_DIR/qd.mnt
mkdir -p "$M"
trap 'fusermount3 -u "$M" 2>/dev/null' EXIT
"$SLOWDEV" "$BENCH_DIR/qd.img" $((DELAY_MS * 1000)) "$M" 2>/dev/null &
for t in $(seq 50); do [ -e "$M/dev" ] && break; sleep 0.1; done
[ -e "$M/dev" ] || die "slowdev did not come up"

fns=(w_psync_1)
w_psync_1() { timed warm_psync_1 0 "$SS" warm "$M/dev" --engine psync --queue-depth 1; }
for d in $DEPTHS; do
	mem=$(( d < 64 ? 64 : d ))M
	for e in io_uring libaio; do
		eval "w_${e}_$d() { timed warm_${e}_$d 0 '$SS' warm '$M/dev' --engine $e --queue-depth $d --memory $mem; }"
		fns+=(w_${e}_$d)
	done
	eval "f_$d() { timed fio_$d 0 fio --name=qd --filename='$M/dev' --rw=read --bs=1M \
		--iodepth=$d --ioengine=libaio --direct=1 --output=/dev/null; }"
	fns+=(f_$d)
done
rounds "${fns[@]}"

mibs() { awk -v s="$DEV_SIZE" -v t="$1" 'BEGIN { printf "%.1f", s / 1048576 / t }'; }
{
	echo "### Throughput against queue depth: a slow device (${DELAY_MS} ms per read, $((DEV_SIZE >> 20)) MiB)"
	echo
	echo "$(host_line)"
	echo
	echo "| depth | warm io_uring MiB/s | warm libaio MiB/s | fio libaio MiB/s | warm io_uring / fio (time) |"
	echo "|---|---|---|---|---|"
	for d in $DEPTHS; do
		u=$(median warm_io_uring_$d) a=$(median warm_libaio_$d) f=$(median fio_$d)
		printf '| %s | %s | %s | %s | %s |\n' "$d" "$(mibs "$u")" "$(mibs "$a")" "$(mibs "$f")" "$(ratio "$u" "$f")"
	done
	echo
	echo "psync (one read in flight): $(mibs "$(median warm_psync_1)") MiB/s."
} | tee "$OUT/qd.md"
{
	echo "# depth io_uring_mibs libaio_mibs fio_mibs psync_mibs"
	for d in $DEPTHS; do
		p=NaN; [ "$d" = 1 ] && p=$(mibs "$(median warm_psync_1)")
		echo "$d $(mibs "$(median warm_io_uring_$d)") $(mibs "$(median warm_libaio_$d)") $(mibs "$(median fio_$d)") $p"
	done
} >"$OUT/qd.dat"
