# restore from a misbehaving HTTP server (tests/tools/faulty_http.py on
# 127.0.0.1): connections dropped and reset mid-body, 503 and 429 answers
# and a part that stalls mid-body are survived by retries (a broken part
# resumed from the byte it reached), the image arrives whole, and the
# report counts every retry. 403, 404, a server that ignores Range, a
# Content-Range past 2^64 bytes (refused, not taken as the largest size), a
# target smaller than the object, and an object replaced mid-restore
# (412 to If-Match; a new ETag from a server ignoring If-Match; parts that
# drop the probe's ETag and ignore If-Match) each end
# in exit 2 with one line naming the URL without its query string, and
# nothing is reported restored: the target is untouched (refused before
# writing) or holds the mark of an unfinished restore. No credential of
# an odd URL (a password with '/', '?' or '#', an upper-case scheme) is
# ever shown.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"

M=1048576
SIZE=$((24 * M + 777))
mkrand "$T/img" $SIZE
SIG="X-Amz-Signature=5ec7e7deadbeef&X-Amz-Credential=AKIAFAKE%2F20240101"
FAULTS="drop:3,reset:2,503:3,429:1,stall:1"
NFAULTS=10
start_pyserver P srv faulty_http.py --file "$T/img" --log "$T/req.log" \
	--faults "$FAULTS" --stall-s 20 --replace-after 12
URL=http://127.0.0.1:$P

# Faults: survived, counted.
mkrand "$T/tgt" $SIZE
run_ss "$T/faults.json" "$T/faults.err" restore "$URL/img?$SIG" "$T/tgt" \
	--connections 4 --part-size 1M --stall-timeout 1 --json
expect_rc 0 "faults: $(cat "$T/faults.err")"
cmp "$T/img" "$T/tgt" || fail "faults: the target differs from the image"
note "faults: $(jq -c '{requests, retries, bytes_read, elapsed_s}' "$T/faults.json")"
served=$(jq -s '[.[] | select(.fault != null)] | length' "$T/req.log")
[ "$served" = $NFAULTS ] || fail "the server served $served of its $NFAULTS faults"
expect_json "$T/faults.json" ".retries >= $NFAULTS" true
# 25 parts and the probe, and every retry
expect_json "$T/faults.json" ".requests == 1 + 25 + .retries" true
expect_json "$T/faults.json" .result '"restored"'
expect_json "$T/faults.json" .verified true
expect_json "$T/faults.json" .source.name "\"$URL/img\""
# the stall (20 s of silence) was given up after --stall-timeout 1
expect_json "$T/faults.json" '.elapsed_s < 15' true
resumed=$(jq -s '[.[] | select(.range != null and .range != "bytes=0-0")
	| (.range | ltrimstr("bytes=") | split("-")[0] | tonumber) | select(. % 1048576 != 0)] | length' "$T/req.log")
[ "$resumed" -ge 4 ] || fail "only $resumed requests resumed a part mid-way (drop:3 + stall:1 at least)"
[ "$(jq -s '[.[] | select(.range != "bytes=0-0" and .if_match == null)] | length' "$T/req.log")" = 0 ] ||
	fail "a part request without If-Match"
# and the text report says so
mkrand "$T/tgt" $SIZE
run_ss "$T/text.report" "$T/text.err" restore "$URL/img?$SIG" "$T/tgt" --part-size 4M
expect_rc 0 "text: $(cat "$T/text.err")"
grep -q "^  read 24.0 MiB from the source in 8 requests (0 retries)" "$T/text.report" ||
	fail "text: $(cat "$T/text.report")"

# refused URL PATTERN NAME: exit 2 before anything is written, one line.
refused() {
	local name=$3
	mkrand "$T/tgt" $SIZE
	cp "$T/tgt" "$T/tgt.before"
	run_ss "$T/$name.json" "$T/$name.err" restore "$1" "$T/tgt" --json
	expect_rc 2 "$name"
	[ "$(wc -l <"$T/$name.err")" = 1 ] || fail "$name: not one line: $(cat "$T/$name.err")"
	grep -Eq "$2" "$T/$name.err" || fail "$name: '$(cat "$T/$name.err")' does not match '$2'"
	# refused while opening: the envelope alone
	expect_json "$T/$name.json" .result '"error"'
	expect_json "$T/$name.json" '.exit_reason == .error' true
	expect_json "$T/$name.json" 'has("verified") or has("bytes_written")' false
	cmp -s "$T/tgt" "$T/tgt.before" || fail "$name: the target was written"
	note "$name: $(cat "$T/$name.err")"
}
refused "$URL/forbidden?$SIG" "^shadowsync: cannot read '$URL/forbidden': 403 Forbidden$" forbidden
refused "$URL/gone?$SIG" "^shadowsync: cannot read '$URL/gone': 404 Not Found$" missing
refused "$URL/hugetotal?$SIG" "^shadowsync: cannot read '$URL/hugetotal': the server sent an impossible Content-Range \('bytes 0-0/99999999999999999999999': past 2\^64 bytes\)$" hugetotal
refused "$URL/norange?$SIG" "^shadowsync: cannot read '$URL/norange': the server ignores Range requests \(it answered 200 to a ranged GET\)$" norange

