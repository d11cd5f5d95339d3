#!/bin/bash
# bench/restore_conns.sh - restore throughput against --connections from
# an HTTP server that limits every connection's rate: nginx on 127.0.0.1
# with `limit_rate` (per request, so per connection with keep-alive),
# --connections 1, 2, 4, 8 and 16 (QUICK: 2 and 8; its 6 parts
# cannot keep more busy), interleaved,
# page cache dropped before every run (nginx reads the image from disk).
#
# nginx's limit is not a smooth rate: a response may send limit_rate x
# (whole seconds since the request started + 1) bytes, so each request
# gets a second's worth at once, and a part of 2 x limit_rate takes one
# second (a part of at most limit_rate is not slowed at all: the 8 MiB
# parts against 20m in restore_remote.sh's old rate case were not).
# So the parts are PART (4 MiB) at RATE (2m): a second each, one part a
# connection at a time, and the image is PARTS (18) of them: the 8 MiB
# header region, fetched first and alone, then 16 parts, one for each
# connection at 16. Throughput should grow with connections until the
# parts run out.
#
# The peer: curl (--parallel --parallel-max N --parallel-immediate)
# fetching the same PART ranges restore asks for, into one file each, at
# most N at once over at most N connections, then `sync -d` of those
# files (restore writes its target durably and reads it back). The same
# requests on the same server, so nginx's per-request allowance favours
# neither; a single whole-object curl gets that allowance once, and
# would take about SIZE / RATE.
#
# RESTORE_ARGS: more restore options, e.g. --memory: restore's default
# (connections x part size and the read-back's 8M, at most 128M) keeps
# only 3 parts of 32 MiB in flight, whatever --connections says.
#
# At one connection each tool takes PARTS seconds: 3 rounds take about 4
# minutes. Writes out/restore_conns.md and .dat; not in make test.
. "$(dirname "$0")/lib.sh"
need() { [ -x "$1" ] || command -v "$1" >/dev/null || die "$1 is not installed (make deps)"; }
need /usr/sbin/nginx
need curl
need jq
CONNS=${CONNS:-$(pick "1 2 4 8 16" "2 8")}
PART=${PART:-$(pick $((4 << 20)) $((2 << 20)))}
RATE=${RATE:-$(pick 2m 1m)}		# nginx's units: m is MiB/s
PARTS=${PARTS:-$(pick 18 6)}
SIZE=$((PART * PARTS))
RESULTS=$OUT/restore_conns.times
: >"$RESULTS"
WWW=$BENCH_DIR/www-conns
IMG=$WWW/img
TMP=$(mktemp -d /var/tmp/ss-bench.XXXXXX) || die "mktemp"
NGINX_PID=
cleanup() {
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

mkdir -p "$WWW" "$TMP/parts"
mkfile "$IMG" "$SIZE"
PORT=$(free_port)
start_nginx "$TMP/nginx" "$PORT" "$WWW" "limit_rate $RATE;"
URL=http://127.0.0.1:$PORT/img
curl -s -o /dev/null -r 0-0 "$URL" || die "nginx does not serve the image: $(cat "$TMP/nginx/error.log")"

# curl's config: one transfer a part, the same ranges restore fetches.
for i in $(seq 0 $((PARTS - 1))); do
	[ "$i" = 0 ] || echo next
	printf 'url = "%s"\nrange = "%d-%d"\noutput = "%s"\nfail\nwrite-out = "%%{num_connects}\\n"\n' \
		"$URL" $((i * PART)) $(((i + 1) * PART - 1)) "$TMP/parts/$i"
done >"$TMP/curl.cfg"

TGT=$TMP/target
run_restore() {	# run_restore N
	rm -f "$TGT"
	truncate -s "$SIZE" "$TGT"
	timed "restore_$1" 0 "$SS" restore "$URL" "$TGT" --connections "$1" --part-size "$PART" ${RESTORE_ARGS:-} --json
	[ "$(jq .bytes_written "$BENCH_DIR/cmd.out")" = "$SIZE" ] ||
		die "restore --connections $1 wrote $(jq .bytes_written "$BENCH_DIR/cmd.out") bytes, not $SIZE"
	[ "$(jq -r .verify_result "$BENCH_DIR/cmd.out")" = match ] || die "restore --connections $1: not read back right"
	[ "$(jq .retries "$BENCH_DIR/cmd.out")" = 0 ] || die "restore --connections $1 retried parts"
	cmp -s "$IMG" "$TGT" || die "restore --connections $1: the target differs from the image"
}
run_curl() {	# run_curl N
	rm -f "$TMP/parts"/*
	timed "curl_$1" 0 sh -c "curl -s --parallel --parallel-immediate --parallel-max $1 -K '$TMP/curl.cfg' &&
		sync -d '$TMP/parts'/*"
	local c
	c=$(awk '{ s += $1 } END { print s + 0 }' "$BENCH_DIR/cmd.out")
	[ "$c" -ge 1 ] && [ "$c" -le "$1" ] || die "curl --parallel-max $1 opened $c connections"
	echo "curl_$1 $c" >>"$TMP/connects"
	for i in $(seq 0 $((PARTS - 1))); do
		[ "$(stat -c %s "$TMP/parts/$i")" = "$PART" ] || die "curl --parallel-max $1: part $i is not $PART bytes"
	done
}
fns=()
for n in $CONNS; do
	eval "r_$n() { run_restore $n; }"
	eval "c_$n() { run_curl $n; }"
	fns+=("r_$n" "c_$n")
done
rounds "${fns[@]}"
for i in $(seq 0 $((PARTS - 1))); do cat "$TMP/parts/$i"; done | cmp -s - "$IMG" ||
	die "curl's parts, put together, are not the image"

mibs() { awk -v s="$SIZE" -v t="$1" 'BEGIN { printf "%.1f", s / 1048576 / t }'; }
# ideal N: seconds at N connections if every part took a second, the
# header region's parts first
ideal() {
	awk -v p="$PARTS" -v part="$PART" -v n="$1" 'function c(x) { return int((x + n - 1) / n) }
		BEGIN { h = int((8 * 1048576 + part - 1) / part); print c(h) + c(p - h) }'
}
connects() { awk -v n="curl_$1" '$1 == n { print $2 }' "$TMP/connects" | sort -n | tail -1; }
first=${CONNS%% *} last=${CONNS##* }
{
	echo "### restore against --connections: nginx at limit_rate $RATE, $((SIZE >> 20)) MiB in $((PART >> 20)) MiB parts"
	echo
	echo "$(host_line)"
	echo
	echo "| connections | restore MiB/s | restore s (spread) | curl MiB/s | curl s (spread) | curl connections | restore / curl (time) | restore peak RSS MiB |"
	echo "|---|---|---|---|---|---|---|---|"
	for n in $CONNS; do
		r=$(median "restore_$n") c=$(median "curl_$n")
		printf '| %s | %s | %.2f (%s) | %s | %.2f (%s) | %s | %s | %s |\n' "$n" "$(mibs "$r")" "$r" \
			"$(spread "restore_$n")" "$(mibs "$c")" "$c" "$(spread "curl_$n")" "$(connects "$n")" \
			"$(ratio "$r" "$c")" "$(rss_mib "restore_$n")"
	done
	echo
	echo "restore: $(mibs "$(median "restore_$first")") MiB/s at $first connection(s), $(mibs "$(median "restore_$last")") MiB/s at $last," \
		"$(ratio "$(median "restore_$first")" "$(median "restore_$last")")x faster (a second a part, the header region first," \
		"allows $(ratio "$(ideal "$first")" "$(ideal "$last")")x); restore / curl at $last connections = $(ratio "$(median "restore_$last")" "$(median "curl_$last")")."
} | tee "$OUT/restore_conns.md"
{
	echo "# connections restore_mibs curl_mibs restore_s curl_s"
	for n in $CONNS; do
		echo "$n $(mibs "$(median "restore_$n")") $(mibs "$(median "curl_$n")") $(median "restore_$n") $(median "curl_$n")"
	done
} >"$OUT/restore_conns.dat"
