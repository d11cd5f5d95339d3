# restore from an EBS snapshot through the EBS direct APIs, against
# tests/tools/ebs_server.py on 127.0.0.1, which checks every request's
# SigV4 signature (service ebs) with Debian's python3-botocore and rejects
# a wrong one. The snapshot: a 1 GiB volume whose first 24 MiB hold data,
# listed in pages of 7 (opaque NextTokens with '+', '/', '='); two blocks
# that hold data in the image are NOT listed (as an encrypted snapshot's
# unwritten blocks: the service would not give zeros for them) and one
# listed block is all zeros. Onto a file and a loop device over old data:
# the target is the image with the unlisted blocks zeroed (cmp), no
# unlisted block is ever asked for, the first GetSnapshotBlock goes out
# before the listing is done, the report counts blocks, requests and the
# rate; --target-is-zeroed writes only data; --manifest-out, then a rerun
# with --manifest fetches only the header region again, and an earlier
# snapshot (blocks 24 to 47 not listed) with that manifest is refused
# naming one of them, nothing written. Refused, exit 2,
# one line, the target untouched: a target smaller than the volume, a
# wrong secret, an unknown key, a wrong region, a snapshot not found, one
# not completed, one denied, no credentials, a bad snapshot id. No
# secret, session token, signature or block token appears in any output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"
need_root "loop devices"
need_cmd jq curl losetup
ebs_setup

K=524288
M=1048576
G=1073741824
SNAP=snap-0123456789abcdef0
# The image: 48 blocks of 512 KiB; 10 and 11 zero (not listed), 20 and 21
# data but not listed, 30 zero and listed.
mkrand "$T/img" $((48 * K))
for b in 10 11 30; do dd if=/dev/zero of="$T/img" bs=$K seek=$b count=1 conv=notrunc status=none; done
LISTED=$(seq 0 47 | grep -vxE '10|11|20|21' | paste -sd, -)
# an earlier snapshot of that volume: blocks 24 to 47 not written yet
EARLIER=$(seq 0 23 | grep -vxE '10|11|20|21' | paste -sd, -)
cp "$T/img" "$T/want"
dd if=/dev/zero of="$T/want" bs=$K seek=20 count=2 conv=notrunc status=none
truncate -s $G "$T/want"
cat >"$T/snaps.json" <<EOF2
{"$SNAP": {"image": "$T/img", "volume_gib": 1, "blocks": [$LISTED]},
 "snap-00000000000000001": {"image": "$T/img", "volume_gib": 1, "state": "pending"},
 "snap-00000000000000002": {"image": "$T/img", "volume_gib": 1, "denied": true},
 "snap-00000000000000003": {"image": "$T/img", "volume_gib": 1, "blocks": [$EARLIER]}}
EOF2
start_ebs P "$T/snaps.json" --page-max 7 --list-delay-ms 30
EP=http://127.0.0.1:$P
R="--endpoint-url $EP --region eu-west-3"
export AWS_ACCESS_KEY_ID=$EBS_KEY AWS_SECRET_ACCESS_KEY=$EBS_SECRET
# no_env_key CMD...: CMD without the environment's key
no_env_key() {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	"$@"
	export AWS_ACCESS_KEY_ID=$EBS_KEY AWS_SECRET_ACCESS_KEY=$EBS_SECRET
}

# old data where zeros must land: the first 32 MiB and at 700 MiB
old_target() {
	rm -f "$1"
	mkrand "$1" $((32 * M))
	head -c $M /dev/urandom | dd of="$1" bs=$M seek=700 conv=notrunc status=none
	truncate -s $G "$1"
}
# accepted_since LINE: the server took every request since (signature
# checked by botocore), and never saw a GET of a block not listed
accepted_since() {
	local log
	log=$(ebs_log_since "$1")
	[ "$(jq '[.[] | select(.status != 200)] | length' <<<"$log")" = 0 ] ||
		fail "the server refused: $(jq -c '[.[] | select(.status != 200)][:3]' <<<"$log")"
	[ "$(jq '[.[] | select(.op == "get" and (.idx == 10 or .idx == 11 or .idx == 20 or .idx == 21))] | length' <<<"$log")" = 0 ] ||
		fail "a block not listed was asked for"
}

