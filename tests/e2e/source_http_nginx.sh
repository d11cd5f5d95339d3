# HTTP(S) source against nginx: a 64 MiB random image fetched with 16
# connections and 1 MiB parts over HTTP and HTTPS (a self-signed
# certificate made here, trusted through --cacert or SSL_CERT_FILE) comes
# out byte for byte; the stats count one request a part plus the probe,
# over reused connections (no more opened than --connections, +1 for the
# probe); an untrusted certificate and a missing file are one clear line.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"

M=1048576
mkdir -p "$T/www"
mkrand "$T/www/img" $((64 * M))
make_cert "$T/cert"
start_nginx HTTP "$T/www"
start_nginx HTTPS "$T/www" "$T/cert"

check_stats() {
	expect_json "$T/$1.json" .result '"ok"'
	expect_json "$T/$1.json" .size_bytes $((64 * M))
	expect_json "$T/$1.json" .parts 64
	expect_json "$T/$1.json" .requests 65
	expect_json "$T/$1.json" .retries 0
	expect_json "$T/$1.json" '.max_in_flight > 16' true
	expect_json "$T/$1.json" '.connections_opened >= 1 and .connections_opened <= 17' true
	expect_json "$T/$1.json" '.etag | test("^\".+\"$")' true
	cmp "$T/www/img" "$T/$1.out" || fail "$1: the copy differs"
	note "$1: $(cat "$T/$1.json")"
}

fetch_ok http "http://127.0.0.1:$HTTP/img" --connections 16 --part-size $M
check_stats http
expect_json "$T/http.json" .kind '"http"'
expect_json "$T/http.json" .display "\"http://127.0.0.1:$HTTP/img\""

fetch_ok https_cacert "https://127.0.0.1:$HTTPS/img" --connections 16 --part-size $M \
	--cacert "$T/cert/cert.pem"
check_stats https_cacert
SSL_CERT_FILE=$T/cert/cert.pem fetch_ok https_env "https://127.0.0.1:$HTTPS/img" \
	--connections 16 --part-size $M
check_stats https_env

# An odd size: the last part is short; 8 MiB parts (the default).
head -c $((5 * M + 12345)) "$T/www/img" >"$T/www/odd"
fetch_ok odd "http://127.0.0.1:$HTTP/odd"
cmp "$T/www/odd" "$T/odd.out" || fail "odd: the copy differs"
expect_json "$T/odd.json" .parts 1
: >"$T/www/empty"
fetch_ok empty "http://127.0.0.1:$HTTP/empty"
expect_json "$T/empty.json" .size_bytes 0

fetch_err untrusted "^fetch: cannot read 'https://127.0.0.1:$HTTPS/img': SSL certificate problem: self-signed certificate \(give its CA with --cacert or SSL_CERT_FILE\)$" \
	"https://127.0.0.1:$HTTPS/img"
fetch_err missing "^fetch: cannot read 'http://127.0.0.1:$HTTP/nothere': 404 Not Found$" \
	"http://127.0.0.1:$HTTP/nothere?X-Amz-Signature=SIG0123secret"
no_secrets SIG0123secret

# The request-rate cap: 40 parts and the probe at 20 a second take about
# 2 s (a tenth of a second's worth may go at once), uncapped far less.
head -c $((40 * 65536)) "$T/www/img" >"$T/www/small"
fetch_ok capped "http://127.0.0.1:$HTTP/small" --part-size 65536 --max-rps 20
cmp "$T/www/small" "$T/capped.out" || fail "capped: the copy differs"
note "capped: $(cat "$T/capped.json")"
expect_json "$T/capped.json" .requests 41
expect_json "$T/capped.json" '.elapsed_s >= 1.7 and .elapsed_s < 5' true
fetch_ok uncapped "http://127.0.0.1:$HTTP/small" --part-size 65536
expect_json "$T/uncapped.json" '.elapsed_s < 1' true
