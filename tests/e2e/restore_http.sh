# restore from HTTP(S): nginx (its own config, 127.0.0.1) serves a 40 MiB
# image over HTTP and over HTTPS (a self-signed certificate made here,
# trusted through --cacert or SSL_CERT_FILE); restored onto a file and
# onto a loop device it compares equal with cmp, and the report gives the
# source (kind, URL without its query string, size, ETag), one request a
# part plus the probe, no retries. An untrusted certificate is one clear
# line. A sparse image with --target-is-zeroed leaves its zeros unwritten;
# a wrong --manifest is fetched again once, then exit 2 naming the block;
# one of another size is refused before anything is written, one of 16
# MiB blocks (more than a background read-back's 8 MiB) is restored and
# read back; curl piped
# into `restore -` works. No query-string signature or credential appears
# in any output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"
need_root "loop devices"
need_cmd curl

M=1048576
SIZE=$((40 * M))
SIG="X-Amz-Signature=5ec7e7deadbeef0123&X-Amz-Credential=AKIAFAKEFAKE%2F20240101"
mkdir -p "$T/www"
mkrand "$T/www/img" $SIZE
"$SS" hash "$T/www/img" -o "$T/img.man" >/dev/null || fail hash
make_cert "$T/cert"
start_nginx HTTP "$T/www"
start_nginx HTTPS "$T/www" "$T/cert"

# report_ok NAME URL-SHOWN PARTS: the JSON report of a full restore.
report_ok() {
	expect_json "$T/$1.json" .result '"restored"'
	expect_json "$T/$1.json" .source.kind '"http"'
	expect_json "$T/$1.json" .source.name "\"$2\""
	expect_json "$T/$1.json" .source.size_bytes $SIZE
	expect_json "$T/$1.json" '.source.etag | test("^\".+\"$")' true
	expect_json "$T/$1.json" .requests $(($3 + 1))
	expect_json "$T/$1.json" .retries 0
	expect_json "$T/$1.json" .bytes_written $SIZE
	expect_json "$T/$1.json" .verified true
	note "$1: $(jq -c '{source, requests, retries, throughput_bytes_per_s}' "$T/$1.json")"
}

# HTTP onto a file holding other data; the presigned-style query goes to
# the server but never into the report.
mkrand "$T/tgt" $SIZE
run_ss "$T/http.json" "$T/http.err" restore "http://127.0.0.1:$HTTP/img?$SIG" "$T/tgt" \
	--part-size 1M --json
expect_rc 0 "http: $(cat "$T/http.err")"
cmp "$T/www/img" "$T/tgt" || fail "http: the target differs from the image"
report_ok http "http://127.0.0.1:$HTTP/img" 40

# The text report, 8 MiB parts (the default).
mkrand "$T/tgt" $SIZE
run_ss "$T/http_text.report" "$T/http_text.err" restore "http://127.0.0.1:$HTTP/img?$SIG" "$T/tgt"
expect_rc 0 "http text: $(cat "$T/http_text.err")"
cmp "$T/www/img" "$T/tgt" || fail "http text: the target differs"
grep -qE "^  source  http 'http://127.0.0.1:$HTTP/img', 40.0 MiB \($SIZE bytes\), ETag \".+\"$" "$T/http_text.report" ||
	fail "http text: no source line: $(cat "$T/http_text.report")"
grep -q "^  read 40.0 MiB from the source in 6 requests (0 retries)" "$T/http_text.report" ||
	fail "http text: requests: $(cat "$T/http_text.report")"

# HTTPS with --cacert onto a loop device.
mkrand "$T/disk" $SIZE
loop_attach DEV "$T/disk"
run_ss "$T/https_loop.json" "$T/https_loop.err" restore "https://127.0.0.1:$HTTPS/img?$SIG" "$DEV" \
	--cacert "$T/cert/cert.pem" --part-size 2M --connections 8 --json
expect_rc 0 "https onto a loop device: $(cat "$T/https_loop.err")"
cmp "$T/www/img" "$DEV" || fail "https: the loop device differs from the image"
report_ok https_loop "https://127.0.0.1:$HTTPS/img" 20
expect_json "$T/https_loop.json" .target.path "\"$DEV\""

# HTTPS trusted through SSL_CERT_FILE, onto a file.
mkrand "$T/tgt" $SIZE
SSL_CERT_FILE=$T/cert/cert.pem run_ss "$T/https_env.json" "$T/https_env.err" \
	restore "https://127.0.0.1:$HTTPS/img" "$T/tgt" --json
expect_rc 0 "https SSL_CERT_FILE: $(cat "$T/https_env.err")"
cmp "$T/www/img" "$T/tgt" || fail "https SSL_CERT_FILE: the target differs"
report_ok https_env "https://127.0.0.1:$HTTPS/img" 5

# Untrusted: one line, nothing written.
mkrand "$T/tgt" $SIZE
cp "$T/tgt" "$T/tgt.before"
run_ss "$T/untrusted.json" "$T/untrusted.err" restore "https://127.0.0.1:$HTTPS/img?$SIG" "$T/tgt"
expect_rc 2 "untrusted"
[ "$(wc -l <"$T/untrusted.err")" = 1 ] || fail "untrusted: not one line: $(cat "$T/untrusted.err")"
grep -q "^shadowsync: cannot read 'https://127.0.0.1:$HTTPS/img': .*certificate.*--cacert or SSL_CERT_FILE" "$T/untrusted.err" ||
	fail "untrusted: $(cat "$T/untrusted.err")"
cmp -s "$T/tgt" "$T/tgt.before" || fail "untrusted: the target was written"