# A target smaller than the object: refused before writing.
head -c $((SIZE - 1)) "$T/img" >"$T/small"
cp "$T/small" "$T/small.before"
run_ss "$T/small.json" "$T/small.err" restore "$URL/img?$SIG" "$T/small" --json
expect_rc 2 "smaller target"
grep -q "^shadowsync: target '$T/small' ($((SIZE - 1)) bytes) is smaller than the image '$URL/img' ($SIZE bytes)$" "$T/small.err" ||
	fail "smaller target: $(cat "$T/small.err")"
cmp -s "$T/small" "$T/small.before" || fail "smaller target: written"

# Replaced mid-restore (after the header region and a few data parts):
# exit 2, and the target holds the mark, never the image's header.
replaced() {
	local name=$1 pat=$2
	mkrand "$T/tgt" $SIZE
	run_ss "$T/$name.json" "$T/$name.err" restore "$URL/$name?$SIG" "$T/tgt" \
		--connections 2 --part-size 1M --json
	expect_rc 2 "$name"
	[ "$(wc -l <"$T/$name.err")" = 1 ] || fail "$name: not one line: $(cat "$T/$name.err")"
	grep -Eq "$pat" "$T/$name.err" || fail "$name: '$(cat "$T/$name.err")' does not match '$pat'"
	expect_json "$T/$name.json" .result '"error"'
	expect_json "$T/$name.json" .header_region_written false
	expect_json "$T/$name.json" .verified false
	expect_json "$T/$name.json" .restore_mark true
	head -c 30 "$T/tgt" | qgrep "SHADOWSYNC RESTORE IN PROGRESS" || fail "$name: the target is not marked"
	note "$name: $(cat "$T/$name.err")"
}
replaced replaced "^shadowsync: cannot read '$URL/replaced': it changed during the restore \(412 Precondition Failed to If-Match \"v1-[0-9a-f]+\"\)$"
replaced replaced-noif "^shadowsync: cannot read '$URL/replaced-noif': it changed during the restore \(ETag \"v1-[0-9a-f]+\", now \"v2-[0-9a-f]+\"\)$"
replaced etag-dropped "^shadowsync: cannot read '$URL/etag-dropped': cannot tell whether it changed during the restore: the first answer had ETag \"v1-[0-9a-f]+\", a part came without one$"

# No ETag, no Last-Modified at all: a change cannot be detected (this one
# is replaced mid-restore, and the target ends a mix of two versions); the
# report says so: a WARNING, on stderr with --json, and source.validator.
mkrand "$T/tgt" $SIZE
run_ss "$T/noval.json" "$T/noval.err" restore "$URL/noval-replaced?$SIG" "$T/tgt" \
	--connections 2 --part-size 1M --json
expect_rc 0 "noval: $(cat "$T/noval.err")"
expect_json "$T/noval.json" .source.validator '"none"'
expect_json "$T/noval.json" .source.etag null
grep -qx "WARNING: '$URL/noval-replaced' has neither an ETag nor a Last-Modified: a change of it during the restore cannot be detected; give --manifest (the image's, from 'shadowsync hash') to check every block" \
	"$T/noval.err" || fail "noval: no WARNING on stderr: $(cat "$T/noval.err")"
run_ss "$T/noval.out" "$T/noval.err" restore "$URL/noval-replaced?$SIG" "$T/tgt" \
	--connections 2 --part-size 1M
expect_rc 0 "noval, text: $(cat "$T/noval.err")"
grep -q "^WARNING: '$URL/noval-replaced' has neither an ETag nor a Last-Modified" "$T/noval.out" ||
	fail "noval, text: no WARNING: $(cat "$T/noval.out")"
# With the image's manifest every block is checked: the mix is refused.
"$SS" hash "$T/img" -o "$T/img.man" >/dev/null || fail hash
run_ss "$T/noval.out" "$T/noval.err" restore "$URL/noval-replaced?$SIG" "$T/tgt" \
	--connections 2 --part-size 1M --manifest "$T/img.man"
expect_rc 2 "noval, manifest: $(cat "$T/noval.err")"
grep -q "does not match manifest" "$T/noval.err" || fail "noval, manifest: $(cat "$T/noval.err")"
qgrep WARNING "$T/noval.err" "$T/noval.out" && fail "noval, manifest: a WARNING though every block is checked"
# The others name their validator.
expect_json "$T/faults.json" .source.validator '"etag"'

