# What a hostile review of restore found, each now refused: a target said
# to be zeroed that is not (the zero blocks skipped would keep its data,
# unchecked); --manifest-out over the file stdin is redirected from (the
# image itself); --manifest-out with an image smaller than the target,
# which used to be refused only after the header region was committed;
# a header commit that put the page at 0 (magic, TRUSTED) on before the
# rest of the header region was durable; an image smaller than TARGET
# that left TARGET's old write-blocks past its end, for asd to sweep; a
# resume that trusted a manifest of another image than the source; a
# SIGINT in the header commit reported as if the header were not written.
. "$(dirname "$0")/../lib.sh"
need_cmd zstd
M=1048576
fixtures "$T/fx"
IMG=$T/fx/ns1-a.dat
SIZE=$(stat -c %s "$IMG")

# --target-is-zeroed on a target full of data: refused, nothing written.
mkrand "$T/rnd" "$SIZE"
cp "$T/rnd" "$T/t1"
run_ss "$T/out" "$T/err" restore "$IMG" "$T/t1" --target-is-zeroed
expect_rc 2
grep -q "^shadowsync: --target-is-zeroed, but target '$T/t1' does not read as zeros" "$T/err" ||
	fail "not zeroed: $(cat "$T/err")"
cmp -s "$T/rnd" "$T/t1" || fail "a refused --target-is-zeroed wrote the target"
# A fresh sparse target is fine, and a rerun over our own mark too.
truncate -s "$SIZE" "$T/t2"
run_ss "$T/out" "$T/err" restore "$IMG" "$T/t2" --target-is-zeroed
expect_rc 0 "$(cat "$T/err")"
cmp -s "$IMG" "$T/t2" || fail "zeroed target: not the image"

# --manifest-out naming the file stdin comes from: refused, the image kept.
cp "$IMG" "$T/imgc"
truncate -s "$SIZE" "$T/t3"
"$SS" restore - "$T/t3" --manifest-out "$T/imgc" <"$T/imgc" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2
grep -q "cannot create manifest '$T/imgc'" "$T/err" || fail "stdin's file: $(cat "$T/err")"
cmp -s "$IMG" "$T/imgc" || fail "--manifest-out overwrote the image stdin came from"

# --manifest-out with an image smaller than the target: a file's size is
# known, refused before anything is written; so is a stream's when its
# manifest says it (a stream without one must fill the target: restore_stdin).
head -c $((16 * M)) "$IMG" >"$T/small.img"
mkrand "$T/t4" $((32 * M))
cp "$T/t4" "$T/t4.before"
run_ss "$T/out" "$T/err" restore "$T/small.img" "$T/t4" --manifest-out "$T/t4.man"
expect_rc 2
grep -q "larger than the image" "$T/err" || fail "coverage, file: $(cat "$T/err")"
cmp -s "$T/t4" "$T/t4.before" || fail "coverage, file: the target was written"
"$SS" hash "$T/small.img" -o "$T/small.man" >/dev/null 2>"$T/err" || fail "hash: $(cat "$T/err")"
"$SS" restore - "$T/t4" --manifest "$T/small.man" --manifest-out "$T/t4.man" --json \
	<"$T/small.img" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2
[ -e "$T/t4.man" ] && fail "a manifest was written"
grep -q "larger than the image" "$T/err" || fail "coverage, stream: $(cat "$T/err")"
cmp -s "$T/t4" "$T/t4.before" || fail "coverage, stream: the target was written"
note "stream: $(cat "$T/err")"

# The header commit: the header region past its first page is written
# and made durable before that page (magic, TRUSTED) goes over the mark.
# A write error in the rest of the header region (device_id, 69632: a
# block of its own at --block-size 4K) must leave the mark, not a valid
# header over a stale header region; a rerun finishes.
need_root "FUSE"
need_mkaero
"$MKAERO" "$T/hdr.img" --size $((64 * M)) --namespace ns1 --flags TRUSTED \
	--device-id 3 --used 3 || fail mkaero
truncate -s $((64 * M)) "$T/hdr.tgt"
export SLOWDEV_WEIO=69632
slow_device "$T/hw" "$T/hdr.tgt" 0
unset SLOWDEV_WEIO
run_ss "$T/out" "$T/err" restore "$T/hdr.img" "$T/hw/dev" --engine psync --block-size 4K
expect_rc 2 "$(cat "$T/err")"
grep -q "^shadowsync: cannot write the header region of target '$T/hw/dev' at offset 69632: Input/output error" \
	"$T/err" || fail "header EIO: $(cat "$T/err")"
