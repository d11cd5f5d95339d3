# restore ebs://snap-B --base ebs://snap-A: onto a target that holds
# snapshot A (restored from it first), only the blocks ListChangedBlocks
# gives are fetched and written (pages of 3, every other one empty with a
# NextToken, as the service may send them: the listing goes on until no
# NextToken); blocks A has and B has not are zeroed; the header region is
# fetched whole and written last. The target comes out as B (cmp); the
# server saw GETs only of changed blocks, of B's header region and of the
# sample of A's blocks the check takes. Before writing, the target is
# checked to hold A: a target that does not is refused (exit 2, one line,
# untouched), by A's fetched blocks or by --base-manifest (A's manifest
# from --manifest-out). Unrelated snapshots and a base that does not
# exist are one clear line; --base does not go with --target-is-zeroed,
# --manifest-out or a source other than ebs://.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"
need_cmd jq curl
ebs_setup

K=524288
M=1048576
G=1073741824
A=snap-0000000000000000a
B=snap-0000000000000000b
C=snap-0000000000000000c
# A: 64 blocks, data except 40-47 (zeros, not listed)
mkrand "$T/a" $((64 * K))
dd if=/dev/zero of="$T/a" bs=$K seek=40 count=8 conv=notrunc status=none
# B: A with blocks 3 (header region), 20, 21, 50 changed; 41 and 42 new;
# 60 and 61 gone (zeros, not listed)
cp "$T/a" "$T/b"
for b in 3 20 21 50 41 42; do
	head -c $K /dev/urandom | dd of="$T/b" bs=$K seek=$b conv=notrunc status=none
done
dd if=/dev/zero of="$T/b" bs=$K seek=60 count=2 conv=notrunc status=none
cp "$T/b" "$T/want"
truncate -s $G "$T/want"
cat >"$T/snaps.json" <<EOF2
{"$A": {"image": "$T/a", "volume_gib": 1},
 "$B": {"image": "$T/b", "volume_gib": 1, "parent": "$A"},
 "$C": {"image": "$T/b", "volume_gib": 1}}
EOF2
start_ebs P "$T/snaps.json" --page-max 3 --empty-pages
R="--endpoint-url http://127.0.0.1:$P --region eu-west-3"
export AWS_ACCESS_KEY_ID=$EBS_KEY AWS_SECRET_ACCESS_KEY=$EBS_SECRET

# The target holds A, with A's manifest.
mkrand "$T/tgt" $((80 * K))
truncate -s $G "$T/tgt"
run_ss "$T/a.json" "$T/a.err" restore ebs://$A "$T/tgt" $R --manifest-out "$T/a.man" --json
expect_rc 0 "A: $(cat "$T/a.err")"
cp "$T/tgt" "$T/tgt.a"

L=$(ebs_logline)
run_ss "$T/inc.json" "$T/inc.err" restore ebs://$B "$T/tgt" --base ebs://$A $R --json
expect_rc 0 "incremental: $(cat "$T/inc.err")"
cmp "$T/want" "$T/tgt" || fail "incremental: the target is not snapshot B"
python3 "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" restore "$T/inc.json" 2>/dev/null ||
	fail "incremental: the report does not fit its schema"
LOG=$(ebs_log_since $L)
# changed past the header region: 20 21 41 42 50 60 61 (7), of which 60
# and 61 are zeroed, not fetched
gets_b=$(jq -c '[.[] | select(.op == "get" and .snap == "'$B'") | .idx] | sort' <<<"$LOG")
[ "$gets_b" = "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,20,21,41,42,50]" ] ||
	fail "incremental: GETs of B: $gets_b"
gets_a=$(jq '[.[] | select(.op == "get" and .snap == "'$A'")] | length' <<<"$LOG")
[ "$gets_a" -ge 1 ] && [ "$gets_a" -le 16 ] || fail "incremental: $gets_a GETs of A for the check"
# the changed list: 7 blocks past the header region + block 3, pages of 3
# with an empty one before each: until no NextToken
[ "$(jq '[.[] | select(.op == "changed")] | length' <<<"$LOG")" -ge 6 ] ||
	fail "incremental: the changed list was not paged through: $(jq -c '[.[] | select(.op == "changed") | {count, next}]' <<<"$LOG")"