# A trickle (a byte every 1.5 s: never 2 s of silence) is a stall all
# the same: under 1 KiB/s over --stall-timeout 2, the part is retried and
# the restore finishes (it used to wait for ever).
mkrand "$T/tgt" $SIZE
SS_TIMEOUT=60 run_ss "$T/trickle.json" "$T/trickle.err" restore "$URL/trickle" "$T/tgt" \
	--connections 2 --part-size 1M --stall-timeout 2 --json
expect_rc 0 "trickle: $(cat "$T/trickle.err")"
cmp "$T/img" "$T/tgt" || fail "trickle: the target differs from the image"
note "trickle: $(jq -c "{retries, requests, elapsed_s}" "$T/trickle.json")"
expect_json "$T/trickle.json" '.retries >= 1' true
expect_json "$T/trickle.json" '.elapsed_s < 30' true
# Every part trickling (the retries run out: source_http_faults): while
# nothing arrives, --progress=plain still says where the restore is.
"$SS" restore "$URL/trickle-all" "$T/tgt" --connections 1 --part-size 1M \
	--stall-timeout 2 --progress=plain --progress-interval 1 --json \
	>"$T/trickle-all.json" 2>"$T/trickle-all.err" &
pid=$!
sleep 6
# and it waits for the part without burning a CPU (the fetch driver,
# which queues more parts than connections, did: source_http_faults)
cpu=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
kill -INT $pid
wait $pid
RC=$?
expect_rc 130 "trickle-all: $(cat "$T/trickle-all.err")"
lines=$(grep -c '^restore: ' "$T/trickle-all.err")
note "trickle-all: $lines progress lines in 6 s, $cpu CPU ticks"
[ "$lines" -ge 4 ] || fail "trickle-all: $lines progress lines in 6 s with --progress-interval 1"
[ "$cpu" -lt $(($(getconf CLK_TCK) * 2)) ] || fail "trickle-all: $cpu CPU ticks in 6 s of waiting"

# Credentials in odd URLs never shown: a password holding an unencoded
# '/', '?' or '#' (the authority ends early: refused, and shown as
# http://***@host), an upper-case scheme (a URL all the same, not a path,
# its userinfo and query cut), an unknown scheme (refused, not taken for a
# path), in stderr, the JSON error and the text report.
for pw in 'se/cretLEAK' 'se?cretLEAK' 'se#cretLEAK'; do
	run_ss "$T/odd.json" "$T/odd.err" restore "http://user:$pw@127.0.0.1:$P/img" "$T/tgt" --json
	expect_rc 2 "password $pw: $(cat "$T/odd.err")"
	grep -qx "shadowsync: 'http://\*\*\*@127.0.0.1:$P/img' is not a URL shadowsync can read (a user name or password holding '/', '?', '#' or '@' must be percent-encoded: %2F, %3F, %23, %40)" \
		"$T/odd.err" || fail "password $pw: $(cat "$T/odd.err")"
	no_secrets LEAK se/cret 'user:se'
done
mkrand "$T/tgt" $SIZE
run_ss "$T/upper.json" "$T/upper.err" restore "HTTP://user:pwLEAK@127.0.0.1:$P/img?x=LEAK2" "$T/tgt" --json
expect_rc 0 "HTTP://: $(cat "$T/upper.err")"
cmp "$T/img" "$T/tgt" || fail "HTTP://: not restored"
expect_json "$T/upper.json" .source.kind '"http"'
expect_json "$T/upper.json" .source.name "\"HTTP://127.0.0.1:$P/img\""
run_ss "$T/upper.report" "$T/upper.err" restore "HTTP://user:pwLEAK@127.0.0.1:$P/img?x=LEAK2" "$T/tgt"
expect_rc 0 "HTTP://, text: $(cat "$T/upper.err")"
run_ss "$T/upper.json" "$T/upper.err" restore "HTTP://user:pwLEAK@127.0.0.1:$P/gone?x=LEAK2" "$T/tgt" --json
expect_rc 2 "HTTP:// 404"
grep -qx "shadowsync: cannot read 'HTTP://127.0.0.1:$P/gone': 404 Not Found" "$T/upper.err" ||
	fail "HTTP:// 404: $(cat "$T/upper.err")"
run_ss "$T/ftp.json" "$T/ftp.err" restore "ftp://user:pwLEAK@127.0.0.1:$P/img?x=LEAK2" "$T/tgt" --json
expect_rc 2 "ftp://"
grep -qx "shadowsync: cannot restore from 'ftp://127.0.0.1:$P/img': not a source shadowsync can read (a path, '-', http://, https:// or s3://)" \
	"$T/ftp.err" || fail "ftp://: $(cat "$T/ftp.err")"
no_secrets LEAK pwLEAK

no_secrets 5ec7e7deadbeef AKIAFAKE X-Amz
exit 0