# A sparse image (zeros from 10 MiB to 30 MiB) onto a new sparse file with
# --target-is-zeroed: the zeros are not written (nor allocated).
cp "$T/www/img" "$T/www/sparse"
fallocate -p -o $((10 * M)) -l $((20 * M)) "$T/www/sparse" || fail "fallocate"
rm -f "$T/ztgt"; truncate -s $SIZE "$T/ztgt"
run_ss "$T/zeroed.json" "$T/zeroed.err" restore "http://127.0.0.1:$HTTP/sparse" "$T/ztgt" \
	--target-is-zeroed --part-size 1M --json
expect_rc 0 "zeroed: $(cat "$T/zeroed.err")"
cmp "$T/www/sparse" "$T/ztgt" || fail "zeroed: the target differs"
expect_json "$T/zeroed.json" .bytes_skipped_zero $((20 * M))
expect_json "$T/zeroed.json" .bytes_written $((20 * M))
expect_json "$T/zeroed.json" .bytes_zeroed 0
alloc=$(( $(stat -c %b "$T/ztgt") * 512 ))
[ $alloc -le $((21 * M)) ] || fail "zeroed: $alloc bytes allocated on the target: zeros were written"
note "zeroed: $(jq -c '{bytes_written, bytes_skipped_zero}' "$T/zeroed.json"), $alloc bytes allocated"

# A wrong --manifest (another image: block 21 differs): fetched again once,
# then exit 2 naming the block; the target never holds the image's header.
cp "$T/www/img" "$T/other"
flip "$T/other" $((21 * M + 100))
"$SS" hash "$T/other" -o "$T/other.man" >/dev/null || fail hash
mkrand "$T/tgt" $SIZE
run_ss "$T/wrongman.json" "$T/wrongman.err" restore "http://127.0.0.1:$HTTP/img?$SIG" "$T/tgt" \
	--manifest "$T/other.man" --part-size 1M --json
expect_rc 2 "wrong manifest"
grep -q "^shadowsync: block at offset $((21 * M)) of 'http://127.0.0.1:$HTTP/img' does not match manifest '$T/other.man', fetched twice$" \
	"$T/wrongman.err" || fail "wrong manifest: $(cat "$T/wrongman.err")"
expect_json "$T/wrongman.json" .result '"error"'
expect_json "$T/wrongman.json" .blocks_refetched 1
expect_json "$T/wrongman.json" .header_region_written false
# 40 parts, the probe and the one block again
expect_json "$T/wrongman.json" .requests 42
head -c 30 "$T/tgt" | qgrep "SHADOWSYNC RESTORE IN PROGRESS" || fail "wrong manifest: the target is not marked"

# A manifest of another size: refused before writing.
head -c $((16 * M)) "$T/www/img" >"$T/short"
"$SS" hash "$T/short" -o "$T/short.man" >/dev/null || fail hash
mkrand "$T/tgt" $SIZE
cp "$T/tgt" "$T/tgt.before"
run_ss "$T/sizeman.json" "$T/sizeman.err" restore "http://127.0.0.1:$HTTP/img" "$T/tgt" \
	--manifest "$T/short.man" --json
expect_rc 2 "manifest of another size"
grep -q "^shadowsync: manifest '$T/short.man' is for an image of $((16 * M)) bytes; 'http://127.0.0.1:$HTTP/img' has $SIZE$" \
	"$T/sizeman.err" || fail "manifest of another size: $(cat "$T/sizeman.err")"
cmp -s "$T/tgt" "$T/tgt.before" || fail "manifest of another size: the target was written"

# The right manifest: every block checked as it arrives.
mkrand "$T/tgt" $SIZE
run_ss "$T/man.json" "$T/man.err" restore "http://127.0.0.1:$HTTP/img" "$T/tgt" \
	--manifest "$T/img.man" --json
expect_rc 0 "manifest: $(cat "$T/man.err")"
cmp "$T/www/img" "$T/tgt" || fail "manifest: the target differs"
expect_json "$T/man.json" .blocks_refetched 0

# A manifest of 16 MiB blocks, more than the 8 MiB a window's read-back
# in the background would get: read back with room for its blocks (it
# failed: "need at least 16M of buffers, more than --memory 8M").
"$SS" hash "$T/www/img" --block-size 16M -o "$T/big.man" >/dev/null || fail "hash --block-size 16M"
mkrand "$T/tgt" $SIZE
run_ss "$T/bigblocks.json" "$T/bigblocks.err" restore "http://127.0.0.1:$HTTP/img" "$T/tgt" \
	--manifest "$T/big.man" --json
expect_rc 0 "16M blocks: $(cat "$T/bigblocks.err")"
cmp "$T/www/img" "$T/tgt" || fail "16M blocks: the target differs"
expect_json "$T/bigblocks.json" .verified true
expect_json "$T/bigblocks.json" .bytes_verified $SIZE

# curl into a pipe, restore from stdin.
mkrand "$T/tgt" $SIZE
curl -s "http://127.0.0.1:$HTTP/img" | "$SS" restore - "$T/tgt" --json >"$T/pipe.json" 2>"$T/pipe.err"
RC=$?
expect_rc 0 "curl | restore -: $(cat "$T/pipe.err")"
cmp "$T/www/img" "$T/tgt" || fail "curl | restore -: the target differs"
expect_json "$T/pipe.json" .source.kind '"stdin"'
expect_json "$T/pipe.json" .bytes_read $SIZE

no_secrets 5ec7e7deadbeef0123 AKIAFAKEFAKE "X-Amz"
exit 0
