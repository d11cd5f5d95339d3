# restore ebs:// when the hashing worker cannot be started (a pids cgroup
# that allows no more threads than the command starts before it): each
# block is hashed in place, the target comes out right, a bad checksum is
# still retried and then an error naming the block, nothing written.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"
need_cmd jq curl
ebs_setup
CG=/sys/fs/cgroup/pids
[ -f "$CG/cgroup.procs" ] || skip "no cgroup v1 pids controller at $CG"

K=524288
G=1073741824
SNAP=snap-0123456789abcdef0
mkrand "$T/img" $((12 * K))
cp "$T/img" "$T/want"
truncate -s $G "$T/want"
echo "{\"$SNAP\": {\"image\": \"$T/img\", \"volume_gib\": 1}}" >"$T/snaps.json"
start_ebs P "$T/snaps.json"
EP=http://127.0.0.1:$P
R="--endpoint-url $EP --region eu-west-3 --engine psync"
export AWS_ACCESS_KEY_ID=$EBS_KEY AWS_SECRET_ACCESS_KEY=$EBS_SECRET

cg=$CG/ss-nothread-$$
mkdir "$cg" && [ -f "$cg/pids.max" ] || skip "cannot make a pids cgroup in $CG"
at_exit rmdir "$cg"
# confined NAME ARGS...: shadowsync ARGS with pids.max = main + watchdog
# (LeakSanitizer, make check-asan, needs a thread of its own at exit: off)
confined() {
	local name=$1
	shift
	echo 2 >"$cg/pids.max"
	ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0 sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$cg" \
		"$SS" "$@" >"$T/$name.json" 2>"$T/$name.err"
	RC=$?
}

events0=$(awk '$1 == "max" {print $2}' "$cg/pids.events")
rm -f "$T/tgt"; truncate -s $G "$T/tgt"
confined clean restore ebs://$SNAP "$T/tgt" --target-is-zeroed $R --json
expect_rc 0 "clean: $(cat "$T/clean.err")"
cmp "$T/want" "$T/tgt" || fail "clean: the target is not the snapshot"
expect_json "$T/clean.json" .ebs.blocks_fetched 12
events1=$(awk '$1 == "max" {print $2}' "$cg/pids.events")
[ "$events1" -gt "$events0" ] || fail "no thread was refused: the fallback was not run"
note "clean: threads refused $((events1 - events0))"

# bad checksums twice: fetched again, the target right
ebs_fault "$P" '[{"op":"get","kind":"badsum","count":2,"after":3}]'
rm -f "$T/tgt"; truncate -s $G "$T/tgt"
confined retried restore ebs://$SNAP "$T/tgt" --target-is-zeroed $R --json
expect_rc 0 "retried: $(cat "$T/retried.err")"
cmp "$T/want" "$T/tgt" || fail "retried: the target is not the snapshot"
expect_json "$T/retried.json" .ebs.checksum_retries 2
[ "$(curl -s "$EP/_ctl/stats" | jq .faults_left)" = 0 ] || fail "retried: not every fault was met"

# never the right data: an error naming the block, nothing written
ebs_fault "$P" '[{"op":"get","kind":"badsum","count":8}]'
rm -f "$T/tgt"; truncate -s $G "$T/tgt"
confined badsum restore ebs://$SNAP "$T/tgt" $R --connections 1 --json
expect_rc 2 "badsum"
[ "$(wc -l <"$T/badsum.err")" = 1 ] || fail "badsum: not one line: $(cat "$T/badsum.err")"
grep -qE "^shadowsync: cannot read 'ebs://$SNAP' block [01]: the SHA-256 of its data is [A-Za-z0-9+/=]{44}, x-amz-Checksum says [A-Za-z0-9+/=]{44} \(4 attempts\)$" "$T/badsum.err" ||
	fail "badsum: $(cat "$T/badsum.err")"
[ "$(du -k "$T/tgt" | cut -f1)" = 0 ] || fail "badsum: the target was written"
events2=$(awk '$1 == "max" {print $2}' "$cg/pids.events")
[ "$events2" -ge $((events1 + 2)) ] || fail "the worker was started in retried or badsum"
