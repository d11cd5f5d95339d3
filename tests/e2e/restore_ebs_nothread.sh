# restore ebs:// when the hashing worker cannot be started (RLIMIT_NPROC
# under a uid nothing else runs as allows no more threads than the
# command starts before it): each block is hashed in place, the target
# comes out right, a bad checksum is still retried and then an error
# naming the block, nothing written. strace shows the refused clone.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"
need_cmd jq curl setpriv prlimit strace
[ "$(id -u)" = 0 ] || skip "needs root (to run the command as another uid)"
ebs_setup
# a uid with no processes: RLIMIT_NPROC counts every process of the uid
NOBODY=64999
ps -u $NOBODY >/dev/null 2>&1 && skip "uid $NOBODY has processes"

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

chmod 711 "$T"
# a copy that uid can run wherever the checkout is (/root is 0700)
mkdir -m 755 "$T/bin"
cp "$SS" "$T/bin/shadowsync" || fail "cannot copy $SS"
# confined NAME ARGS...: shadowsync ARGS as uid NOBODY with RLIMIT_NPROC
# 2 (main + watchdog), under strace for the refused clones (LeakSanitizer,
# make check-asan, needs a thread of its own at exit and cannot run
# traced: off). --force: as that uid it cannot look into other processes
# for TARGET's users (the in-use check is tested elsewhere).
confined() {
	local name=$1
	shift
	rm -f "$T/tgt"
	truncate -s $G "$T/tgt"
	chown $NOBODY:$NOBODY "$T/tgt"
	ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0 \
		strace -f -qq -e trace=clone,clone3 -o "$T/$name.trace" \
		prlimit --nproc=2:2 setpriv --reuid=$NOBODY --regid=$NOBODY \
		--clear-groups -- "$T/bin/shadowsync" "$@" --force >"$T/$name.json" 2>"$T/$name.err"
	RC=$?
}
# refused NAME: the number of thread starts the limit refused
refused() { grep -c 'EAGAIN' "$T/$1.trace"; }

confined clean restore ebs://$SNAP "$T/tgt" --target-is-zeroed $R --json
expect_rc 0 "clean: $(cat "$T/clean.err")"
cmp "$T/want" "$T/tgt" || fail "clean: the target is not the snapshot"
expect_json "$T/clean.json" .ebs.blocks_fetched 12
[ "$(refused clean)" -ge 1 ] || fail "no thread was refused: the fallback was not run"
note "clean: threads refused $(refused clean)"

# bad checksums twice: fetched again, the target right
ebs_fault "$P" '[{"op":"get","kind":"badsum","count":2,"after":3}]'
confined retried restore ebs://$SNAP "$T/tgt" --target-is-zeroed $R --json
expect_rc 0 "retried: $(cat "$T/retried.err")"
cmp "$T/want" "$T/tgt" || fail "retried: the target is not the snapshot"
expect_json "$T/retried.json" .ebs.checksum_retries 2
[ "$(curl -s "$EP/_ctl/stats" | jq .faults_left)" = 0 ] || fail "retried: not every fault was met"

# never the right data: an error naming the block, nothing written
ebs_fault "$P" '[{"op":"get","kind":"badsum","count":8}]'
confined badsum restore ebs://$SNAP "$T/tgt" $R --connections 1 --json
expect_rc 2 "badsum"
[ "$(wc -l <"$T/badsum.err")" = 1 ] || fail "badsum: not one line: $(cat "$T/badsum.err")"
grep -qE "^shadowsync: cannot read 'ebs://$SNAP' block [01]: the SHA-256 of its data is [A-Za-z0-9+/=]{44}, x-amz-Checksum says [A-Za-z0-9+/=]{44} \(4 attempts\)$" "$T/badsum.err" ||
	fail "badsum: $(cat "$T/badsum.err")"
[ "$(du -k "$T/tgt" | cut -f1)" = 0 ] || fail "badsum: the target was written"
[ "$(refused retried)" -ge 1 ] && [ "$(refused badsum)" -ge 1 ] ||
	fail "the worker was started in retried or badsum"