jq -e '[.[] | select(.op == "changed")] | last | .next == false' <<<"$LOG" >/dev/null ||
	fail "incremental: the changed list stopped before its end"
jq -e '[.[] | select(.op == "changed" and .count == 0 and .next)] | length >= 1' <<<"$LOG" >/dev/null ||
	fail "incremental: no empty page came"
expect_json "$T/inc.json" '.ebs | {base_snapshot_id, blocks_written, blocks_unchanged}' \
	'{"base_snapshot_id":"'$A'","blocks_written":21,"blocks_unchanged":'$((2048 - 16 - 7))'}'
expect_json "$T/inc.json" .verify_result '"match"'
note "incremental: $(jq -c .ebs "$T/inc.json")"

# --base-manifest: A's manifest checks the target instead.
cp "$T/tgt.a" "$T/tgt"
run_ss "$T/man.json" "$T/man.err" restore ebs://$B "$T/tgt" --base ebs://$A --base-manifest "$T/a.man" $R --json
expect_rc 0 "base-manifest: $(cat "$T/man.err")"
cmp "$T/want" "$T/tgt" || fail "base-manifest: the target is not snapshot B"

# Refusals: exit 2, one line, the target untouched.
refused() {
	local name=$1 pat=$2
	shift 2
	cp "$T/tgt" "$T/tgt.before"
	run_ss "$T/$name.json" "$T/$name.err" restore "$@" --json
	expect_rc 2 "$name: $(cat "$T/$name.err")"
	[ "$(wc -l <"$T/$name.err")" = 1 ] || fail "$name: not one line: $(cat "$T/$name.err")"
	grep -Eq "$pat" "$T/$name.err" || fail "$name: '$(cat "$T/$name.err")' does not match '$pat'"
	cmp -s "$T/tgt" "$T/tgt.before" || fail "$name: the target was written"
	note "$name: $(cat "$T/$name.err")"
}
# a target that holds something else: its data blocks are not A's
mkrand "$T/tgt" $((64 * K))
truncate -s $G "$T/tgt"
refused not_a "^shadowsync: target '$T/tgt' does not hold the base snapshot $A: its block at offset [0-9]+ differs from the base's \(SHA-256\); restore ebs://$B in full, or give the --base it holds$" \
	ebs://$B "$T/tgt" --base ebs://$A $R
refused not_a_manifest "^shadowsync: target '$T/tgt' does not hold the base snapshot $A: its block at offset [0-9]+ differs from manifest '$T/a.man'; " \
	ebs://$B "$T/tgt" --base ebs://$A --base-manifest "$T/a.man" $R
refused unrelated "^shadowsync: cannot read 'ebs://$C': .*ValidationException: UNRELATED_SNAPSHOTS \($A is not of the same lineage as $C\)$" \
	ebs://$C "$T/tgt" --base ebs://$A $R
refused no_base "^shadowsync: cannot read 'ebs://$B': snapshot snap-0000000000000000f or $B not found in region eu-west-3" \
	ebs://$B "$T/tgt" --base ebs://snap-0000000000000000f $R
refused zeroed "^shadowsync: restore: --base says TARGET holds the base snapshot; it does not go with --target-is-zeroed$" \
	ebs://$B "$T/tgt" --base ebs://$A --target-is-zeroed $R
refused manifest_out "^shadowsync: restore: --base leaves the unchanged blocks unread" \
	ebs://$B "$T/tgt" --base ebs://$A --manifest-out "$T/m2" $R
refused not_ebs "^shadowsync: restore: --base goes with an ebs:// SOURCE only$" \
	"$T/b" "$T/tgt" --base ebs://$A
no_secrets "$EBS_SECRET" "Signature=" "Credential=" "Tk+/"
exit 0
