# restore from HTTP killed (SIGKILL) a third of the way through, then run
# again with the same arguments and --manifest: the rerun reads the
# target first and fetches only what is missing. nginx (127.0.0.1, rate
# limited so that the kill lands mid-restore) counts the bytes it sent in
# its access log: the rerun's are the header region (always fetched and
# checked), what the killed run had not written, and a sample of what it
# had (bytes_matching_checked: the source checked against the manifest);
# the report's bytes_read and bytes_skipped_matching add up to the image
# and that sample. A third run fetches only the header region and a
# sample. An image that is not the manifest's, over a target that is
# (restored before), is refused naming a sampled block, nothing written.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"

M=1048576
SIZE=$((64 * M))
mkdir -p "$T/www"
mkrand "$T/www/img" $SIZE
"$SS" hash "$T/www/img" -o "$T/img.man" >/dev/null || fail hash
NGINX_SERVER="limit_rate 6m; access_log $T/access.log;" start_nginx P "$T/www"
URL="http://127.0.0.1:$P/img?X-Amz-Signature=0123secretsig"
truncate -s $SIZE "$T/tgt"

# bytes nginx sent for /img since line $1 of its access log (combined:
# the 10th field is the body's bytes)
sent_since() { tail -n +"$1" "$T/access.log" | awk '{ s += $10 } END { print s + 0 }'; }
logline() { echo $(($(wc -l <"$T/access.log") + 1)); }

"$SS" restore "$URL" "$T/tgt" --manifest "$T/img.man" --connections 4 --part-size 1M \
	>"$T/killed.report" 2>"$T/killed.err" &
pid=$!
for i in $(seq 500); do
	[ "$(stat -c %b "$T/tgt")" -gt $((24 * M / 512)) ] && break
	sleep 0.02
done
kill -KILL $pid 2>/dev/null
wait $pid
RC=$?
expect_rc 137 "the kill: $(cat "$T/killed.err")"
cmp -s "$T/www/img" "$T/tgt" && fail "finished before the kill: the test did not test"
head -c 30 "$T/tgt" | qgrep "SHADOWSYNC RESTORE IN PROGRESS" || fail "killed: the target is not marked"
had=$(( $(stat -c %b "$T/tgt") * 512 ))
note "killed with $had bytes of the target allocated"

L=$(logline)
run_ss "$T/rerun.json" "$T/rerun.err" restore "$URL" "$T/tgt" --manifest "$T/img.man" \
	--connections 4 --part-size 1M --json
expect_rc 0 "rerun: $(cat "$T/rerun.err")"
cmp "$T/www/img" "$T/tgt" || fail "rerun: the target differs from the image"
expect_json "$T/rerun.json" .resumed true
expect_json "$T/rerun.json" .target.state_before '"unfinished-restore"'
expect_json "$T/rerun.json" .bytes_scanned $SIZE
expect_json "$T/rerun.json" .retries 0
expect_json "$T/rerun.json" .verified true
skipped=$(jq .bytes_skipped_matching "$T/rerun.json")
checked=$(jq .bytes_matching_checked "$T/rerun.json")
read=$(jq .bytes_read "$T/rerun.json")
sent=$(sent_since $L)
note "rerun: read $read bytes ($sent sent by nginx), skipped $skipped already on the target, $checked of it fetched to check"
[ "$skipped" -ge $((16 * M)) ] || fail "rerun skipped only $skipped bytes already on the target"
# a sample: every stride-th block (matching / 16, rounded up: at most 16),
# the first and the last
[ "$checked" -ge $((2 * M)) ] && [ "$checked" -le "$skipped" ] ||
	fail "rerun checked $checked of the $skipped bytes it skipped"
# read what is missing (the header region included), the sample, the probe's byte
[ $((read + skipped)) = $((SIZE + checked + 1)) ] ||
	fail "rerun read $read bytes, skipped $skipped, checked $checked: not the image's $SIZE"
[ "$sent" = "$read" ] || fail "nginx sent $sent bytes, the report says $read"
expect_json "$T/rerun.json" .requests $((1 + (SIZE - skipped + checked) / M))

# A third run: only the header region again and the sample, nothing written.
L=$(logline)
run_ss "$T/third.json" "$T/third.err" restore "$URL" "$T/tgt" --manifest "$T/img.man" \
	--connections 4 --part-size 1M --json
expect_rc 0 "third run: $(cat "$T/third.err")"
checked=$(jq .bytes_matching_checked "$T/third.json")
# 56 blocks of 1 MiB match: every 4th (56 / 16 rounded up), 14, and the last
[ "$checked" = $((15 * M)) ] || fail "third run: checked $checked bytes of the source"
expect_json "$T/third.json" .bytes_read $((8 * M + checked + 1))
expect_json "$T/third.json" .bytes_written 0
expect_json "$T/third.json" .restore_mark false
[ "$(sent_since $L)" = $((8 * M + checked + 1)) ] || fail "third run: nginx sent $(sent_since $L) bytes"
cmp "$T/www/img" "$T/tgt" || fail "third run: the target differs"

# Another image (the same header region) with this image's manifest, over
# the target holding this image: resumed, but the sample shows the source
# is not the manifest's; refused naming the block, the target untouched.
cp "$T/www/img" "$T/www/other"
dd if=/dev/urandom of="$T/www/other" bs=1M seek=8 count=56 conv=notrunc status=none
run_ss "$T/out" "$T/err" restore "http://127.0.0.1:$P/other" "$T/tgt" --manifest "$T/img.man" \
	--connections 4 --part-size 1M
expect_rc 2 "another image: $(cat "$T/err")"
grep -qx "shadowsync: block at offset $((8 * M)) of 'http://127.0.0.1:$P/other' does not match manifest '$T/img.man', fetched twice" \
	"$T/err" || fail "another image: $(cat "$T/err")"
cmp "$T/www/img" "$T/tgt" || fail "another image: the target was written"

no_secrets 0123secretsig
exit 0