run_ss "$T/out" "$T/err" inspect "$T/hdr.tgt" --json
expect_rc 0 "$(cat "$T/err")"
[ "$(jq -r .state "$T/out")" != aerospike ] ||
	fail "a failed header commit left a valid header over a stale header region"
head -c 30 "$T/hdr.tgt" | qgrep -a "SHADOWSYNC RESTORE" || fail "the mark is gone"
# inspect names the unfinished restore (it said only not-aerospike)
expect_json "$T/out" .state '"unfinished-restore"'
run_ss "$T/out" "$T/err" inspect "$T/hdr.tgt"
expect_rc 0 "$(cat "$T/err")"
grep -qx "  state             unfinished-restore" "$T/out" || fail "inspect, text: $(cat "$T/out")"
run_ss "$T/out" "$T/err" inspect "$T/hdr.tgt" --records --json
expect_rc 2 "inspect --records of a marked device"
grep -q "(unfinished-restore: a restore of it did not finish; run it again)" "$T/err" ||
	fail "inspect --records: $(cat "$T/err")"
expect_json "$T/out" .devices[0].state '"unfinished-restore"'
_fuse_cleanup "$T/hw"
run_ss "$T/out" "$T/err" restore "$T/hdr.img" "$T/hdr.tgt" --block-size 4K
expect_rc 0 "rerun: $(cat "$T/err")"
cmp -s "$T/hdr.img" "$T/hdr.tgt" || fail "header EIO: the rerun did not finish"

# An image smaller than TARGET: TARGET's old write-blocks past the image's
# end must go (asd sweeps the device to its end and would read them);
# zeroed, read back, counted. With --target-is-zeroed they are not
# touched, and the report says so.
"$MKAERO" "$T/big.img" --size $((256 * M)) --namespace ns1 --used 31 || fail mkaero
"$MKAERO" "$T/small.aero" --size $((128 * M)) --namespace ns1 --used 5 || fail mkaero
cp "$T/big.img" "$T/t5"
run_ss "$T/out" "$T/err" restore "$T/small.aero" "$T/t5" --json
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" .bytes_zeroed_past_image $((128 * M))
expect_json "$T/out" .bytes_verified $((256 * M))
cmp -s -n $((128 * M)) "$T/small.aero" "$T/t5" || fail "tail: the image is not on the target"
cmp -s -i $((128 * M)):0 -n $((128 * M)) "$T/t5" /dev/zero || fail "tail: TARGET past the image still holds data"
run_ss "$T/out" "$T/err" inspect "$T/t5" --records --json
expect_rc 0 "inspect --records: $(cat "$T/err")"
expect_json "$T/out" .devices[0].records.beyond_stop.used_wblocks 0
cp "$T/big.img" "$T/t5"
run_ss "$T/out" "$T/err" restore "$T/small.aero" "$T/t5"
expect_rc 0 "$(cat "$T/err")"
grep -q "zeroed the target's last 128.0 MiB, past the image's end" "$T/out" || fail "tail, text: $(cat "$T/out")"
truncate -s $((256 * M)) "$T/t6"
run_ss "$T/out" "$T/err" restore "$T/small.aero" "$T/t6" --target-is-zeroed
expect_rc 0 "$(cat "$T/err")"
grep -q "the target's last 128.0 MiB, past the image's end, not zeroed (--target-is-zeroed)" \
	"$T/out" || fail "tail, zeroed target: $(cat "$T/out")"

# Resume with a manifest that is not the source's: the target holds image
# 2, its manifest is given, the source is image 1 (the same header
# region). The target's blocks match the manifest, but the source's must
# too: refused naming the first block that does not, from a file and from
# a stream (whose read-through is hashed), the target untouched.
"$MKAERO" "$T/i1" --size $((64 * M)) --namespace ns1 --used 5 --seed 1 || fail mkaero
"$MKAERO" "$T/i2" --size $((64 * M)) --namespace ns1 --used 5 --seed 2 || fail mkaero
cmp -s -n $((8 * M)) "$T/i1" "$T/i2" || fail "the images' header regions differ"
"$SS" hash "$T/i2" -o "$T/i2.man" >/dev/null 2>"$T/err" || fail "hash: $(cat "$T/err")"
cp "$T/i2" "$T/t7"
run_ss "$T/out" "$T/err" restore "$T/i1" "$T/t7" --manifest "$T/i2.man"
expect_rc 2 "wrong manifest, file: $(cat "$T/err")"
grep -qx "shadowsync: block at offset $((8 * M)) of '$T/i1' does not match manifest '$T/i2.man', fetched twice" \
	"$T/err" || fail "wrong manifest, file: $(cat "$T/err")"