# Onto a file over old data; the text report too.
old_target "$T/tgt"
L=$(ebs_logline)
run_ss "$T/file.json" "$T/file.err" restore ebs://$SNAP "$T/tgt" $R --json
expect_rc 0 "file: $(cat "$T/file.err")"
cmp "$T/want" "$T/tgt" || fail "file: the target is not the snapshot (unlisted blocks zeroed)"
python3 "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" restore "$T/file.json" 2>/dev/null ||
	fail "file: the report does not fit its schema"
expect_json "$T/file.json" .result '"restored"'
expect_json "$T/file.json" .source '{"kind":"ebs","name":"ebs://'$SNAP'","size_bytes":'$G',"etag":null,"validator":"block-checksums"}'
expect_json "$T/file.json" .block_size_bytes $K
expect_json "$T/file.json" '.ebs | {snapshot_id, volume_size_bytes, block_size_bytes, blocks_listed, blocks_fetched, blocks_written, blocks_zeroed, blocks_skipped, list_requests, requests, retries, throttled}' \
	'{"snapshot_id":"'$SNAP'","volume_size_bytes":'$G',"block_size_bytes":'$K',"blocks_listed":44,"blocks_fetched":44,"blocks_written":43,"blocks_zeroed":2005,"blocks_skipped":0,"list_requests":7,"requests":51,"retries":0,"throttled":0}'
expect_json "$T/file.json" .verify_result '"match"'
expect_json "$T/file.json" .header_region_written true
accepted_since $L
LOG=$(ebs_log_since $L)
[ "$(jq '[.[] | select(.op == "get")] | length' <<<"$LOG")" = 44 ] || fail "file: not 44 GETs"
# streaming: the first GET went out before the last page was asked for
jq -e '(map(.op) | index("get")) < (map(.op) | rindex("list")) and .[0].op == "list"' <<<"$LOG" >/dev/null ||
	fail "file: the fetches waited for the whole listing: $(jq -c 'map(.op)' <<<"$LOG")"
[ "$(jq '[.[] | select(.op == "list" and .page_token)] | length' <<<"$LOG")" = 6 ] ||
	fail "file: the pages were not asked for with their NextTokens"
note "file: $(jq -c .ebs "$T/file.json")"

# Onto a loop device, with a session key from a profile; the text report.
old_target "$T/disk"
loop_attach DEV "$T/disk"
cat >"$T/creds" <<EOF2
[restore]
aws_access_key_id = $EBS_SKEY
aws_secret_access_key = $EBS_SSECRET
aws_session_token = $EBS_STOKEN
EOF2
L=$(ebs_logline)
AWS_SHARED_CREDENTIALS_FILE=$T/creds AWS_PROFILE=restore \
	no_env_key run_ss "$T/loop.report" "$T/loop.err" restore ebs://$SNAP "$DEV" $R --connections 8
expect_rc 0 "loop: $(cat "$T/loop.err")"
cmp "$T/want" "$DEV" || fail "loop: the device is not the snapshot"
accepted_since $L
[ "$(ebs_log_since $L | jq '[.[] | select(.akid != "'$EBS_SKEY'")] | length')" = 0 ] ||
	fail "loop: a request not signed with the profile's session key"
grep -qF "  snapshot $SNAP: volume 1.0 GiB, blocks of 512.0 KiB" "$T/loop.report" ||
	fail "loop: no snapshot line: $(cat "$T/loop.report")"
grep -qE "^  blocks: 44 listed, 44 fetched, 43 written, 2005 zeroed, 0 skipped$" "$T/loop.report" ||
	fail "loop: no blocks line: $(cat "$T/loop.report")"
