# warm --snapshot: read only the blocks an EBS snapshot holds, as its
# ListSnapshotBlocks lists them (tests/tools/ebs_server.py on 127.0.0.1,
# signatures checked by botocore, pages of 7). On a loop device, with the
# psync engine under strace: every pread64 lies in a listed block, the
# reads cover every listed block once, adjacent blocks are merged into
# reads larger than a block, and nothing else is read; the report (text
# and JSON, checked against its schema) gives the blocks listed and the
# bytes not read. A device smaller than the volume, a wrong secret, and
# --snapshot with --ranges or --manifest-out are one clear line, exit 2.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"
need_root "loop devices"
need_cmd jq strace losetup
ebs_setup

K=524288
M=1048576
SNAP=snap-0123456789abcdef0
# Listed: blocks 0-5, 9, 20-29, 100-102, 1000 of a 1 GiB volume.
LISTED="0,1,2,3,4,5,9,20,21,22,23,24,25,26,27,28,29,100,101,102,1000"
mkrand "$T/img" $((1001 * K))
echo "{\"$SNAP\": {\"image\": \"$T/img\", \"volume_gib\": 1, \"blocks\": [$LISTED]}}" >"$T/snaps.json"
start_ebs P "$T/snaps.json" --page-max 7
R="--endpoint-url http://127.0.0.1:$P --region eu-west-3"
export AWS_ACCESS_KEY_ID=$EBS_KEY AWS_SECRET_ACCESS_KEY=$EBS_SECRET

truncate -s $((1024 * M)) "$T/disk"
loop_attach DEV "$T/disk"
traced -f -e trace=pread64 -o "$T/strace" \
	"$SS" warm "$DEV" --snapshot $SNAP $R --engine psync --json >"$T/warm.json" 2>"$T/warm.err"
RC=$?
expect_rc 0 "warm: $(cat "$T/warm.err")"
python3 "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" warm "$T/warm.json" 2>/dev/null ||
	fail "the report does not fit its schema"
expect_json "$T/warm.json" .bytes_read $((21 * K))
expect_json "$T/warm.json" .ranges 5
expect_json "$T/warm.json" '.snapshot | {snapshot_id, blocks_listed, bytes_listed, bytes_not_read, list_requests}' \
	'{"snapshot_id":"'$SNAP'","blocks_listed":21,"bytes_listed":'$((21 * K))',"bytes_not_read":'$((1024 * M - 21 * K))',"list_requests":3}'
# The reads of the device (whole 4 KiB multiples; ld.so preads ELF headers).
sed -n 's/.*pread64([0-9]*, .*, \([0-9]*\), \([0-9]*\)) = [0-9]*$/\2 \1/p' "$T/strace" | sort -n >"$T/reads"
[ -s "$T/reads" ] || fail "strace saw no reads: $(head -3 "$T/strace")"
# each read lies in listed blocks; together they are each listed block once
awk -v K=$K -v L="$LISTED" 'BEGIN { n = split(L, b, ","); for (i = 1; i <= n; i++) want[b[i]] = 1 }
	$2 % 4096 == 0 { for (o = $1; o < $1 + $2; o += K) { blk = o / K
	    if (!(blk in want)) { print "read of block " blk " not listed"; bad = 1 }
	    if (seen[blk]++) { print "block " blk " read twice"; bad = 1 } }
	  if ($2 > K) merged++ }
	END { for (x in want) if (!(x in seen)) { print "block " x " not read"; bad = 1 }
	      if (!merged) { print "no read larger than a block"; bad = 1 }
	      exit bad }' "$T/reads" >"$T/bad" || fail "reads: $(head -5 "$T/bad")"
note "reads: $(wc -l <"$T/reads") preads, $(awk '{ s += $2 } END { print s }' "$T/reads") bytes"

run_ss "$T/warm.report" "$T/warm.err" warm "$DEV" --snapshot ebs://$SNAP $R
expect_rc 0 "text: $(cat "$T/warm.err")"
grep -qF "  snapshot $SNAP lists 21 blocks of 512.0 KiB (10.5 MiB) in 5 ranges: 1013.5 MiB of '$DEV' not read (3 list requests)" "$T/warm.report" ||
	fail "text: $(cat "$T/warm.report")"

# Errors: one line, exit 2.
refused() {
	local name=$1 pat=$2
	shift 2
	run_ss "$T/$name.out" "$T/$name.err" warm "$@"
	expect_rc 2 "$name: $(cat "$T/$name.err")"
	[ "$(wc -l <"$T/$name.err")" = 1 ] || fail "$name: not one line: $(cat "$T/$name.err")"
	grep -Eq "$pat" "$T/$name.err" || fail "$name: '$(cat "$T/$name.err")' does not match '$pat'"
	note "$name: $(cat "$T/$name.err")"
}
truncate -s $((512 * M)) "$T/small"
refused small "^shadowsync: warm: '$T/small' \(536870912 bytes\) is smaller than the volume of snapshot $SNAP \(1073741824 bytes\): not a volume made from it$" \
	"$T/small" --snapshot $SNAP $R
AWS_SECRET_ACCESS_KEY=wrong-secret-here \
	refused wrong_secret "^shadowsync: warm: cannot read 'ebs://$SNAP': 403 Forbidden: InvalidSignatureException \(the secret access key does not fit" \
	"$DEV" --snapshot $SNAP $R
echo "0 1M" >"$T/ranges"
refused both "^shadowsync: warm: --ranges and --snapshot both say what to read; give one$" \
	"$DEV" --snapshot $SNAP --ranges "$T/ranges" $R
refused manifest "^shadowsync: warm: --manifest-out needs the whole device; it does not go with --snapshot$" \
	"$DEV" --snapshot $SNAP --manifest-out "$T/m" $R
refused region_alone "^shadowsync: warm: --region, --endpoint-url and --cacert go with --snapshot$" \
	"$DEV" --region eu-west-3
no_secrets "$EBS_SECRET" wrong-secret-here "Signature=" "Credential=" "Tk+/"
exit 0