cmp -s "$T/i2" "$T/t7" || fail "wrong manifest, file: the target was written"
"$SS" restore - "$T/t7" --manifest "$T/i2.man" <"$T/i1" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2 "wrong manifest, stream: $(cat "$T/err")"
grep -qx "shadowsync: block at offset $((8 * M)) of 'stdin' does not match manifest '$T/i2.man'; a stream cannot be fetched again" \
	"$T/err" || fail "wrong manifest, stream: $(cat "$T/err")"
cmp -s "$T/i2" "$T/t7" || fail "wrong manifest, stream: the target was written"
# The right source: resumed, nothing written, all of it checked.
run_ss "$T/out" "$T/err" restore "$T/i2" "$T/t7" --manifest "$T/i2.man" --json
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" .resumed true
expect_json "$T/out" .bytes_written 0
expect_json "$T/out" .bytes_matching_checked $((56 * M))

# A SIGINT landing in the header commit: whoever reports (here the
# watchdog, the commit's fdatasyncs being held 3 s each by strace, so a
# loaded machine still signals before the last one returns) says
# what happened: header_region_written false while only the rest of the
# header region is written, true once its first page is (before the
# last fdatasync). The image: a header region alone.
"$MKAERO" "$T/h8.img" --size $((8 * M)) --namespace ns1 --flags TRUSTED || fail mkaero
sigint_in_commit() {	# sigint_in_commit CASE CONDITION-CMD
	local spid pid i
	mkrand "$T/h8.tgt" $((8 * M))
	ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0 \
		strace -f -o /dev/null -e trace=fdatasync -e inject=fdatasync:delay_exit=3000000 \
		"$SS" restore "$T/h8.img" "$T/h8.tgt" --json >"$T/sig.json" 2>"$T/sig.err" &
	spid=$!
	for i in $(seq 200); do
		pid=$(pgrep -P $spid) && break
		sleep 0.05
	done
	[ -n "$pid" ] || fail "$1: no restore under strace"
	for i in $(seq 500); do
		$2 && break
		sleep 0.02
	done
	$2 || fail "$1: the commit never reached that point"
	kill -INT "$pid"
	wait $spid
	RC=$?
	expect_rc 130 "$1: $(cat "$T/sig.err")"
	python3 -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" restore "$T/sig.json" ||
		fail "$1: the report is not restore's schema: $(cat "$T/sig.json")"
	note "$1: $(cat "$T/sig.err")"
}
rest_only() {
	cmp -s -i 4096 -n $((M - 4096)) "$T/h8.img" "$T/h8.tgt" && ! cmp -s -n 4096 "$T/h8.img" "$T/h8.tgt"
}
page0_on() { cmp -s -n 4096 "$T/h8.img" "$T/h8.tgt"; }
need_cmd strace pgrep
sigint_in_commit rest-only rest_only
expect_json "$T/sig.json" .header_region_written false
cmp -s -n 4096 "$T/h8.img" "$T/h8.tgt" && fail "rest-only: the first page went on"
sigint_in_commit page0 page0_on
expect_json "$T/sig.json" .header_region_written true
grep -q "the header region was written; run restore again" "$T/sig.err" || fail "page0: $(cat "$T/sig.err")"

# And in the order the kernel sees (strace, psync): the rest of the header
# region, fdatasync, then the page at 0, fdatasync.
truncate -s 0 "$T/hdr.tgt"
truncate -s $((64 * M)) "$T/hdr.tgt"
need_cmd strace
traced -f -e trace=pwrite64,fdatasync,fsync,fallocate -o "$T/trace" \
	"$SS" restore "$T/hdr.img" "$T/hdr.tgt" --engine psync --block-size 4K >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "$(cat "$T/err")"
awk -v hdr=$((8 * M)) '
	/fdatasync\(|fsync\(/ { if (rest && !page0) restF = NR; if (page0) lastF = NR; next }
	/pwrite64\(/ { n = split($0, a, ", "); o = a[n]; sub(/\).*/, "", o)
		if (o >= hdr) { data = NR; next }
		if (!data) next		# the mark
		if (o == 0) { page0 = NR; next }
		rest = NR; if (page0) bad = bad " rest-after-page0" }
	END { if (!rest) bad = bad " no-rest"; if (!page0) bad = bad " no-page0"
	      if (page0 && !(restF && restF < page0)) bad = bad " page0-before-rest-flush"
	      if (!lastF) bad = bad " page0-not-flushed"; print bad }' "$T/trace" >"$T/verdict"
[ -z "$(tr -d ' \n' <"$T/verdict")" ] || fail "header commit order:$(cat "$T/verdict")"
exit 0
