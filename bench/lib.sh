# bench/lib.sh - shared by the benchmark scripts (bash).
# Timing is wall clock and peak RSS from GNU time; the page cache is
# dropped before every run; tools are interleaved round by round, and
# only medians and ratios from the same run are quoted (the disk is
# virtual and shared: absolute figures move by 2x between runs).
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$TOP/tests/tools/nginx_conf.sh"
SS=${SS:-$TOP/shadowsync}
# QUICK=1 (make bench QUICK=1): every case at small sizes, so the whole
# set takes a few minutes; the full run takes under half an hour. Medians
# of 3 runs in both (RUNS=5: a steadier full run, 5/3 of the time).
QUICK=${QUICK:-0}
RUNS=${RUNS:-3}
# pick FULL QUICK: the value for this kind of run.
pick() { if [ "$QUICK" = 1 ]; then echo "$2"; else echo "$1"; fi; }
BENCH_DIR=${BENCH_DIR:-/var/tmp/shadowsync-bench}
OUT=${OUT:-$TOP/bench/out}
GNU_TIME=/usr/bin/time

die() { echo "bench: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (to drop the page cache)"
[ -x "$GNU_TIME" ] || die "GNU time missing (apt-get install time)"
[ -x "$SS" ] || die "$SS not built"
mkdir -p "$BENCH_DIR" "$OUT"

# drop_caches: the page cache (and dentries, inodes) dropped, dirty pages
# written first; the time it took goes to $OUT/drops.seconds (run.sh sums
# it per case: on a busy shared machine it is a good part of a QUICK run).
drop_caches() {
	local t0 t1
	t0=$(date +%s.%N)
	sync
	echo 3 >/proc/sys/vm/drop_caches
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$OUT/drops.seconds"
}

# mkfile PATH BYTES: random content, reused when already the right size.
mkfile() {
	[ -f "$1" ] && [ "$(stat -c %s "$1")" = "$2" ] && return 0
	echo "bench: writing $1 ($(( $2 >> 20 )) MiB)" >&2
	# AES-CTR over zeros: random enough for every case, and 2-3x faster
	# than /dev/urandom (a full run writes about 30 GiB of inputs)
	if command -v openssl >/dev/null; then
		openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass "pass:$RANDOM$$$(date +%N)" \
			</dev/zero 2>/dev/null | head -c "$2" >"$1"
	else
		head -c "$2" /dev/urandom >"$1"
	fi
	[ "$(stat -c %s "$1" 2>/dev/null)" = "$2" ] || die "cannot write $1"
}

# timed NAME WANT_RC CMD...: drop caches, run CMD, append "NAME wall_s
# rss_kb" to $RESULTS; fail the benchmark if CMD's exit status is not
# WANT_RC (a run that did not do its job is not a figure).
timed() {
	local name=$1 want=$2 line rc
	shift 2
	drop_caches
	$GNU_TIME -f '%e %M' -o "$BENCH_DIR/time.out" "$@" >"$BENCH_DIR/cmd.out" 2>"$BENCH_DIR/cmd.err"
	rc=$?
	[ "$rc" = "$want" ] || die "$name exited $rc, expected $want: $(tail -3 "$BENCH_DIR/cmd.err")"
	line=$(tail -1 "$BENCH_DIR/time.out")
	echo "$name $line" >>"$RESULTS"
	printf '  %-22s %7.2f s  %7d KiB\n' "$name" ${line% *} ${line#* } >&2
}

# median NAME: median wall seconds of NAME in $RESULTS.
median() {
	awk -v n="$1" '$1 == n { print $2 }' "$RESULTS" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# max_rss NAME: largest peak RSS of NAME, KiB.
max_rss() { awk -v n="$1" '$1 == n && $3 > m { m = $3 } END { print m + 0 }' "$RESULTS"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# spread NAME: "min-max" wall seconds of NAME's runs.
spread() {
	awk -v n="$1" '$1 == n { if (c++ == 0 || $2 < lo) lo = $2; if ($2 > hi) hi = $2 }
		END { printf "%.2f-%.2f", lo, hi }' "$RESULTS"
}

# rss_mib NAME: the largest peak RSS of NAME, MiB.
rss_mib() { awk -v k="$(max_rss "$1")" 'BEGIN { printf "%.1f", k / 1024 }'; }

# rounds CMD-FUNCTION...: RUNS rounds; each round runs every function
# once, starting one further along each round (interleaved, rotated).
rounds() {
	local r i n=$# fns=("$@")
	for r in $(seq 1 "$RUNS"); do
		echo "round $r/$RUNS" >&2
		for i in $(seq 0 $((n - 1))); do
			"${fns[$(((i + r - 1) % n))]}"
		done
	done
}

host_line() {
	echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, kernel $(uname -r), $(df -h "$BENCH_DIR" | awk 'NR == 2 { print $1 }'), $RUNS runs each, page cache dropped before every run"
}

# free_port: a TCP port on 127.0.0.1 nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT [LOG...]: until an HTTP server answers on 127.0.0.1:PORT
# (10 s at most; then the LOGs' last lines in the error).
wait_port() {
	local i p=$1
	shift
	for i in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$p/" && return 0
		sleep 0.1
	done
	die "nothing listens on port $p: $(tail -q -n 3 "$@" 2>/dev/null)"
}

# start_nginx DIR PORT ROOT [SERVER_DIRECTIVES]: nginx on 127.0.0.1:PORT
# serving ROOT (sendfile, keep-alive, no access log), its files in DIR,
# in the background: its pid in NGINX_PID for the caller's clean-up, and
# it answers when this returns.
start_nginx() {
	local d=$1 port=$2 root=$3 extra=${4:-}
	nginx_conf "$d" "127.0.0.1:$port" "$root" "$extra" "sendfile on; keepalive_requests 100000;"
	/usr/sbin/nginx -p "$d" -c "$d/nginx.conf" >"$d/nginx.log" 2>&1 &
	NGINX_PID=$!
	wait_port "$port" "$d/nginx.log" "$d/error.log"
}
