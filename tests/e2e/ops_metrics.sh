# --prom FILE writes a Prometheus textfile that promtool accepts, whose
# values are the run's (compared with its --json report), replaced whole
# by a rename (no temp file left, an old file replaced, a failed write
# leaves the old one); --prom where it makes no sense is one error line.
# --progress=plain prints whole lines at the interval asked for, terminal
# or not; --quiet and --progress=none print none.
. "$(dirname "$0")/../lib.sh"
need_cmd promtool jq

M=1048576
mkrand "$T/shadow" $((8 * M))
cp "$T/shadow" "$T/shadow.c"
cp "$T/shadow" "$T/local"
put_byte "$T/local" $((5 * M + 7)) 5a

# metric FILE NAME [LABEL-MATCH]: the value of the one sample of NAME
# whose labels contain LABEL-MATCH.
metric() {
	local v
	v=$(grep "^$2{" "$1" | grep -F -- "${3:-}" | awk '{print $NF}')
	[ "$(printf '%s\n' "$v" | grep -c .)" = 1 ] ||
		fail "$1: not one sample of $2 ${3:-} (got '$v')"
	printf '%s\n' "$v"
}
promcheck() {
	promtool check metrics <"$1" >"$T/lint" 2>&1 ||
		fail "promtool rejects $1: $(cat "$T/lint")"
	[ -s "$T/lint" ] && fail "promtool lint on $1: $(cat "$T/lint")"
	ls "$(dirname "$1")" | qgrep '\.tmp\.' && fail "a temp file left by --prom"
	return 0
}

# verify: differs; the sample values are those of the JSON report.
echo "old" >"$T/v.prom"
run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --json --prom "$T/v.prom"
expect_rc 1 "$(cat "$T/err")"
promcheck "$T/v.prom"
[ "$(metric "$T/v.prom" shadowsync_last_run_exit_status)" = 1 ] || fail "exit status metric"
[ "$(metric "$T/v.prom" shadowsync_last_run_success)" = 0 ] || fail "success metric"
lbl="local=\"$T/local\",shadow=\"$T/shadow\""
[ "$(metric "$T/v.prom" shadowsync_bytes_compared "$lbl")" = "$(jget "$T/out" '.pairs[0].bytes_compared')" ] ||
	fail "bytes_compared differs from the report"
[ "$(metric "$T/v.prom" shadowsync_bytes_differing "$lbl")" = "$(jget "$T/out" '.pairs[0].differing_bytes')" ] ||
	fail "bytes_differing differs from the report"
metric "$T/v.prom" shadowsync_result "result=\"differ\"" >/dev/null
metric "$T/v.prom" shadowsync_cold_start_verdict "verdict=\"$(jq -r '.pairs[0].cold_start.verdict' "$T/out")\"" >/dev/null
now=$(date +%s)
ts=$(metric "$T/v.prom" shadowsync_last_run_timestamp_seconds)
[ $((now - ${ts%.*})) -lt 60 ] || fail "timestamp $ts is not now ($now)"

# Without --json the text report is unchanged and the file still written.
run_ss "$T/text" "$T/err" verify "$T/local" "$T/shadow" --prom "$T/t.prom"
expect_rc 1 "$(cat "$T/err")"
grep -q "^verify: DIFFER" "$T/text" || fail "text report missing: $(cat "$T/text")"
grep -q '^{' "$T/text" && fail "JSON on stdout without --json"
promcheck "$T/t.prom"

# sync: bytes written; then verify: success 1.
run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow" --json --prom "$T/s.prom"
expect_rc 0 "$(cat "$T/err")"
promcheck "$T/s.prom"
[ "$(metric "$T/s.prom" shadowsync_bytes_written "$lbl")" = "$(jget "$T/out" '.pairs[0].bytes_written')" ] ||
	fail "bytes_written differs from the report"
[ "$(metric "$T/s.prom" shadowsync_bytes_written "$lbl")" -gt 0 ] || fail "sync wrote nothing?"
run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --prom "$T/v.prom"
expect_rc 0 "$(cat "$T/err")"
[ "$(metric "$T/v.prom" shadowsync_last_run_success)" = 1 ] || fail "success after sync"

# warm and check: one device, the local label is the device.
run_ss "$T/out" "$T/err" warm "$T/local" --json --prom "$T/w.prom"
expect_rc 0 "$(cat "$T/err")"
promcheck "$T/w.prom"
[ "$(metric "$T/w.prom" shadowsync_bytes_read "local=\"$T/local\"")" = $((8 * M)) ] || fail "warm bytes_read"
run_ss "$T/out" "$T/err" hash "$T/shadow" -o "$T/m"
expect_rc 0 "$(cat "$T/err")"
run_ss "$T/out" "$T/err" check "$T/local" "$T/m" --prom "$T/c.prom"
expect_rc 0 "$(cat "$T/err")"
promcheck "$T/c.prom"
metric "$T/c.prom" shadowsync_result 'result="match"' >/dev/null

# restore: TARGET is the local label, SOURCE the shadow label.
truncate -s $((8 * M)) "$T/rt"
run_ss "$T/out" "$T/err" restore "$T/shadow" "$T/rt" --json --prom "$T/r.prom"
expect_rc 0 "$(cat "$T/err")"
promcheck "$T/r.prom"
[ "$(metric "$T/r.prom" shadowsync_bytes_written "local=\"$T/rt\",shadow=\"$T/shadow\"")" = \
	"$(jget "$T/out" .bytes_written)" ] || fail "restore bytes_written"
