# tests/lib_remote.sh - for the tests of remote sources (HTTP(S), S3,
# credentials). Source it after lib.sh. Every server listens on 127.0.0.1
# only, is started by the test and stopped at exit (at_exit), whatever
# the outcome.
# Gives: $FETCH (the source layer's test driver), $PY (Debian's python3,
# where python3-botocore lives), start_pyserver, start_nginx, make_cert,
# start_s3rver, s3rver_put, no_secrets, fetch_ok/fetch_err.

. "$TOP/tests/tools/nginx_conf.sh"
FETCH=${FETCH:-$TOP/build/tests/tools/fetch}
[ -x "$FETCH" ] || fail "$FETCH not built (make unit)"
PY=/usr/bin/python3
[ -x $PY ] || skip "python3 is not installed (make deps)"
TOOLS=$TOP/tests/tools
# Nothing here may go through a proxy, nor reach a real AWS account.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
	AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
	AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE AWS_CA_BUNDLE SSL_CERT_FILE
# (caches installed under the real home stay reachable through REAL_HOME)
REAL_HOME=${HOME:-/root}
export HOME=$T/home
mkdir -p "$HOME"
# No instance role either: an address where nothing listens.
export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:9

_stop_pid() {
	kill "$1" 2>/dev/null || return 0
	for _i in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$1" 2>/dev/null
	return 0
}

# wait_port_file FILE PID WHAT: the port a server wrote to FILE.
wait_port_file() {
	local i
	for i in $(seq 100); do
		[ -s "$1" ] && { cat "$1"; return 0; }
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	fail "$3 did not start: $(cat "$T/$3.log" 2>/dev/null | tail -5)"
}

# start_pyserver VAR NAME SCRIPT ARGS...: run a python test server from
# tests/tools (it writes its port to --port-file); its port goes in VAR.
start_pyserver() {
	local var=$1 name=$2 script=$3 pid port
	shift 3
	$PY "$TOOLS/$script" --port-file "$T/$name.port" "$@" >"$T/$name.log" 2>&1 &
	pid=$!
	at_exit "_stop_pid $pid"
	port=$(wait_port_file "$T/$name.port" $pid "$name") || exit 1
	printf -v "$var" '%s' "$port"
}

# free_port: a port nothing listens on now (for servers that cannot take 0).
free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# make_cert DIR: a self-signed certificate for 127.0.0.1, DIR/cert.pem
# and DIR/key.pem.
make_cert() {
	need_cmd openssl
	mkdir -p "$1"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/key.pem" \
		-out "$1/cert.pem" -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 ||
		fail "openssl could not make a certificate"
}

# start_nginx VAR ROOT [CERTDIR]: nginx serving ROOT on 127.0.0.1 (HTTPS
# with CERTDIR's certificate when given), in the foreground, its pid and
# temp files in the test's dir, no access log; its port in VAR.
# NGINX_SERVER adds directives to its server block (limit_rate 8m;).
start_nginx() {
	local var=$1 root=$2 cert=${3:-} d port listen ssl="" pid i
	[ -x /usr/sbin/nginx ] || skip "nginx is not installed (nginx-light; make deps)"
	for i in 1 2 3 4 5; do
		d=$T/nginx.$RANDOM
		port=$(free_port)
		listen="127.0.0.1:$port"
		if [ -n "$cert" ]; then
			listen="$listen ssl"
			ssl="ssl_certificate $cert/cert.pem; ssl_certificate_key $cert/key.pem;"
		fi
		nginx_conf "$d" "$listen" "$root" "$ssl ${NGINX_SERVER:-}"
		/usr/sbin/nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/out.log" 2>&1 &
		pid=$!
		at_exit "_stop_pid $pid"
		for _w in $(seq 50); do
			kill -0 $pid 2>/dev/null || break
			if $PY -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
				printf -v "$var" '%s' "$port"
				return 0
			fi
			sleep 0.1
		done
		_stop_pid $pid	# the port was taken meanwhile: again
	done
	fail "nginx did not start: $(tail -3 "$d/error.log" 2>/dev/null)"
}

# fetch_run NAME SOURCE ARGS...: run the driver into $T/NAME.out, its
# JSON line in $T/NAME.json, its stderr in $T/NAME.err; status in $RC.
fetch_run() {
	local name=$1 src=$2
	shift 2
	"$FETCH" "$src" "$T/$name.out" "$@" >"$T/$name.json" 2>"$T/$name.err"
	RC=$?
}

# fetch_ok NAME SOURCE ARGS...: the download must succeed.
fetch_ok() {
	fetch_run "$@"
	[ "$RC" = 0 ] || fail "$1: exit $RC: $(cat "$T/$1.err")"
}

