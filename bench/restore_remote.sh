#!/bin/bash
# bench/restore_remote.sh - restore from remote sources against the tool
# an operator would otherwise run, interleaved, medians of RUNS, page
# cache dropped before every run (the servers read the image from disk):
#   1. HTTP from nginx on loopback, a SIZE (4 GiB) image onto a file:
#      restore (read-back on, the default) against
#      `curl -s URL -o TARGET; sync`. Target: restore no slower than curl.
#   2. S3 from s3rver (npm; tests/tools/s3rver_install.sh), an S3_SIZE
#      (1 GiB) object: restore against `aws s3 cp --endpoint-url` (Debian's
#      awscli) followed by sync.
# Peak RSS of every run (target: restore under 160 MiB). CASES="s3"
# runs only some of them (the tables of the others stay empty). QUICK:
# 128 MiB and 64 MiB. A rate-limited server is bench/restore_conns.sh's
# (nginx's limit_rate lets each request send a second's worth at once:
# the 8 MiB parts against 20m a connection this script used to time were
# never slowed, only curl's single stream was). Not part of `make test`;
# servers on 127.0.0.1 only, stopped at exit.
. "$(dirname "$0")/lib.sh"
need() { [ -x "$1" ] || command -v "$1" >/dev/null || die "$1 is not installed (make deps)"; }
need /usr/sbin/nginx
need curl
need node
AWS=/usr/bin/aws	# Debian's awscli, not another one earlier in PATH
CASES=${CASES:-http s3}	# which of the two to run
SIZE=${SIZE:-$(pick $((4 << 30)) $((128 << 20)))}
S3_SIZE=${S3_SIZE:-$(pick $((1 << 30)) $((64 << 20)))}
M=1048576
WWW=$BENCH_DIR/www
IMG=$BENCH_DIR/restore.img	# shared with bench/restore.sh
TGT=$BENCH_DIR/remote.tgt
TGTC=$BENCH_DIR/remote-curl.tgt
RESULTS=$OUT/restore_remote.times
: >"$RESULTS"
TMP=$(mktemp -d /var/tmp/ss-bench.XXXXXX) || die "mktemp"
PIDS=() NGINX_PID=
cleanup() {
	local p
	for p in "${PIDS[@]}" $NGINX_PID; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

mkfile "$IMG" "$SIZE"
mkdir -p "$WWW"
ln -f "$IMG" "$WWW/img"
for f in "$TGT" "$TGTC"; do
	[ "$(stat -c %s "$f" 2>/dev/null)" = "$SIZE" ] || mkfile "$f" "$SIZE"
done

# nginx, as is.
HTTP=$(free_port)
start_nginx "$TMP/nginx" "$HTTP" "$WWW"

# s3rver with the S3_SIZE object (its data on the bench disk).
S3RVER=$(sh "$TOP/tests/tools/s3rver_install.sh") || die "s3rver cannot be installed"
S3P=$(free_port)
rm -rf "$BENCH_DIR/s3rver"
mkdir -p "$BENCH_DIR/s3rver"
node "$S3RVER" -d "$BENCH_DIR/s3rver" -a 127.0.0.1 -p "$S3P" --configure-bucket bkt \
	>"$TMP/s3rver.log" 2>&1 &
PIDS+=($!)
wait_port "$S3P" "$TMP/s3rver.log"
head -c "$S3_SIZE" "$IMG" >"$TMP/s3.img" || die "cannot write the S3 object"
code=$(curl -s -o "$TMP/put.out" -w '%{http_code}' -T "$TMP/s3.img" \
	-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
	--aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER "http://127.0.0.1:$S3P/bkt/img")
[ "$code" = 200 ] || die "upload to s3rver: $code $(cat "$TMP/put.out")"
rm -f "$TMP/s3.img"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true HOME=$TMP
TGTS=$BENCH_DIR/remote-s3.tgt
[ "$(stat -c %s "$TGTS" 2>/dev/null)" = "$S3_SIZE" ] || mkfile "$TGTS" "$S3_SIZE"

# check_json WANT_BYTES: the restore just run wrote and checked them.
check_json() {
	[ "$(jq .bytes_written "$BENCH_DIR/cmd.out")" = "$1" ] ||
		die "restore wrote $(jq .bytes_written "$BENCH_DIR/cmd.out"), not $1"
	[ "$(jq -r .verify_result "$BENCH_DIR/cmd.out")" != mismatch ] || die "restore read back wrong"
}

run_http() {
	timed http_restore 0 "$SS" restore "http://127.0.0.1:$HTTP/img" "$TGT" --json
	check_json "$SIZE"
}
run_http_nv() {
	timed http_restore_no_verify 0 "$SS" restore "http://127.0.0.1:$HTTP/img" "$TGT" --no-verify --json
	check_json "$SIZE"
}
run_http_curl() {
	timed http_curl_sync 0 sh -c "curl -s 'http://127.0.0.1:$HTTP/img' -o '$TGTC' && sync"
}
run_s3() {
	timed s3_restore 0 "$SS" restore s3://bkt/img "$TGTS" --endpoint-url "http://127.0.0.1:$S3P" --json
	check_json "$S3_SIZE"
}
run_s3_aws() {
	rm -f "$TMP/aws.tgt"
	timed s3_aws_cp_sync 0 sh -c "'$AWS' s3 cp --only-show-errors --endpoint-url 'http://127.0.0.1:$S3P' s3://bkt/img '$TMP/aws.tgt' && sync"
	[ "$(stat -c %s "$TMP/aws.tgt")" = "$S3_SIZE" ] || die "aws s3 cp: wrong size"
}

case " $CASES " in *" http "*)
	rounds run_http run_http_curl run_http_nv
	cmp -s "$IMG" "$TGT" || die "http: the target differs from the image"
	cmp -s "$IMG" "$TGTC" || die "curl: its copy differs from the image" ;;
