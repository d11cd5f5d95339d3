#!/bin/bash
# bench/ebs.sh - restore and warm from an EBS snapshot against
# tests/tools/ebs_server.py on 127.0.0.1 (signatures checked by botocore
# as in the tests), with 20 ms added to every GetSnapshotBlock and the
# service's cap of 1000 GetSnapshotBlock a second per snapshot (beyond:
# RequestThrottledException), one worker process per CPU. The snapshot's
# bytes are a copy of the image in RAM (/dev/shm): as the service's, they
# cost the target's disk nothing, and dropping the page cache does not
# drop them. Interleaved, medians of RUNS, page cache dropped before
# every run:
#   1. restore ebs://snap (a SIZE image, every block listed) onto a file
#      at --max-rps 900 (the default) and 64 connections (the default),
#      against what the target absorbs: restore of the same image from
#      the RAM copy onto the same target (read-back on in both). Target:
#      at least 85% of min(900 x 512 KiB/s, that). The same restore with
#      --no-verify (the curve's runs at 64 connections) shows what the
#      read-back costs; the server's CPU seconds are counted over each
#      restore.
#   2. warm --snapshot of a half-empty snapshot (every other run of 8
#      blocks listed) against a full warm of the same device, a
#      WARM_SIZE volume (4 GiB; 2 GiB in QUICK) of its own: a warm's
#      time is mostly fixed costs below a GiB or two, real volumes are
#      hundreds of GiB. Target: at most 0.6x its time. A warm of a 1 MiB
#      file measures what both pay whatever they read (the process's
#      start, its libraries read again after the cache drop).
#   3. restore throughput and requests/s against --connections 8..128
#      (QUICK: 16, 32, 64; out/ebs_conns.dat, bench/ebs_conns.png).
# Not part of `make test`; the server is stopped at exit.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || die "jq is not installed (make deps)"
python3 -c 'import botocore' 2>/dev/null || die "python3-botocore is not installed (make deps)"
SIZE=${SIZE:-$(pick $((2 << 30)) $((1 << 30)))}	# whole GiB: the volume is the image
# --connections of the curve; 64 (the default) is also the --no-verify row
CONNS=${CONNS:-$(pick "8 16 32 64 128" "16 32 64")}
WARM_SIZE=${WARM_SIZE:-$(pick $((4 << 30)) $((2 << 30)))}	# whole GiB
K=524288
WARM_GIB=$((WARM_SIZE >> 30))
VOL_GIB=$(( (SIZE + (1 << 30) - 1) >> 30 ))
IMG_DISK=$BENCH_DIR/ebs.img
IMG=/dev/shm/ss-bench-ebs.$$.img
TGT=$BENCH_DIR/ebs.tgt
DEV=$BENCH_DIR/ebs.dev
RESULTS=$OUT/ebs.times
: >"$RESULTS"
TMP=$(mktemp -d /var/tmp/ss-bench.XXXXXX) || die "mktemp"
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP" "$IMG"; }
trap cleanup EXIT

mkfile "$IMG_DISK" "$SIZE"
[ "$(df -B1 --output=avail /dev/shm | tail -1)" -gt $((SIZE + (256 << 20))) ] ||
	die "/dev/shm has no room for a $((SIZE >> 20)) MiB copy of the image"
cp "$IMG_DISK" "$IMG" || die "cannot copy the image to /dev/shm"
mkfile "$DEV" "$WARM_SIZE"
NB=$((SIZE / K))
# the warm's snapshot: only its listing is read (its blocks past the
# image would read as zeros)
HALF=$(seq 0 $((WARM_SIZE / K - 1)) | awk 'int($1 / 8) % 2 == 0' | paste -sd, -)
cat >"$TMP/snaps.json" <<EOF
{"snap-000000000000000e1": {"image": "$IMG", "volume_gib": $VOL_GIB, "blocks": null},
 "snap-000000000000000e2": {"image": "$IMG", "volume_gib": $WARM_GIB, "blocks": [$HALF]}}