# fetch_err NAME PATTERN SOURCE ARGS...: exit 2 with exactly one error
# line on stderr, matching the extended regex PATTERN.
fetch_err() {
	local name=$1 pat=$2
	shift 2
	fetch_run "$name" "$@"
	[ "$RC" = 2 ] || fail "$name: expected exit 2, got $RC: $(cat "$T/$name.err")"
	[ "$(wc -l <"$T/$name.err")" = 1 ] || fail "$name: not one line: $(cat "$T/$name.err")"
	grep -Eq "$pat" "$T/$name.err" || fail "$name: '$(cat "$T/$name.err")' does not match '$pat'"
	note "$name: $(cat "$T/$name.err")"
}

# no_secrets SECRET...: none of the strings appears in any output the
# driver or shadowsync wrote in $T (*.json, *.err, and *.report: text
# reports).
no_secrets() {
	local s f
	for s in "$@"; do
		for f in "$T"/*.json "$T"/*.err "$T"/*.report; do
			[ -e "$f" ] || continue
			! grep -qF -- "$s" "$f" || fail "'$s' (a secret) appears in $f: $(cat "$f")"
		done
	done
}

# start_s3rver VAR BUCKET: s3rver (npm; installed by
# tests/tools/s3rver_install.sh, else the test skips) on 127.0.0.1 with
# BUCKET, its data in the test's dir; its port in VAR. Its credentials
# are S3RVER/S3RVER.
start_s3rver() {
	local var=$1 bucket=$2 bin port pid up="" i
	need_cmd curl node
	bin=$(HOME=$REAL_HOME sh "$TOOLS/s3rver_install.sh" 2>"$T/s3rver-install.log") ||
		skip "s3rver cannot be installed: $(tail -1 "$T/s3rver-install.log")"
	for i in 1 2 3 4 5; do
		port=$(free_port)
		rm -rf "$T/s3rver-data"
		mkdir -p "$T/s3rver-data"
		node "$bin" -d "$T/s3rver-data" -a 127.0.0.1 -p "$port" \
			--configure-bucket "$bucket" >"$T/s3rver.log" 2>&1 &
		pid=$!
		at_exit "_stop_pid $pid"
		for _w in $(seq 100); do
			kill -0 $pid 2>/dev/null || break
			curl -s -o /dev/null "http://127.0.0.1:$port/" && { up=1; break; }
			sleep 0.1
		done
		[ -n "$up" ] && break
		_stop_pid $pid
	done
	[ -n "$up" ] || fail "s3rver did not start: $(tail -3 "$T/s3rver.log")"
	printf -v "$var" '%s' "$port"
}

# s3rver_put PORT FILE BUCKET/KEY: upload through curl's own SigV4 (curl
# 7.88 adds no x-amz-content-sha256, which s3rver wants: an unsigned
# payload then). KEY is as it goes in the URL (percent-encoded).
s3rver_put() {
	local code
	code=$(curl -s -o "$T/put.out" -w '%{http_code}' -T "$2" \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
		--aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER \
		"http://127.0.0.1:$1/$3")
	[ "$code" = 200 ] || fail "upload of $3: $code $(cat "$T/put.out")"
}

# EBS direct: tests/tools/ebs_server.py (botocore checks every request's
# signature). ebs_setup writes $T/ebs-keys.conf with a key, its secret
# ($EBS_KEY, $EBS_SECRET) and a session key ($EBS_SKEY, $EBS_SSECRET,
# $EBS_STOKEN), all with '+', '/' or '=' in them.
EBS_KEY=AKIAEBSTESTKEY000001
EBS_SECRET='ebs/S3cret+Key=Test0123456789abcdefEXAMPLE'
EBS_SKEY=ASIAEBSSESSION000001
EBS_SSECRET='ebs-session/Secret+0123456789'
EBS_STOKEN='EbsSessionToken/with+slashes==0123456789'
ebs_setup() {
	$PY -c 'import botocore' 2>/dev/null || skip "python3-botocore is not installed (make deps)"
	cat >"$T/ebs-keys.conf" <<EOF2
{"$EBS_KEY": {"secret": "$EBS_SECRET"}, "$EBS_SKEY": {"secret": "$EBS_SSECRET", "token": "$EBS_STOKEN"}}
EOF2
}

# start_ebs VAR SNAPS.json [ARGS...]: the EBS server on 127.0.0.1 (region
# eu-west-3), its log in $T/ebs.log; its port in VAR.
start_ebs() {
	local var=$1 snaps=$2
	shift 2
	start_pyserver "$var" "ebs-$var" ebs_server.py --log "$T/ebs.log" \
		--keys "$T/ebs-keys.conf" --snapshots "$snaps" --region eu-west-3 "$@"
}

# ebs_fault PORT JSON: faults for the next requests (see ebs_server.py).
ebs_fault() {
	local code
	code=$(curl -s -o "$T/fault.out" -w '%{http_code}' -X POST --data "$2" \
		"http://127.0.0.1:$1/_ctl/faults")
	[ "$code" = 200 ] || fail "cannot set faults $2: $code"
}

# ebs_log_since LINE: the server's log lines from LINE on, as a JSON array.
ebs_log_since() { tail -n +"$1" "$T/ebs.log" | jq -s .; }
ebs_logline() { echo $(($(wc -l <"$T/ebs.log") + 1)); }
