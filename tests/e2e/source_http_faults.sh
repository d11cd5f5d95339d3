# HTTP source against a misbehaving server (tests/tools/faulty_http.py):
# connections dropped and reset mid-body, 503 and 429 answers, a part that
# stalls mid-body and one that never answers are all survived by retries
# (a trickling one is a stall too, whose retries run out),
# which are counted, and a broken part resumes from the byte it reached;
# every part request carries If-Match. 403, 404, a server ignoring Range,
# an object replaced mid-fetch (412 through If-Match, an ETag change when
# the server ignores If-Match, 412 through If-Unmodified-Since without
# an ETag) and retries running out each give one clear line naming the URL
# without its query string (a presigned signature). A cancel is obeyed
# within 200 ms.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"

M=1048576
PART=$M
mkrand "$T/img" $((16 * M + 777))
SIG="X-Amz-Signature=5ec7e7deadbeef&X-Amz-Credential=AKIAFAKE%2F20240101"
FAULTS="drop:3,reset:2,503:3,429:2,stall:2,stallhead:1"
NFAULTS=13
start_pyserver P srv faulty_http.py --file "$T/img" --log "$T/req.log" \
	--faults "$FAULTS" --stall-s 20 --replace-after 3
URL=http://127.0.0.1:$P

fetch_ok faults "$URL/img?$SIG" --connections 4 --part-size $PART --stall-timeout 1
cmp "$T/img" "$T/faults.out" || fail "the copy differs"
note "faults: $(cat "$T/faults.json")"
expect_json "$T/faults.json" .parts 17
# The stalled parts (the server goes silent for 20 s) were given up after
# the 1 s stall timeout, not waited for.
expect_json "$T/faults.json" '.elapsed_s < 10' true
# Every fault served cost (at least) one retry, and the driver counted it.
served=$(jq -s '[.[] | select(.fault != null)] | length' "$T/req.log")
[ "$served" = $NFAULTS ] || fail "the server served $served of its $NFAULTS faults"
expect_json "$T/faults.json" ".retries >= $NFAULTS" true
expect_json "$T/faults.json" ".requests == 1 + 17 + .retries" true
# Resumed: a part broken after half its bytes (drop, stall) was asked
# again from the byte it reached, not from its start.
resumed=$(jq -s --argjson p $PART '[.[] | select(.range != null and .range != "bytes=0-0")
	| (.range | ltrimstr("bytes=") | split("-")[0] | tonumber) | select(. % $p != 0)] | length' "$T/req.log")
[ "$resumed" -ge 5 ] || fail "only $resumed requests resumed a part mid-way (drop:3 + stall:2 at least)"
# The query string went to the server (a presigned URL works as plain HTTP)
# and every part request but the probe carried If-Match.
expect_json "$T/faults.json" .display "\"$URL/img\""
[ "$(jq -s '[.[] | select(.query | not)] | length' "$T/req.log")" = 0 ] || fail "a request lost its query string"
[ "$(jq -s '[.[] | select(.range != "bytes=0-0" and .if_match == null)] | length' "$T/req.log")" = 0 ] ||
	fail "a part request without If-Match"

# Errors: one line, exit 2, the URL without its query string.
fetch_err forbidden "^fetch: cannot read '$URL/forbidden': 403 Forbidden$" "$URL/forbidden?$SIG"
fetch_err missing "^fetch: cannot read '$URL/gone': 404 Not Found$" "$URL/gone?$SIG"
fetch_err norange "^fetch: cannot read '$URL/norange': the server ignores Range requests \(it answered 200 to a ranged GET\)$" \
	"$URL/norange?$SIG"
# the object is replaced after 3 part requests: If-Match gets a 412
fetch_err replaced "^fetch: cannot read '$URL/replaced': it changed during the restore \(412 Precondition Failed to If-Match \"v1-[0-9a-f]+\"\)$" \
	"$URL/replaced?$SIG" --connections 1 --part-size $PART
fetch_err replaced_noif "^fetch: cannot read '$URL/replaced-noif': it changed during the restore \(ETag \"v1-[0-9a-f]+\", now \"v2-[0-9a-f]+\"\)$" \
	"$URL/replaced-noif?$SIG" --connections 1 --part-size $PART
fetch_err noetag "^fetch: cannot read '$URL/noetag-replaced': it changed during the restore \(412 Precondition Failed to If-Unmodified-Since .* GMT\)$" \
	"$URL/noetag-replaced?$SIG" --connections 1 --part-size $PART
[ "$(jq -s '[.[] | select(.path == "/noetag-replaced" and .range != "bytes=0-0" and .if_unmodified_since == null)] | length' "$T/req.log")" = 0 ] ||
	fail "a part request of an object without ETag lacked If-Unmodified-Since"
fetch_err busy "^fetch: cannot read '$URL/always503': giving up after 3 failed attempts in a row: 503 Service Unavailable$" \
	"$URL/always503?$SIG" --max-retries 2
expect_json "$T/busy.json" .errno 5
fetch_err busy_once "^fetch: cannot read '$URL/always503': giving up after 1 failed attempt: 503 Service Unavailable$" \
	"$URL/always503" --max-retries 0
fetch_err refused "^fetch: cannot read 'http://127.0.0.1:9/x': giving up after 2 failed attempts in a row: .*[Cc]onnect" \
	"http://127.0.0.1:9/x?$SIG" --max-retries 1
# A trickle (a byte every 1.5 s, never 2 s of silence) is a stall: under
# 1 KiB/s over the stall timeout; no progress either, so the retries run out.
# Meanwhile the driver's second part waits for the one connection without
# burning a CPU (it polled with a 0 ms timeout in a loop).
[ -x /usr/bin/time ] || skip "GNU time is not installed (make deps)"
/usr/bin/time -f '%U %S' -o "$T/trickle.cpu" "$FETCH" "$URL/trickle-all" "$T/trickle.out" \
	--connections 1 --part-size $PART --stall-timeout 2 --max-retries 1 >"$T/trickle.json" 2>"$T/trickle.err"
RC=$?
[ "$RC" = 2 ] || fail "trickle: expected exit 2, got $RC: $(cat "$T/trickle.err")"
grep -Eqx "fetch: cannot read '$URL/trickle-all' at offset 0: giving up after 2 failed attempts in a row: [0-9]+ bytes in 2.0 s \(a stall: under 1024 bytes/s\)" \
	"$T/trickle.err" || fail "trickle: $(cat "$T/trickle.err")"
cpu=$(tail -n 1 "$T/trickle.cpu" | awk '{ print $1 + $2 }')
note "trickle: $(cat "$T/trickle.err"); $cpu CPU seconds"
awk -v c="$cpu" 'BEGIN { exit !(c < 1.5) }' || fail "trickle: $cpu CPU seconds while waiting on one connection"
no_secrets 5ec7e7deadbeef AKIAFAKE

# Cancel: the flag set mid-transfer stops the wait within 200 ms.
fetch_run cancel "$URL/slow" --connections 2 --part-size $M --cancel-after-ms 700
[ "$RC" = 3 ] || fail "cancel: expected exit 3, got $RC: $(cat "$T/cancel.err")"
note "cancel: $(cat "$T/cancel.json")"
expect_json "$T/cancel.json" '.cancel_latency_ms < 200' true
