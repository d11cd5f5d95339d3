# restore from an EBS snapshot under faults the EBS direct APIs give,
# injected on demand by tests/tools/ebs_server.py (signatures checked by
# botocore): 429 ThrottlingException, 503, 400 RequestThrottledException
# (with its Reason) and 500 are retried with backoff and counted
# (throttled, retries) and the target comes out right; a block whose data
# does not fit its x-amz-Checksum, one cut short (Content-Length short of
# x-amz-Data-Length) and one whose connection breaks mid-body are fetched
# again; a block that never fits its checksum is an error naming the
# block, exit 2, nothing written; expired block tokens and an expired
# NextToken make the range listed again (relists) instead of failing, and
# so do tokens that expire during a slow restore (ExpiryTime); a stalled
# answer is retried after --stall-timeout; --max-rps holds the request
# rate (counted per second in the server's log) and a server capping
# GetSnapshotBlock below it makes the rate come down (throttled,
# rate_cap_at_end_rps) while the restore completes; a SIGINT while bad
# blocks are fetched again and good ones hashed stops it soon (130) with
# nothing but the snapshot's blocks written; ListChangedBlocks-style
# empty pages are covered by restore_ebs_incremental.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"
need_cmd jq curl
ebs_setup

K=524288
G=1073741824
SNAP=snap-0123456789abcdef0
mkrand "$T/img" $((40 * K))
dd if=/dev/zero of="$T/img" bs=$K seek=25 count=3 conv=notrunc status=none
cp "$T/img" "$T/want"
truncate -s $G "$T/want"
echo "{\"$SNAP\": {\"image\": \"$T/img\", \"volume_gib\": 1}}" >"$T/snaps.json"
start_ebs P "$T/snaps.json" --page-max 7
EP=http://127.0.0.1:$P
R="--endpoint-url $EP --region eu-west-3"
export AWS_ACCESS_KEY_ID=$EBS_KEY AWS_SECRET_ACCESS_KEY=$EBS_SECRET

# restored NAME ARGS...: a restore onto a fresh sparse target that must
# succeed and give the snapshot
restored() {
	local name=$1
	shift
	rm -f "$T/tgt"
	truncate -s $G "$T/tgt"
	run_ss "$T/$name.json" "$T/$name.err" restore ebs://$SNAP "$T/tgt" --target-is-zeroed "$@" --json
	expect_rc 0 "$name: $(cat "$T/$name.err")"
	cmp "$T/want" "$T/tgt" || fail "$name: the target is not the snapshot"
	expect_json "$T/$name.json" .ebs.blocks_fetched 37
	note "$name: $(jq -c '.ebs | {requests, retries, throttled, relists, checksum_retries, rate_cap_at_end_rps}' "$T/$name.json")"
}
# faulted NAME JSON ARGS...: the faults for the next requests, then restored
faulted() {
	local name=$1 faults=$2
	shift 2
	ebs_fault "$P" "$faults"
	restored "$name" "$@"
	[ "$(curl -s "$EP/_ctl/stats" | jq .faults_left)" = 0 ] || fail "$name: not every fault was met"
}

restored clean $R
expect_json "$T/clean.json" .ebs.retries 0

faulted throttling '[{"op":"get","kind":"429","count":3,"after":2},{"op":"get","kind":"503","count":3},
	{"op":"get","kind":"throttle","count":3},{"op":"get","kind":"500","count":2},{"op":"list","kind":"429","count":1,"after":1}]' $R
expect_json "$T/throttling.json" .ebs.throttled 10
expect_json "$T/throttling.json" .ebs.retries 12
expect_json "$T/throttling.json" .ebs.requests $((37 + 6 + 12))

faulted checksums '[{"op":"get","kind":"badsum","count":2,"after":5},{"op":"get","kind":"short","count":2},{"op":"get","kind":"cut","count":2}]' $R
expect_json "$T/checksums.json" .ebs.checksum_retries 4
expect_json "$T/checksums.json" .ebs.retries 6

faulted expired_block '[{"op":"get","kind":"expired","count":1,"after":10}]' $R
jq -e '.ebs.relists >= 1' "$T/expired_block.json" >/dev/null || fail "expired_block: no range listed again"

faulted expired_page '[{"op":"list","kind":"expired","count":1,"after":2}]' $R
expect_json "$T/expired_page.json" .ebs.relists 1
expect_json "$T/expired_page.json" .ebs.list_requests 7

faulted stalled '[{"op":"get","kind":"slow","ms":4000,"count":1,"after":3}]' $R --stall-timeout 1
jq -e '.ebs.retries >= 1' "$T/stalled.json" >/dev/null || fail "stalled: not retried"

