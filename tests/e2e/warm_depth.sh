# warm keeps its queue full: on a slow device (tests/tools/slowdev, 50 ms
# a read, up to 256 served at once) the device sees as many reads at once
# as --queue-depth asks, for every async engine; psync sees one.
. "$(dirname "$0")/../lib.sh"
need_root "FUSE mounts"
SLOWDEV=$TOP/build/tests/tools/slowdev
[ -x "$SLOWDEV" ] || skip "slowdev not built (libfuse3-dev missing)"
[ -c /dev/fuse ] || skip "/dev/fuse is missing"

M=1048576
mkrand "$T/back" $((128 * M))

# depth ENGINE QD: warm through a fresh slowdev; echo the most reads the
# device saw at once.
depth() {
	local mnt=$T/mnt.$1.$2 i
	mkdir -p "$mnt"
	"$SLOWDEV" "$T/back" 50000 "$mnt" 2>"$T/slowdev.log" &
	local pid=$!
	at_exit "_fuse_cleanup '$mnt'"
	for i in $(seq 50); do [ -e "$mnt/dev" ] && break; sleep 0.1; done
	"$SS" warm "$mnt/dev" --engine "$1" --queue-depth "$2" --memory 256M --json >"$T/out" 2>"$T/err" ||
		fail "warm $1 QD $2: $(cat "$T/err")"
	jq .queue_depth_kept "$T/out" >"$T/kept"
	_fuse_cleanup "$mnt"
	wait $pid
	sed -n 's/.*at most \([0-9]*\) at once.*/\1/p' "$T/slowdev.log"
}

for e in io_uring libaio; do
	for qd in 16 64; do
		got=$(depth $e $qd)
		kept=$(cat "$T/kept")
		note "$e QD $qd: at most $got reads at once at the device; warm reports $kept kept on average"
		# What warm reports is what the device saw (ramp-up and tail aside;
		# an ASan build refills too slowly to keep half of 64 on average).
		low=$([ -n "${ASAN_OPTIONS:-}" ] && echo 4 || echo 2)
		awk -v k="$kept" -v q=$qd -v low=$low 'BEGIN { exit !(k >= q / low && k <= q) }' ||
			fail "$e QD $qd: warm reports $kept reads kept in flight"
		[ -n "$got" ] || fail "no count from slowdev"
		[ "$got" -ge $((qd * 3 / 4)) ] && [ "$got" -le $qd ] ||
			fail "$e QD $qd: the device saw $got reads at once"
	done
done
# Queue depth 1 is one read at a time, though the pipeline keeps two
# slots so reading overlaps hashing (it once sent both at once).
for e in io_uring libaio; do
	got=$(depth $e 1)
	note "$e QD 1: at most $got at once"
	[ "$got" = 1 ] || fail "$e QD 1: the device saw $got reads at once"
done
got=$(depth psync 64)
note "psync: at most $got at once"
[ "$got" -le 2 ] || fail "psync overlapped $got reads"
exit 0
