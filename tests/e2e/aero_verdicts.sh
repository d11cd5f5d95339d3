# The cold-start verdict for every case, on generated images (format 4,
# 8 MiB write-blocks, 128 MiB: 15 write-blocks after the header region).
# Server 8.1 unless said otherwise.
. "$(dirname "$0")/../lib.sh"
need_mkaero
M=1048576

mk() { "$MKAERO" "$@" || fail "mkaero $*"; }

# verdict NAME WANT_RC WANT_VERDICT LOCAL SHADOW [ARGS...]: check the pair.
verdict() {
	local name=$1 rc=$2 want=$3 l=$4 s=$5
	shift 5
	run_ss "$T/out" "$T/err" verify "$l" "$s" --json "$@"
	expect_rc "$rc" "$name: $(cat "$T/err")"
	expect_json "$T/out" .pairs[0].cold_start.verdict "\"$want\""
	note "$name: $(jq -c '.pairs[0].cold_start | del(.reason)' "$T/out")"
}

# load-local: TRUSTED shadow, local header equal but for pristine_offset.
mk "$T/s1" --size 128M --flags TRUSTED --used 3
mk "$T/l1" --size 128M --flags TRUSTED --used 3 --pristine 40M
verdict load-local 0 load-local "$T/l1" "$T/s1"
expect_json "$T/out" .pairs[0].cold_start.data_matches true

# copy-from-shadow: shadow not TRUSTED (a crash or kill).
mk "$T/s2" --size 128M --used 3
mk "$T/l2" --size 128M --used 3
verdict copy-untrusted 0 copy-from-shadow "$T/l2" "$T/s2"
expect_json "$T/out" '.pairs[0].cold_start | [.used_wblocks, .copy_wblocks, .copy_bytes]' "[3,13,$((13 * 8 * M))]"
expect_json "$T/out" '.pairs[0].cold_start.reason | test("not TRUSTED")' true
# A used write-block after 9 unused ones restarts the count (asd's rule).
mk "$T/s2b" --size 128M --used 1 --skip 9
verdict copy-gap 1 copy-from-shadow "$T/l2" "$T/s2b"
expect_json "$T/out" '.pairs[0].cold_start | [.used_wblocks, .copy_wblocks]' '[1,15]'
# The sweep stops at the end of the device.
mk "$T/s2c" --size 128M --used 14
verdict copy-to-end 1 copy-from-shadow "$T/l2" "$T/s2c"
expect_json "$T/out" '.pairs[0].cold_start | [.used_wblocks, .copy_wblocks]' '[14,15]'

# copy-from-shadow: TRUSTED shadow, a different local header.
mk "$T/l3" --size 128M --flags TRUSTED --used 3 --n-devices 2
verdict copy-local-header 1 copy-from-shadow "$T/l3" "$T/s1"
expect_json "$T/out" '.pairs[0].extents[0].region' '"header"'
expect_json "$T/out" '.pairs[0].cold_start.reason | test("local header differs")' true

# reinit-from-shadow: zero shadow header, used write-blocks in its data.
mk "$T/s4" --size 128M --zero --used 2
verdict reinit 1 reinit-from-shadow "$T/l2" "$T/s4"
expect_json "$T/out" '.pairs[0].cold_start | [.local_data_dropped, .used_wblocks, .copy_wblocks]' '[false,2,12]'

# reinit, and nothing in the shadow: local's data is dropped. Warning first.
mk "$T/s5" --size 128M --zero
mk "$T/l5" --size 128M --flags TRUSTED --used 4
verdict reinit-drop 1 reinit-from-shadow "$T/l5" "$T/s5"
expect_json "$T/out" '.pairs[0].cold_start | [.local_data_dropped, .local_used_wblocks]' '[true,4]'
run_ss "$T/out" "$T/err" verify "$T/l5" "$T/s5"
expect_rc 1
head -1 "$T/out" | grep -q "^WARNING: the shadow '$T/s5' is blank (no header, no used write-block): asd will reinitialise the pair and drop the 4 used write-blocks of '$T/l5'; next: do not start asd" ||
	fail "reinit-drop: warning not first: $(head -2 "$T/out")"