esac
case " $CASES " in *" s3 "*)
	rounds run_s3 run_s3_aws
	cmp -s -n "$S3_SIZE" "$IMG" "$TGTS" || die "s3: the target differs"
	cmp -s "$TGTS" "$TMP/aws.tgt" || die "aws s3 cp: its copy differs" ;;
esac

rss() { awk -v k="$(max_rss "$1")" 'BEGIN { printf "%.1f", k / 1024 }'; }
row() {
	grep -q "^$1 " "$RESULTS" || return 0
	printf '| %s | %.2f | %s | %s | %s |\n' "$1" "$(median "$1")" "$(spread "$1")" \
		"$(ratio "$(median "$1")" "$(median "$2")")" "$(rss "$1")"
}
{
	echo "### restore from remote sources"
	echo
	echo "$(host_line)"
	echo
	echo "HTTP, nginx on 127.0.0.1, a $((SIZE >> 20)) MiB image onto a file (16 connections, 8 MiB parts):"
	echo
	echo "| tool | median wall s | spread s | ratio to curl + sync | peak RSS MiB |"
	echo "|---|---|---|---|---|"
	for t in http_restore http_restore_no_verify http_curl_sync; do row $t http_curl_sync; done
	echo
	echo "S3 from s3rver on 127.0.0.1, a $((S3_SIZE >> 20)) MiB object:"
	echo
	echo "| tool | median wall s | spread s | ratio to aws s3 cp + sync | peak RSS MiB |"
	echo "|---|---|---|---|---|"
	for t in s3_restore s3_aws_cp_sync; do row $t s3_aws_cp_sync; done
	echo
	echo "restore (read back) / curl + sync = $(ratio "$(median http_restore)" "$(median http_curl_sync)") (target <= 1.00);" \
	     "restore / aws s3 cp + sync = $(ratio "$(median s3_restore)" "$(median s3_aws_cp_sync)");" \
	     "restore peak RSS $(rss http_restore) MiB (target < 160)"
} | tee "$OUT/restore_remote.md"
