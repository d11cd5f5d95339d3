# SIGINT and SIGTERM end a run stuck on a hung device promptly, with every
# engine: exit status 130/143, one line on stderr saying it was
# interrupted, and with --json exactly one JSON object on stdout, valid
# for docs/schema.
#
# The hung device is tests/tools/slowdev with HANG_FROM: reads below 8 MiB
# are served (the open, the header regions), reads that reach past it
# never complete. Like a hard NFS mount, a request the kernel interrupts
# (its reader was killed) is answered, so a killed process can go.
# io_uring and libaio get their reads into the kernel and wait for them:
# the pipeline must notice the signal, cancel, abandon what does not come
# back and report. psync sits in pread(2), which no signal ends: the
# watchdog must report and exit.
#
# libaio: the kernel's exit_aio() makes an exiting process wait for every
# AIO request still in flight, and FUSE's direct reads cannot be
# cancelled. With libaio the process reports and exits in time, but the
# kernel holds its last thread until the device answers; this test checks
# that much, then releases the device and checks the exit status.
. "$(dirname "$0")/../lib.sh"
need_root "FUSE mounts"
SLOWDEV=$TOP/build/tests/tools/slowdev
[ -x "$SLOWDEV" ] || skip "slowdev not built (libfuse3-dev missing)"
[ -c /dev/fuse ] || skip "/dev/fuse is missing"
need_cmd fusermount3 python3
python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is missing (make deps)"

M=1048576
SIZE=$((64 * M))
HANG=$((8 * M))
mkrand "$T/img" $SIZE
cp "$T/img" "$T/healthy"

# release PID MNT: end the device (the kernel aborts what it still has
# in flight for it), then unmount, even under a process still stuck.
release() {
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null	# not from the at_exit subshell: then it is gone
	fusermount3 -uz "$2" 2>/dev/null
	return 0
}

# hung_device: a fresh hung device over a copy of img: HUNG (its path),
# HUNG_PID, HUNG_MNT.
n=0
hung_device() {
	n=$((n + 1))
	HUNG_MNT=$T/hung$n
	cp "$T/img" "$T/back$n"
	mkdir -p "$HUNG_MNT"
	"$SLOWDEV" "$T/back$n" 0 "$HUNG_MNT" $HANG 2>"$T/slowdev$n.log" &
	HUNG_PID=$!
	at_exit "release $HUNG_PID '$HUNG_MNT'"
	for _ in $(seq 50); do
		[ -e "$HUNG_MNT/dev" ] && break
		sleep 0.1
	done
	[ -e "$HUNG_MNT/dev" ] || fail "slowdev did not come up: $(cat "$T/slowdev$n.log")"
	HUNG=$HUNG_MNT/dev
}

# threads_left PID: threads of PID other than its (exited) leader.
threads_left() { ls /proc/"$1"/task 2>/dev/null | grep -vx "$1" | wc -l; }

# interrupt SIG ENGINE LABEL ARGS...: run shadowsync ARGS --engine ENGINE
# (and --json when $json is set) in the background on a device set up by
# hung_device, send SIG after a second, check how the run ended.
interrupt() {
	local sig=$1 e=$2 pid state i ms t0 rc want lines held=
	local what="$3 $e SIG$sig${json:+ --json}" cmd=$4
	shift 3
	"$SS" "$@" --engine "$e" ${json:+--json} >"$T/out" 2>"$T/err" &
	pid=$!
	sleep 1
	kill -0 $pid 2>/dev/null || fail "$what: ended before the signal: $(cat "$T/err")"
	t0=$(date +%s%N)
	kill -$sig $pid
	# Ended: reaped, or a zombie (its threads all gone or, with libaio,
	# held by the kernel in exit_aio).
	for i in $(seq 40); do
		state=$(awk '{print $3}' /proc/$pid/stat 2>/dev/null) || break
		[ "$state" = Z ] && break
		sleep 0.05
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	# libaio: the thread the kernel holds in exit_aio may be the leader
	# itself (D, not Z): the run has ended, its report is out.
	if [ "$e" = libaio ] && [ -n "$state" ] && [ "$state" != Z ] &&
		grep -q "^shadowsync: interrupted" "$T/err" &&
		cat /proc/$pid/task/*/stack 2>/dev/null | qgrep exit_aio; then
		state=Z
	fi
	if [ -n "$state" ] && [ "$state" != Z ]; then
		kill -9 $pid
		release $HUNG_PID "$HUNG_MNT"
		wait $pid
		fail "$what: still running $ms ms after the signal (state $state): $(cat "$T/err")"
	fi
	if [ "$state" = Z ] && { [ "$(threads_left $pid)" -gt 0 ] ||
		cat /proc/$pid/task/*/stack 2>/dev/null | qgrep exit_aio; }; then
		[ "$e" = libaio ] ||
			fail "$what: exited, but the kernel holds a thread: $(cat /proc/$pid/task/*/stack 2>/dev/null | head -5)"
		held=" (libaio: its last thread held in exit_aio until the device was released)"
	fi
	release $HUNG_PID "$HUNG_MNT"
	wait $pid
	rc=$?
	want=$([ $sig = INT ] && echo 130 || echo 143)
	[ $rc = $want ] || fail "$what: exit $rc, expected $want: $(cat "$T/err")"
	lines=$(wc -l <"$T/err")
	[ "$lines" = 1 ] || fail "$what: $lines lines on stderr: $(cat "$T/err")"
	grep -q "^shadowsync: interrupted" "$T/err" || fail "$what: stderr: $(cat "$T/err")"
	if [ -n "$json" ]; then
		jq -e . "$T/out" >/dev/null || fail "$what: stdout is not JSON: $(head -c 300 "$T/out")"
		[ "$(jq -s length "$T/out")" = 1 ] || fail "$what: more than one JSON value on stdout"
		python3 -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" "$cmd" "$T/out" ||
			fail "$what: the report does not follow docs/schema: $(cat "$T/out")"
		expect_json "$T/out" .exit_status $want
		expect_json "$T/out" .exit_reason "\"interrupted by SIG$sig\""
		# The run's own report (with its pairs), or the watchdog's.
		expect_json "$T/out" .result '"interrupted"'
		[ "$(jq 'has("pairs")' "$T/out")" = true ] ||
			expect_json "$T/out" .signal "\"SIG$sig\""
	else
		[ -s "$T/out" ] && fail "$what: text on stdout: $(head -c 300 "$T/out")"
	fi
	note "$what: ended $ms ms after the signal$held, exit $rc: $(cat "$T/err")"
}

for e in $ENGINES; do
	for sig in INT TERM; do
		json=1
		hung_device
		interrupt $sig $e verify verify "$T/healthy" "$HUNG"
	done
	json=
	hung_device
	interrupt INT $e "sync (hung shadow)" sync "$T/healthy" "$HUNG"
	json=1
	hung_device
	interrupt TERM $e "sync (hung local)" sync "$HUNG" "$T/healthy"
done
cmp -s "$T/img" "$T/healthy" || fail "a device changed"
exit 0