# crash: each of asd's checks, with asd's own message and the device.
crash() {
	local name=$1 msg=$2 l=$3 s=$4
	shift 4
	verdict "$name" 1 crash "$l" "$s" "$@"
	expect_json "$T/out" .pairs[0].cold_start.message "\"$msg\""
	expect_json "$T/out" .summary.cold_start_verdicts.crash 1
}
mk "$T/junk" --size 128M --garbage
crash not-erased "$T/junk: not an Aerospike device but not erased - check config or erase device" "$T/l2" "$T/junk"
expect_json "$T/out" .pairs[0].cold_start.device "\"$T/junk\""
mk "$T/s3" --size 128M --format 3 --wbs 1M
crash old-format "$T/s3: Aerospike device has old format - must erase device to upgrade" "$T/l2" "$T/s3"
mk "$T/s7" --size 128M --format 7
crash unknown-version "$T/s7: unknown version 7" "$T/l2" "$T/s7"
mk "$T/s16" --size 128M --wbs 16M
crash wblock-change "$T/s16: can't change write-block-size from 16777216 to 8388608" "$T/l2" "$T/s16"
mk "$T/snd" --size 128M --n-devices 200
crash bad-n-devices "$T/snd: bad n-devices 200" "$T/l2" "$T/snd"
mk "$T/sid" --size 128M --device-id 130
crash bad-device-id "$T/sid: bad device-id 130" "$T/l2" "$T/sid"
mk "$T/sr0" --size 128M --random 0
crash random-zero "$T/sr0: random signature is 0" "$T/l2" "$T/sr0"
mk "$T/spo" --size 128M --pristine 4M
crash bad-pristine "$T/spo: bad pristine offset 4194304" "$T/l2" "$T/spo"
run_ss "$T/out" "$T/err" verify "$T/l2" "$T/junk"
expect_rc 1
head -1 "$T/out" | grep -q "^WARNING: asd will not start with '$T/l2': \"$T/junk: not an Aerospike device but not erased" ||
	fail "crash warning not first: $(head -2 "$T/out")"

# A smaller write-block that divides 8 MiB is fine on 8.1 (asd grows it).
mk "$T/s1m" --size 128M --wbs 1M
verdict wblock-divides 1 copy-from-shadow "$T/l2" "$T/s1m"

# Older servers: format 3 is theirs; before 6.4 every valid pair copies.
verdict old-server-format3 1 copy-from-shadow "$T/l2" "$T/s3" --server-version 5.7
verdict old-server-copies 0 copy-from-shadow "$T/l1" "$T/s1" --server-version 6.0
expect_json "$T/out" '.pairs[0].cold_start.reason | test("server 6.0 always reads the shadow")' true
verdict new-server-loads 0 load-local "$T/l1" "$T/s1" --server-version 6.4
verdict server-7.0-wbs 0 load-local "$T/l1" "$T/s1" --server-version 7.0

# Servers 4.0 and 4.1 know format 2 only (and always copy from the
# shadow); from 4.2 on, format 2 is "not an Aerospike device".
mk "$T/s2f" --size 128M --format 2 --flags TRUSTED --wbs 1M --used 3
mk "$T/l2f" --size 128M --format 2 --flags TRUSTED --wbs 1M --used 3
mk "$T/s3f" --size 128M --format 3 --flags TRUSTED --wbs 1M --used 3
mk "$T/l3f" --size 128M --format 3 --flags TRUSTED --wbs 1M --used 3
for v in 4.0 4.1; do
	verdict format2-on-$v 0 copy-from-shadow "$T/l2f" "$T/s2f" --server-version $v
	verdict format3-on-$v 1 crash "$T/l3f" "$T/s3f" --server-version $v
	expect_json "$T/out" '.pairs[0].cold_start.message | test("not an Aerospike device but not erased")' true
done
verdict format2-on-4.2 1 crash "$T/l2f" "$T/s2f" --server-version 4.2
verdict format3-on-4.2 0 copy-from-shadow "$T/l3f" "$T/s3f" --server-version 4.2

# Encrypted shadow: write-block use cannot be read from it.
mk "$T/senc" --size 128M --flags ENCRYPTED --used 3
verdict encrypted 1 copy-from-shadow "$T/l2" "$T/senc"
expect_json "$T/out" .pairs[0].cold_start.copy_bytes null

# No Aerospike header on either side: no prediction, exit by the data.
head -c $((16 * M)) /dev/urandom >"$T/p1"; cp "$T/p1" "$T/p2"
verdict plain 0 none "$T/p1" "$T/p2"
run_ss "$T/out" "$T/err" verify "$T/p1" "$T/p2" --server-version 9x
expect_rc 2
grep -q "server-version '9x'" "$T/err" || fail "bad server version: $(cat "$T/err")"
exit 0