grep -qE "^  51 requests \(7 listings\), 0 retries, 0 throttled, 0 ranges listed again, [0-9]+ requests/s, .*/s \(rate cap 900/s at the end\)$" "$T/loop.report" ||
	fail "loop: no requests line: $(cat "$T/loop.report")"

# A zeroed target: only data is written; --manifest-out, then a rerun
# with that manifest fetches only the header region's blocks again.
rm -f "$T/zt"
truncate -s $G "$T/zt"
run_ss "$T/zeroed.json" "$T/zeroed.err" restore ebs://$SNAP "$T/zt" $R --target-is-zeroed \
	--manifest-out "$T/man" --json
expect_rc 0 "zeroed: $(cat "$T/zeroed.err")"
cmp "$T/want" "$T/zt" || fail "zeroed: the target is not the snapshot"
expect_json "$T/zeroed.json" '.ebs | [.blocks_written, .blocks_zeroed, .blocks_skipped]' '[43,0,2005]'
[ "$(du -k "$T/zt" | cut -f1)" -le $((23 * 1024)) ] || fail "zeroed: more than the data allocated: $(du -k "$T/zt")"
L=$(ebs_logline)
run_ss "$T/again.json" "$T/again.err" restore ebs://$SNAP "$T/zt" $R --manifest "$T/man" --json
expect_rc 0 "again: $(cat "$T/again.err")"
cmp "$T/want" "$T/zt" || fail "again: the target changed"
expect_json "$T/again.json" .resumed true
expect_json "$T/again.json" .bytes_written 0
# the 14 listed blocks of the header region, and a sample (at most 16 a
# window, plus the last) of those already there, to check the source
# against the manifest: fetched, never written. The sample is drawn from
# the 30 other listed blocks (a block the snapshot does not list reads as
# zeros from any snapshot with a hole there): 16 of them.
n=$(ebs_log_since $L | jq '[.[] | select(.op == "get")] | length')
[ "$n" -ge $((14 + 16)) ] && [ "$n" -le $((14 + 17)) ] ||
	fail "again: $n blocks fetched, not the header region's 14 and a sample of 16 listed ones"
[ "$(jq .bytes_matching_checked "$T/again.json")" -gt 0 ] ||
	fail "again: nothing already there was checked against the source"
# The earlier snapshot onto that target with the later one's manifest:
# the listed blocks past the header region all match (a sample of them
# proves nothing), but 24 to 47 are in its hole (zeros) where the
# manifest says data: refused naming one of them, nothing written.
cp "$T/zt" "$T/zt.before"
L=$(ebs_logline)
run_ss "$T/earlier.json" "$T/earlier.err" restore ebs://snap-00000000000000003 "$T/zt" $R \
	--manifest "$T/man" --json
expect_rc 2 "earlier: $(cat "$T/earlier.err")"
[ "$(wc -l <"$T/earlier.err")" = 1 ] || fail "earlier: not one line: $(cat "$T/earlier.err")"
off=$(sed -n "s|^shadowsync: block at offset \([0-9]*\) of 'ebs://snap-00000000000000003' does not match manifest '$T/man', fetched twice$|\1|p" "$T/earlier.err")
[ -n "$off" ] && [ $((off % K)) = 0 ] && [ "$off" -ge $((24 * K)) ] && [ "$off" -lt $((48 * K)) ] ||
	fail "earlier: $(cat "$T/earlier.err")"
cmp -s "$T/zt" "$T/zt.before" || fail "earlier: the target was written"
[ "$(ebs_log_since $L | jq '[.[] | select(.op == "get" and .idx >= 24)] | length')" = 0 ] ||
	fail "earlier: a block it does not list was asked for"