metric "$T/r.prom" shadowsync_result 'result="restored"' >/dev/null
# An Aerospike image: its namespace is the series' namespace label.
need_mkaero
"$MKAERO" "$T/aimg" --size $((16 * M)) --namespace nsprom --used 1 || fail mkaero
truncate -s $((16 * M)) "$T/rt2"
run_ss "$T/out" "$T/err" restore "$T/aimg" "$T/rt2" --json --prom "$T/r2.prom"
expect_rc 0 "$(cat "$T/err")"
promcheck "$T/r2.prom"
expect_json "$T/out" .namespace '"nsprom"'
metric "$T/r2.prom" shadowsync_bytes_written "namespace=\"nsprom\"" >/dev/null

# A label value with a quote, a backslash and a newline stays one sample.
odd="$T/a\"b\\c
d"
cp "$T/shadow" "$odd"
run_ss "$T/out" "$T/err" warm "$odd" --prom "$T/o.prom"
expect_rc 0 "$(cat "$T/err")"
promcheck "$T/o.prom"
[ "$(grep -c '^shadowsync_bytes_read{' "$T/o.prom")" = 1 ] || fail "odd name split a sample"

# An error run still writes its file (exit status 2, no per-device samples).
run_ss "$T/out" "$T/err" verify "$T/local" "$T/nonexistent" --prom "$T/e.prom"
expect_rc 2
promcheck "$T/e.prom"
[ "$(metric "$T/e.prom" shadowsync_last_run_exit_status)" = 2 ] || fail "error run's status"

# Refusals: one line each, nothing written.
run_ss "$T/out" "$T/err" hash "$T/local" -o "$T/m2" --prom "$T/h.prom"
expect_rc 2
grep -q "writes no metrics" "$T/err" || fail "hash --prom: $(cat "$T/err")"
[ -e "$T/h.prom" ] && fail "hash wrote metrics"
cp "$T/local" "$T/keep"
run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --prom "$T/local"
expect_rc 2
grep -q "cannot write metrics" "$T/err" || fail "--prom over an input: $(cat "$T/err")"
cmp -s "$T/local" "$T/keep" || fail "--prom over an input changed it"
run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --prom "$T/nodir/x.prom"
expect_rc 2
[ "$(wc -l <"$T/err")" = 1 ] || fail "not one line: $(cat "$T/err")"
run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --prom
expect_rc 2
grep -q "requires a value" "$T/err" || fail "--prom without a value: $(cat "$T/err")"
# A directory that cannot be written (a read-only tmpfs; root ignores
# modes): one error line, exit 2.
mkdir "$T/ro" && echo keep >"$T/ro/x.prom"
if mount -t tmpfs -o ro,size=1m none "$T/ro" 2>/dev/null; then
	at_exit "umount '$T/ro'"
	run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --prom "$T/ro/x.prom"
	expect_rc 2 "a read-only directory"
	grep -q "cannot write metrics" "$T/err" || fail "read-only: $(cat "$T/err")"
else
	note "no tmpfs mount here: the read-only case is not tried"
fi
# A directory that fills up while the file is written: a WARNING, the
# run's status and report stand, the old file is left whole.
mkdir "$T/full"
if mount -t tmpfs -o size=64k none "$T/full" 2>/dev/null; then
	at_exit "umount '$T/full'"
	echo "# old" >"$T/full/x.prom"
	head -c 1M /dev/zero >"$T/full/filler" 2>/dev/null
	run_ss "$T/out" "$T/err" verify "$T/shadow" "$T/shadow.c" --json --prom "$T/full/x.prom"
	expect_rc 0 "a full directory for --prom: $(cat "$T/err")"
	grep -q "^shadowsync: WARNING: cannot write metrics '$T/full/x.prom': No space left" "$T/err" ||
		fail "no warning: $(cat "$T/err")"
	expect_json "$T/out" .exit_status 0
	[ "$(cat "$T/full/x.prom")" = "# old" ] || fail "the old metrics file was damaged"
	[ "$(ls -A "$T/full" | wc -l)" = 2 ] || fail "left behind: $(ls -A "$T/full")"
else
	note "no tmpfs mount here: the full-disk case is not tried"
fi

# --progress=plain: whole lines on stderr, no terminal codes, at the
# interval; a slow device makes the run last a few seconds.
mkrand "$T/slowimg" $((8 * M))
slow_device "$T/slow" "$T/slowimg" 300000	# 8 reads: 2.4 s
run_ss "$T/out" "$T/err" warm "$T/slow/dev" --engine psync --progress=plain --progress-interval 1
expect_rc 0 "$(cat "$T/err")"
n=$(grep -c '^warm: [0-9]*%' "$T/err")
[ "$n" -ge 1 ] || fail "no progress lines: $(cat "$T/err")"
grep -q "$(printf '\r')" "$T/err" && fail "a carriage return in plain progress"
grep -q "$(printf '\033')" "$T/err" && fail "an escape code in plain progress"
for q in "--quiet --progress=auto" "--progress=none"; do
	# shellcheck disable=SC2086
	run_ss "$T/out" "$T/err" warm "$T/slow/dev" --engine psync $q --progress-interval 1
	expect_rc 0 "$(cat "$T/err")"
	grep -q '%' "$T/err" && fail "$q printed progress: $(cat "$T/err")"
done
run_ss "$T/out" "$T/err" warm "$T/local" --progress=sometimes
expect_rc 2
grep -q "auto, plain or none" "$T/err" || fail "bad --progress: $(cat "$T/err")"
exit 0