# A block whose data never fits its checksum: an error naming it, before
# anything is written (it is in the header region).
ebs_fault "$P" '[{"op":"get","kind":"badsum","count":8}]'
rm -f "$T/tgt"
truncate -s $G "$T/tgt"
run_ss "$T/badsum.json" "$T/badsum.err" restore ebs://$SNAP "$T/tgt" $R --connections 1 --json
expect_rc 2 "badsum"
[ "$(wc -l <"$T/badsum.err")" = 1 ] || fail "badsum: not one line: $(cat "$T/badsum.err")"
grep -qE "^shadowsync: cannot read 'ebs://$SNAP' block [01]: the SHA-256 of its data is [A-Za-z0-9+/=]{44}, x-amz-Checksum says [A-Za-z0-9+/=]{44} \(4 attempts\)$" "$T/badsum.err" ||
	fail "badsum: $(cat "$T/badsum.err")"
[ "$(du -k "$T/tgt" | cut -f1)" = 0 ] || fail "badsum: the target was written"
note "badsum: $(cat "$T/badsum.err")"

# Tokens that expire during the restore (ExpiryTime 2 s after listing, a
# slow server): listed again, never a failure. A server capping
# GetSnapshotBlock at 40/s below --max-rps 400: throttled, the rate comes
# down, the restore completes.
start_ebs P2 "$T/snaps.json" --page-max 7 --token-ttl 2 --get-delay-ms 200
restored ttl --endpoint-url http://127.0.0.1:$P2 --region eu-west-3 --connections 2
jq -e '.ebs.relists >= 1' "$T/ttl.json" >/dev/null || fail "ttl: no range listed again"
start_ebs P3 "$T/snaps.json" --max-rps 40
# --max-rps holds the rate (a fresh server: no answer of another run late): never more than it (and its burst of a tenth)
# in any second of the server's log.
L=$(ebs_logline)
restored rps --endpoint-url http://127.0.0.1:$P3 --region eu-west-3 --max-rps 20
ebs_log_since $L | jq -e '[.[] | .t] as $t | [range(0; $t | length) as $i |
	[$t[] | select(. >= $t[$i] and . < $t[$i] + 1)] | length] | max <= 23' >/dev/null ||
	fail "rps: more than 20 requests in a second: $(ebs_log_since $L | jq -c '[.[] | .t]')"
expect_json "$T/rps.json" .ebs.max_rps 20

restored capped --endpoint-url http://127.0.0.1:$P3 --region eu-west-3 --max-rps 400 --connections 16
jq -e '.ebs.throttled >= 1 and .ebs.rate_cap_at_end_rps < 400' "$T/capped.json" >/dev/null ||
	fail "capped: the rate did not come down: $(jq -c .ebs "$T/capped.json")"

# SIGINT while bad blocks are fetched again and good ones are out for
# hashing (ebs_hash.c): exit 130 soon, and each block of the target is the
# snapshot's or untouched (zeros), never data that failed its checksum.
start_ebs P4 "$T/snaps.json" --workers 1 --get-delay-ms 200
ebs_fault "$P4" '[{"op":"get","kind":"badsum","count":6,"after":16}]'
rm -f "$T/tgt"
truncate -s $G "$T/tgt"
"$SS" restore ebs://$SNAP "$T/tgt" --target-is-zeroed --endpoint-url http://127.0.0.1:$P4 \
	--region eu-west-3 --connections 2 --part-size 1M --json >"$T/sigint.json" 2>"$T/sigint.err" &
pid=$!
sleep 3
kill -INT $pid
t0=$(date +%s%N)
wait $pid
RC=$?
expect_rc 130 "sigint: $(cat "$T/sigint.err")"
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ms -lt 5000 ] || fail "sigint: $ms ms to stop"
zero=$(mktemp -p "$T")
truncate -s $K "$zero"
written=0
for b in $(seq 0 39); do
	# block 0: past the first 4 KiB (the mark of an unfinished restore)
	skip=$((b ? 0 : 4096))
	cmp -s -n $((K - skip)) -i $((b * K + skip)):0 "$T/tgt" "$zero" && continue
	cmp -s -n $((K - skip)) -i $((b * K + skip)):$((b * K + skip)) "$T/tgt" "$T/want" ||
		fail "sigint: block $b of the target is neither the snapshot's nor zeros"
	written=$((written + 1))
done
note "sigint: stopped in $ms ms, $written blocks written (the snapshot's), the rest zeros"

no_secrets "$EBS_SECRET" "Signature=" "Credential=" "Tk+/" "blockToken"
exit 0