# Refusals: exit 2, one line, the target untouched.
refused() {
	local name=$1 pat=$2
	shift 2
	old_target "$T/tgt"
	cp "$T/tgt" "$T/tgt.before"
	run_ss "$T/$name.json" "$T/$name.err" restore "$@" "$T/tgt" --json
	expect_rc 2 "$name: $(cat "$T/$name.err")"
	[ "$(wc -l <"$T/$name.err")" = 1 ] || fail "$name: not one line: $(cat "$T/$name.err")"
	grep -Eq "$pat" "$T/$name.err" || fail "$name: '$(cat "$T/$name.err")' does not match '$pat'"
	expect_json "$T/$name.json" .result '"error"'
	cmp -s "$T/tgt" "$T/tgt.before" || fail "$name: the target was written"
	note "$name: $(cat "$T/$name.err")"
}
rm -f "$T/small"
truncate -s $((512 * M)) "$T/small"
run_ss "$T/small.json" "$T/small.err" restore ebs://$SNAP "$T/small" $R --json
expect_rc 2 "small"
grep -qE "^shadowsync: target '$T/small' \(536870912 bytes\) is smaller than the image 'ebs://$SNAP' \($G bytes\)$" "$T/small.err" ||
	fail "small: $(cat "$T/small.err")"
[ "$(du -k "$T/small" | cut -f1)" = 0 ] || fail "small: the target was written"
AWS_SECRET_ACCESS_KEY=not-the-secret-at-all \
	refused wrong_secret "^shadowsync: cannot read 'ebs://$SNAP': 403 Forbidden: InvalidSignatureException \(the secret access key does not fit the key id, or this machine's clock is off; credentials from the environment\)$" \
	ebs://$SNAP $R
AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000 \
	refused unknown_key "^shadowsync: cannot read 'ebs://$SNAP': 403 Forbidden: UnrecognizedClientException \(the access key id or session token is unknown; credentials from the environment\)$" \
	ebs://$SNAP $R
refused wrong_region "^shadowsync: cannot read 'ebs://$SNAP': 403 Forbidden: InvalidSignatureException: the endpoint http://127.0.0.1:$P is not in region us-east-1 \(give the snapshot's region with --region\)$" \
	ebs://$SNAP --endpoint-url "$EP" --region us-east-1
refused not_found "^shadowsync: cannot read 'ebs://snap-0000000000000000f': snapshot snap-0000000000000000f not found in region eu-west-3, or not completed \(404 Not Found: ResourceNotFoundException: SNAPSHOT_NOT_FOUND\)$" \
	ebs://snap-0000000000000000f $R
refused pending "^shadowsync: cannot read 'ebs://snap-00000000000000001': snapshot snap-00000000000000001 not found in region eu-west-3, or not completed" \
	ebs://snap-00000000000000001 $R
refused denied "^shadowsync: cannot read 'ebs://snap-00000000000000002': access to snapshot snap-00000000000000002 denied \(403 Forbidden: AccessDeniedException: UNAUTHORIZED_ACCOUNT; credentials from the environment\)$" \
	ebs://snap-00000000000000002 $R
no_env_key refused no_credentials "^shadowsync: cannot read 'ebs://$SNAP': no AWS credentials: " ebs://$SNAP $R
refused bad_id "^shadowsync: 'ebs://snap-XYZ' is not ebs://snap-ID \(snap- and 8 to 17 hex digits\)$" \
	ebs://snap-XYZ $R
run_ss "$T/rps.json" "$T/rps.err" restore "$T/img" "$T/tgt" --max-rps 10
expect_rc 2 "--max-rps with a file"
grep -qx "shadowsync: restore: --max-rps goes with an ebs:// SOURCE only" "$T/rps.err" || fail "rps: $(cat "$T/rps.err")"

no_secrets "$EBS_SECRET" "$EBS_SSECRET" "$EBS_STOKEN" not-the-secret-at-all "Signature=" \
	"Credential=" "x-amz-security-token" "Tk+/" "blockToken" "pageToken"
exit 0