EOF
echo '{"AKIABENCHKEY00000001": {"secret": "bench/Secret+Key=0123456789"}}' >"$TMP/keys.json"
echo "bench: starting the EBS server (listing $NB blocks)" >&2
python3 "$TOP/tests/tools/ebs_server.py" --port-file "$TMP/port" --log /dev/null --no-log \
	--keys "$TMP/keys.json" --snapshots "$TMP/snaps.json" --region eu-west-3 \
	--get-delay-ms 20 --max-rps 1000 --workers "$(nproc)" >"$TMP/server.log" 2>&1 &
PID=$!
for _ in $(seq 900); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || die "the EBS server did not start: $(tail -3 "$TMP/server.log")"
R="--endpoint-url http://127.0.0.1:$(cat "$TMP/port") --region eu-west-3"
export AWS_ACCESS_KEY_ID=AKIABENCHKEY00000001 AWS_SECRET_ACCESS_KEY='bench/Secret+Key=0123456789'
export AWS_EC2_METADATA_DISABLED=true
[ "$(stat -c %s "$TGT" 2>/dev/null)" = $((VOL_GIB << 30)) ] || mkfile "$TGT" $((VOL_GIB << 30))

# server_cpu: CPU seconds (user + system) of the server's processes so far
server_cpu() {
	local p t=0
	for p in "$PID" $(pgrep -P "$PID"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}
# ebs_rec NAME CPU0: the restore just run, its rates and the server's CPU
# seconds since CPU0, into $OUT/ebs.rates
ebs_rec() {
	case $(jq -r .verify_result "$BENCH_DIR/cmd.out") in match|skipped) ;; *) die "$1: not read back right" ;; esac
	echo "$1 $(jq -r '"\(.ebs.requests_per_s) \(.ebs.bytes_per_s) \(.ebs.throttled)"' "$BENCH_DIR/cmd.out") $(awk -v a="$2" -v b="$(server_cpu)" -v h="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / h }')" >>"$OUT/ebs.rates"
}
: >"$OUT/ebs.rates"
run_ebs() {
	local c0
	c0=$(server_cpu)
	timed ebs_restore 0 "$SS" restore ebs://snap-000000000000000e1 "$TGT" $R --json
	ebs_rec ebs_restore "$c0"
}
run_local() {
	timed local_restore 0 "$SS" restore "$IMG" "$TGT" --json
}
run_warm_half() {
	timed warm_snapshot_half 0 "$SS" warm "$DEV" --snapshot snap-000000000000000e2 $R --json
}
run_warm_full() {
	timed warm_full 0 "$SS" warm "$DEV" --json
}
run_warm_start() {
	timed warm_start 0 "$SS" warm "$TMP/tiny" --json
}
head -c 1048576 /dev/urandom >"$TMP/tiny"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
rounds run_ebs run_local
cmp -s -n "$SIZE" "$IMG" "$TGT" || die "the restored target differs from the image"
rounds run_warm_half run_warm_full run_warm_start

