#!/bin/bash
# bench/warm_slow.sh - warm against AWS's fio recipe (libaio, QD 32, 1 MiB,
# O_DIRECT) on a slow device: every read waits DELAY before it is served,
# as first reads of a volume restored from an EBS snapshot wait on S3.
#
# Two slow devices, both through FUSE:
#  - nbdkit's memory plugin behind its delay filter, through nbdfuse (the
#    recipe the issue names). nbdfuse serves at most about 10 requests at
#    a time (libfuse's default worker cap, not raisable from its options),
#    so on it no queue deeper than that can show: reported as measured.
#  - tests/tools/slowdev: the same delay per read over a file, served by
#    up to 256 threads with the kernel allowed 256 requests in flight.
. "$(dirname "$0")/lib.sh"
DELAY_MS=${DELAY_MS:-20}
SLOW_SIZE=${SLOW_SIZE:-$(pick $((1 << 30)) $((64 << 20)))}
RESULTS=$OUT/warm_slow.times
: >"$RESULTS"
SLOWDEV=$TOP/build/tests/tools/slowdev
command -v nbdfuse >/dev/null || die "nbdfuse missing"
[ -x "$SLOWDEV" ] || die "$SLOWDEV not built (make unit; needs libfuse3-dev)"

MNT_N=$BENCH_DIR/nbd.mnt MNT_S=$BENCH_DIR/slowdev.mnt
mkdir -p "$MNT_N" "$MNT_S"
cleanup() { fusermount3 -u "$MNT_N" 2>/dev/null; fusermount3 -u "$MNT_S" 2>/dev/null; }
trap cleanup EXIT
nbdfuse "$MNT_N/dev" --command nbdkit -s --threads 256 --filter=delay \
	memory "$SLOW_SIZE" delay-read=${DELAY_MS}ms >/dev/null 2>&1 &
mkfile "$BENCH_DIR/slow.img" "$SLOW_SIZE"
"$SLOWDEV" "$BENCH_DIR/slow.img" $((DELAY_MS * 1000)) "$MNT_S" 2>"$OUT/slowdev.log" &
for i in $(seq 50); do [ -e "$MNT_N/dev" ] && [ -e "$MNT_S/dev" ] && break; sleep 0.1; done
[ -e "$MNT_N/dev" ] && [ -e "$MNT_S/dev" ] || die "slow devices did not come up"

fio_on() {
	timed "$1" 0 fio --name=warm --filename="$2" --rw=read --bs=1M --iodepth=32 \
		--ioengine=libaio --direct=1 --output=/dev/null
}
n_fio()    { fio_on nbdkit_fio_qd32 "$MNT_N/dev"; }
n_warm()   { timed nbdkit_warm_qd64 0 "$SS" warm "$MNT_N/dev"; }
n_warm128(){ timed nbdkit_warm_qd128 0 "$SS" warm "$MNT_N/dev" --queue-depth 128 --memory 128M; }
s_fio()    { fio_on slowdev_fio_qd32 "$MNT_S/dev"; }
s_warm()   { timed slowdev_warm_qd64 0 "$SS" warm "$MNT_S/dev"; }
s_warm128(){ timed slowdev_warm_qd128 0 "$SS" warm "$MNT_S/dev" --queue-depth 128 --memory 128M; }

rounds n_fio n_warm n_warm128 s_fio s_warm s_warm128

{
	echo "### warm on a slow device: ${DELAY_MS} ms per read, $((SLOW_SIZE >> 20)) MiB"
	echo
	echo "$(host_line)"
	echo
	echo "| device | tool | median wall s | spread s | ratio to fio QD 32 | peak RSS MiB |"
	echo "|---|---|---|---|---|---|"
	for dev in nbdkit slowdev; do
		f=$(median ${dev}_fio_qd32)
		for n in fio_qd32 warm_qd64 warm_qd128; do
			m=$(median ${dev}_$n)
			printf '| %s | %s | %.2f | %s | %s | %s |\n' "$dev" "$n" "$m" "$(spread ${dev}_$n)" \
				"$(ratio "$m" "$f")" "$(rss_mib ${dev}_$n)"
		done
	done
	echo
	echo "nbdkit+nbdfuse: warm (QD 64) / fio (QD 32) = $(ratio "$(median nbdkit_warm_qd64)" "$(median nbdkit_fio_qd32)");" \
		"slowdev: warm (QD 64) / fio (QD 32) = $(ratio "$(median slowdev_warm_qd64)" "$(median slowdev_fio_qd32)")," \
		"QD 128 / fio = $(ratio "$(median slowdev_warm_qd128)" "$(median slowdev_fio_qd32)") (target < 1)"
} | tee "$OUT/warm_slow.md"