# the curve: throughput and requests/s against --connections
: >"$OUT/ebs_conns.dat"
for c in $CONNS; do
	for r in $(seq 1 "$RUNS"); do
		c0=$(server_cpu)
		timed "conns_$c" 0 "$SS" restore ebs://snap-000000000000000e1 "$TGT" $R --connections "$c" --no-verify --json
		ebs_rec "conns_$c" "$c0"
	done
	m=$(awk -v n="conns_$c" '$1 == n { print $3 }' "$OUT/ebs.rates" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	q=$(awk -v n="conns_$c" '$1 == n { print $2 }' "$OUT/ebs.rates" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	echo "$c $(awk -v b="$m" 'BEGIN { printf "%.1f", b / 1048576 }') $q" >>"$OUT/ebs_conns.dat"
done

load1=$(cut -d' ' -f1-3 /proc/loadavg)
stats=$(curl -s "http://127.0.0.1:$(cat "$TMP/port")/_ctl/stats")
med_rate() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$OUT/ebs.rates" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mibs() { awk -v s="$1" -v t="$2" 'BEGIN { printf "%.1f", s / t / 1048576 }'; }
ebs_mibs=$(mibs "$SIZE" "$(median ebs_restore)")
nov_mibs=$(mibs "$SIZE" "$(median conns_64)")
local_mibs=$(mibs "$SIZE" "$(median local_restore)")
gib=$(awk -v s="$SIZE" 'BEGIN { print s / 1073741824 }')
srv_cpu() { awk -v c="$(med_rate "$1" 5)" -v g="$gib" 'BEGIN { printf "%.2f", c / g }'; }
cap_mibs=$(awk 'BEGIN { printf "%.1f", 900 * 524288 / 1048576 }')
want=$(awk -v a="$cap_mibs" -v b="$local_mibs" 'BEGIN { m = a < b ? a : b; printf "%.1f", 0.85 * m }')
{
	echo "### restore and warm from an EBS snapshot"
	echo
	echo "$(host_line); load average $load0 before, $load1 after (1, 5, 15 min)"
	echo
	echo "A $((SIZE >> 20)) MiB image in a $VOL_GIB GiB volume (the warms: a $WARM_GIB GiB volume); the server ($(nproc) workers) adds 20 ms to every GetSnapshotBlock and caps them at 1000/s:"
	echo
	echo "| run | median wall s | spread s | MiB/s | requests/s | throttled | server CPU s/GiB |"
	echo "|---|---|---|---|---|---|---|"
	printf '| restore ebs:// (900 rps, 64 connections) | %.2f | %s | %s | %s | %s | %s |\n' "$(median ebs_restore)" "$(spread ebs_restore)" "$ebs_mibs" "$(med_rate ebs_restore 2)" "$(med_rate ebs_restore 4)" "$(srv_cpu ebs_restore)"
	printf '| the same, --no-verify (the curve at 64) | %.2f | %s | %s | %s | %s | %s |\n' "$(median conns_64)" "$(spread conns_64)" "$nov_mibs" "$(med_rate conns_64 2)" "$(med_rate conns_64 4)" "$(srv_cpu conns_64)"
	printf '| restore of the image from its RAM copy (what the target absorbs) | %.2f | %s | %s | | | |\n' "$(median local_restore)" "$(spread local_restore)" "$local_mibs"
	printf '| warm --snapshot, half-empty snapshot | %.2f | %s | | | | |\n' "$(median warm_snapshot_half)" "$(spread warm_snapshot_half)"
	printf '| warm, the whole device | %.2f | %s | | | | |\n' "$(median warm_full)" "$(spread warm_full)"
	printf '| warm of a 1 MiB file (the start both pay) | %.2f | %s | | | | |\n' "$(median warm_start)" "$(spread warm_start)"
	echo
	echo "restore ebs:// reached $ebs_mibs MiB/s against min(900 x 512 KiB/s = $cap_mibs, the target $local_mibs) MiB/s: target >= $want, ratio $(awk -v a="$ebs_mibs" -v w="$want" 'BEGIN { printf "%.2f", a / w * 0.85 }') of the min (>= 0.85);" \
	     "warm --snapshot (half) / full warm = $(ratio "$(median warm_snapshot_half)" "$(median warm_full)") (target <= 0.60)," \
	     "$(awk -v h="$(median warm_snapshot_half)" -v f="$(median warm_full)" -v s="$(median warm_start)" 'BEGIN { printf "%.3f", (h - s) / (f - s) }') net of the start." \
	     "The server counted $(echo "$stats" | jq .get) GetSnapshotBlock, $(echo "$stats" | jq .rejected) refused signatures, $(echo "$stats" | jq .throttled_by_cap) over its cap."
	echo
	echo "Against --connections (no read-back; data MiB/s received, requests/s):"
	echo
	echo "| connections | MiB/s | requests/s |"
	echo "|---|---|---|"
	awk '{ printf "| %s | %s | %s |\n", $1, $2, $3 }' "$OUT/ebs_conns.dat"
} | tee "$OUT/ebs.md"
