# tests/lib.sh - shared by the end-to-end tests (bash). Source it first.
# Gives: $SS (the binary), $T (a scratch dir on a disk file system, removed
# at exit), at_exit CMD (cleanups run in reverse), fail/skip, and helpers
# for planting differences, loop devices and FUSE fault devices.
set -u
# SS_OWN_PIDNS=1 before sourcing: the test runs again in a PID namespace
# of its own (as root, with unshare), where /proc shows only its own
# processes. smd restore refuses while a process named asd runs anywhere
# on the host, and on a shared machine other runs of the smd tests start
# fake ones (a copy of sleep named asd), as these do.
if [ "${SS_OWN_PIDNS:-}" = 1 ] && [ -z "${SS_IN_PIDNS:-}" ] && [ "$(id -u)" = 0 ] &&
	command -v unshare >/dev/null 2>&1; then
	exec env SS_IN_PIDNS=1 unshare --pid --fork --mount-proc --kill-child=TERM \
		bash "$0" "$@"
fi
# A failure anywhere in a pipeline is the pipeline's failure: `cmd | jq`
# must not hide cmd's status.
set -o pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SS=${SS:-$TOP/shadowsync}
ENGINES="io_uring libaio psync"

# /var/tmp is on disk on Debian (O_DIRECT works); tmpfs would hide it.
T=$(mktemp -d "${TMPDIR_DISK:-/var/tmp}/ss-test.XXXXXX") || exit 2
_cleanups=()
at_exit() { _cleanups+=("$*"); }
# Cleanups run in reverse at exit. One that fails fails the test (it left
# a mess: a loop device, a mount); so does a fail() that ran in a
# subshell ($(...), a pipeline), which could not exit the test itself.
_run_cleanups() {
	local rc=$? i bad=0
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		(eval "${_cleanups[$i]}") >/dev/null || {
			echo "FAIL: cleanup failed: ${_cleanups[$i]}" >&2
			bad=1
		}
	done
	[ -e "$T/.failed" ] && [ "$rc" = 0 ] && rc=1
	rm -rf "$T"
	[ $bad = 1 ] && [ "$rc" = 0 ] && rc=1
	exit "$rc"
}
trap _run_cleanups EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*" >&2; : >"$T/.failed"; exit 1; }
# A skip says why; under CI (CI=true), where everything is installed, a
# skip is a failure.
skip() {
	echo "SKIP: $*"
	[ "${CI:-}" = true ] && { echo "FAIL: skipped under CI: $*" >&2; exit 1; }
	exit 77
}
note() { echo "-- $*"; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root (${1:-loop devices})"; }
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "'$c' is not installed (make deps)"
	done
}
need_cmd jq
[ -x "$SS" ] || fail "$SS not built (run make)"

# run_ss OUT ERR ARGS...: run shadowsync, stdout to OUT, stderr to ERR;
# the exit status is in $RC.
# With SS_TIMEOUT=SECONDS a run that takes longer is killed (status 124:
# a hang). After measure_ss, each run_ss also puts its peak RSS (KiB, GNU time) in
# $RSS_KIB and its wall time (s) in $WALL_S.
run_ss() {
	local out=$1 err=$2
	shift 2
	local pre=()
	[ -n "${SS_TIMEOUT:-}" ] && pre=(timeout -k 5 "$SS_TIMEOUT")
	if [ -n "${_ss_time:-}" ]; then
		"${pre[@]}" /usr/bin/time -f '%M %e' -o "$_ss_time" "$SS" "$@" >"$out" 2>"$err"
		RC=$?
		read -r RSS_KIB WALL_S < <(tail -n 1 "$_ss_time")
	else
		"${pre[@]}" "$SS" "$@" >"$out" 2>"$err"
		RC=$?
	fi
}
measure_ss() {
	[ -x /usr/bin/time ] || skip "GNU time is not installed (make deps)"
	_ss_time=$T/.time
}

# traced STRACE-ARGS...: strace with those arguments (the command last).
# LeakSanitizer (make check-asan) cannot work under ptrace: it is off for
# that run; the rest of ASan and UBSan stay on.
traced() {
	ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0 strace "$@"
}

# qgrep ARGS...: grep -q that reads all of its input. Under pipefail
# `cmd | grep -q X` fails at random: grep exits at the first match and
# cmd, still writing, dies of SIGPIPE (lint_tests.py refuses it).
qgrep() { grep "$@" >/dev/null; }

# expect_rc WANT: $RC must be WANT.
expect_rc() {
	[ "$RC" = "$1" ] || fail "expected exit $1, got $RC${2:+ ($2)}"
}

# mkrand FILE BYTES: random content.
mkrand() { head -c "$2" /dev/urandom >"$1" || fail "cannot write $1"; }

# byte_at FILE OFFSET: the byte's value, decimal.
byte_at() { od -An -tu1 -j"$2" -N1 "$1" | tr -d ' '; }

# flip FILE OFFSET: invert the byte at OFFSET, and check it changed.
flip() {
	local b
	b=$(byte_at "$1" "$2")
	[ -n "$b" ] || fail "flip: $1 has no byte at $2"
	printf "\\$(printf %03o $((b ^ 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none || fail "flip: dd"
	[ "$(byte_at "$1" "$2")" = $((b ^ 255)) ] || fail "flip: $1 at $2 did not change"
}

# jget FILE FILTER: one value from a JSON report.
jget() { jq -c "$2" "$1"; }

# json_has FILE FILTER: does the path FILTER names exist in FILE? (A
# missing key reads as null, and "null < N" or "== null" would pass.)
# Filters that are not paths (length, test(...)) are not checked here.
json_has() {
	jq -e --arg f "$2" "(try path($2) catch null) as \$p |
		if \$p == null or (\$p | length) == 0 then true
		else (try (getpath(\$p[:-1]) | has(\$p[-1])) catch false) end" "$1" >/dev/null
}

# expect_json FILE FILTER WANT: FILTER exists and gives exactly WANT.
expect_json() {
	local got
	got=$(jq -c "$2" "$1") || fail "bad JSON in $1: $(head -c 300 "$1")"
	json_has "$1" "$2" || fail "$2: no such key in the report"
	[ "$got" = "$3" ] || fail "$2: expected $3, got $got"
}

# extents_of OFFSET... with BS=block size and SIZE=device size: the
# coalesced extents verify must report for differences at those byte
# offsets, as compact JSON (%.0f: mawk's %d stops at 2^31).
extents_of() {
	printf '%s\n' "$@" | awk -v bs="$BS" -v size="$SIZE" '
		{ b[int($1 / bs)] = 1 }
		END {
			n = 0
			for (k in b) keys[n++] = k + 0
			# insertion sort: few keys
			for (i = 1; i < n; i++) {
				v = keys[i]; j = i - 1
				while (j >= 0 && keys[j] > v) { keys[j + 1] = keys[j]; j-- }
				keys[j + 1] = v
			}
			out = "["; first = 1; i = 0
			while (i < n) {
				s = keys[i]; e = s
				while (i + 1 < n && keys[i + 1] == e + 1) { i++; e = keys[i] }
				off = s * bs; end = (e + 1) * bs; if (end > size) end = size
				out = out (first ? "" : ",") "{\"offset_bytes\":" sprintf("%.0f", off) ",\"length_bytes\":" sprintf("%.0f", end - off) "}"
				first = 0; i++
			}
			print out "]"
		}'
}

# Detach dev if it still reads file (numbers are reused); retry while busy.
_loop_cleanup() {
	local k back
	for k in 1 2 3 4 5; do
		back=$(losetup -n -O BACK-FILE "$1" 2>/dev/null) || return 0
		[ "$(stat -c %d:%i "$back" 2>/dev/null)" = "$(stat -c %d:%i "$2" 2>/dev/null)" ] ||
			[ "${back% (deleted)}" = "$2" ] || return 0
		losetup -d "$1" 2>/dev/null && return 0
		losetup "$1" >/dev/null 2>&1 || return 0	# gone meanwhile
		sleep 0.3
	done
	return 1
}

# loop_attach VAR FILE: attach a loop device to FILE, put its path in VAR;
# detached at exit. (Not in $(...): the cleanup must reach this shell.)
loop_attach() {
	local dev
	dev=$(losetup --find --show "$2") || fail "losetup $2 failed"
	at_exit "_loop_cleanup $dev '$2'"
	printf -v "$1" '%s' "$dev"
}

# A FUSE mount whose server died fails mountpoint's stat (ENOTCONN):
# /proc/self/mounts still lists it.
_is_mounted() {
	mountpoint -q "$1" 2>/dev/null ||
		awk -v d="$1" '$2 == d { f = 1 } END { exit !f }' /proc/self/mounts
}

_fuse_cleanup() {
	local k
	for k in 1 2 3 4 5 6 7 8 9 10; do
		_is_mounted "$1" || return 0
		fusermount3 -u "$1" 2>/dev/null && return 0
		sleep 0.5
	done
	fusermount3 -uz "$1"
}

# fuse_device DIR NBDKIT-ARGS...: the regular file DIR/dev, an NBD export
# of `nbdkit -s NBDKIT-ARGS` through nbdfuse (filters, plugin, params);
# unmounted at exit.
fuse_device() {
	local dir=$1 i
	shift
	need_cmd nbdkit nbdfuse fusermount3
	[ -c /dev/fuse ] || skip "/dev/fuse is missing"
	mkdir -p "$dir"
	nbdfuse "$dir/dev" --command nbdkit -s "$@" >"$T/nbdfuse.log" 2>&1 &
	at_exit "_fuse_cleanup '$dir'"
	for i in $(seq 50); do
		[ -e "$dir/dev" ] && return 0
		sleep 0.1
	done
	fail "nbdfuse did not come up: $(cat "$T/nbdfuse.log")"
}

# The Aerospike image generator (tests/tools/mkaero.c, built by make unit).
MKAERO=$TOP/build/tests/tools/mkaero
need_mkaero() { [ -x "$MKAERO" ] || fail "$MKAERO not built (make unit)"; }

# fixtures DIR: the real Aerospike 8.1 images (tests/fixtures), unpacked.
fixtures() {
	local f
	need_cmd zstd
	mkdir -p "$1"
	for f in "$TOP"/tests/fixtures/aerospike-8.1-clean/*.zst; do
		zstd -q -d -f "$f" -o "$1/$(basename "$f" .zst)" || fail "zstd $f"
	done
}

# put_byte FILE OFFSET HEX: write one byte, and check it is there.
put_byte() {
	case $3 in
	[0-9a-fA-F][0-9a-fA-F]) ;;
	*) fail "put_byte: '$3' is not two hex digits" ;;
	esac
	printf "\\x$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none || fail "put_byte: dd"
	[ "$(byte_at "$1" "$2")" = $((16#$3)) ] || fail "put_byte: $1 at $2 is not 0x$3"
}

# mbr_partition FILE START SECTORS: give FILE an MBR with one Linux
# partition (written by hand: sfdisk is not installed everywhere).
_le32() {
	printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}
mbr_partition() {
	dd if=/dev/zero of="$1" bs=1 seek=446 count=64 conv=notrunc status=none || fail "mbr $1"
	printf "\\x00\\x00\\x00\\x00\\x83\\x00\\x00\\x00$(_le32 "$2")$(_le32 "$3")" |
		dd of="$1" bs=1 seek=446 conv=notrunc status=none || fail "mbr $1"
	printf '\x55\xaa' | dd of="$1" bs=1 seek=510 conv=notrunc status=none || fail "mbr $1"
}

# Drop dev's partitions if it still reads file (numbers are reused).
_part_cleanup() {
	[ "$(losetup -n -O BACK-FILE "$1" 2>/dev/null)" = "$2" ] || return 0
	partx -d "$1" 2>/dev/null
	return 0
}

# part_attach VAR DISK FILE: the first partition of loop device DISK (over
# FILE) as a block node, in VAR: partx adds it; without udev or devtmpfs
# the node is made from sysfs. Removed at exit, before DISK is detached
# (call after loop_attach).
part_attach() {
	local n=${2#/dev/} sysd i node
	sysd=/sys/block/$n/${n}p1
	partx -a "$2" 2>/dev/null
	at_exit "_part_cleanup $2 '$3'"
	for i in $(seq 20); do [ -e "$sysd/dev" ] && break; sleep 0.1; done
	[ -e "$sysd/dev" ] || fail "partx -a $2: no partition"
	node=${2}p1
	for i in $(seq 20); do [ -b "$node" ] && break; sleep 0.1; done
	if [ ! -b "$node" ]; then
		node=$T/${n}p1
		mknod "$node" b $(tr ':' ' ' <"$sysd/dev") || fail "mknod $node"
	fi
	printf -v "$1" '%s' "$node"
}

# slow_device DIR BACKING DELAY_US: the regular file DIR/dev, served by
# tests/tools/slowdev from BACKING with DELAY_US per read and the faults
# of the SLOWDEV_* variables set in the caller's environment (see the top
# of tests/tools/slowdev.c); unmounted at exit.
slow_device() {
	local dir=$1 i
	local bin=$TOP/build/tests/tools/slowdev
	[ -x "$bin" ] || skip "slowdev not built (libfuse3-dev missing)"
	[ -c /dev/fuse ] || skip "/dev/fuse is missing"
	mkdir -p "$dir"
	"$bin" "$2" "$3" "$dir" 2>"$dir.log" &
	at_exit "_fuse_cleanup '$dir'"
	for i in $(seq 50); do
		[ -e "$dir/dev" ] && return 0
		sleep 0.1
	done
	fail "slowdev did not come up: $(cat "$dir.log")"
}

# --- Faults shared by the sync_* and restore_* reliability tests ---

# wblock_magic FILE N: the record magic at the start of write-blocks 0 to
# N-1 (8 MiB each, from 8 MiB): used, as asd sees them.
wblock_magic() {
	local k
	for k in $(seq 0 $(($2 - 1))); do
		printf '\x01\xf2\x7a\x03' |
			dd of="$1" bs=1 seek=$((8388608 + k * 8388608)) conv=notrunc status=none ||
			fail "wblock_magic $1"
	done
}

# aero_image FILE SIZE [MKAERO-ARGS...]: a TRUSTED Aerospike device of
# namespace ns1, its write-blocks random and all used.
aero_image() {
	local f=$1 size=$2
	shift 2
	need_mkaero
	"$MKAERO" "$f" --size "$size" --flags TRUSTED --namespace ns1 "$@" || fail "mkaero $f"
	dd if=/dev/urandom of="$f" bs=1M seek=8 count=$((size / 1048576 - 8)) \
		conv=notrunc status=none || fail "dd $f"
	wblock_magic "$f" $(((size - 8388608) / 8388608))
}

# aero_verdict LOCAL SHADOW: what verify predicts asd does at cold start
# with that pair, as "VERDICT DATA_MATCHES" (load-local true, load-local
# false: stale data loaded, copy-from-shadow null, ...).
aero_verdict() {
	"$SS" verify "$1" "$2" --json 2>/dev/null |
		jq -r '.pairs[0].cold_start | "\(.verdict) \(.data_matches)"'
}

# one_line WHAT PATTERN: $T/err is one line matching PATTERN (ERE).
one_line() {
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$1: not one line on stderr: $(cat "$T/err")"
	grep -Eq -- "$2" "$T/err" || fail "$1: '$(cat "$T/err")' does not match '$2'"
}

# offset_in WHAT LOW HIGH: the offset $T/err names is in [LOW, HIGH].
offset_in() {
	local o
	o=$(sed -n 's/.* at offset \([0-9]*\).*/\1/p' "$T/err")
	[ -n "$o" ] && [ "$o" -ge "$2" ] && [ "$o" -le "$3" ] ||
		fail "$1: offset '${o}' not in [$2, $3]: $(cat "$T/err")"
}

# io_past PID FIELD BYTES: wait until /proc/PID/io's FIELD (rchar,
# wchar) passes BYTES, at most 10 s; false if it never does.
io_past() {
	local i r
	for i in $(seq 1000); do
		r=$(awk -v f="$2:" '$1 == f { print $2 }' /proc/$1/io 2>/dev/null) || return 1
		[ "${r:-0}" -gt "$3" ] && return 0
		sleep 0.01
	done
	return 1
}

# power_on IMG: $DEV is IMG behind nbdkit's cache filter in write-back
# mode (writes stay in its cache until a flush: fdatasync) and its delay
# filter (each write takes 20 ms), through nbdfuse; $NBDFUSE its server.
# power_cut: SIGKILL that nbdkit: every write since the last flush is
# lost, as on a disk whose volatile cache loses power (nbdfuse then
# aborts: its message in the log is expected).
_power_n=0
power_on() {
	_power_n=$((_power_n + 1))
	fuse_device "$T/power$_power_n" --filter=delay --filter=cache file "$1" \
		cache=writeback delay-write=20ms
	NBDFUSE=$!
	DEV=$T/power$_power_n/dev
}
power_cut() {
	local k
	k=$(pgrep -P "$NBDFUSE" -x nbdkit) || fail "no nbdkit under nbdfuse $NBDFUSE"
	kill -KILL $k
	_fuse_cleanup "$T/power$_power_n"
	wait "$NBDFUSE" 2>/dev/null
}

# power_uncut_ms CMD OTHER MAKE KIND FILE [CHECK]: into full_ms, how long
# CMD (sync or restore, psync engine) writing FILE from OTHER behind
# power_on takes uncut here (the shorter of two, FILE made by `MAKE KIND
# FILE` each time); the power is cut after each, then `CHECK FILE`.
power_uncut_ms() {
	local cmd=$1 other=$2 make=$3 kind=$4 file=$5 check=${6:-true} k t t0 args
	full_ms=999999
	for k in 1 2; do
		"$make" "$kind" "$file"
		power_on "$file"
		_ss_pair "$cmd" "$other" "$DEV"
		t0=$(date +%s%N)
		run_ss "$T/out" "$T/err" "$cmd" "${args[@]}" --engine psync
		expect_rc 0 "uncut $cmd: $(cat "$T/err")"
		t=$((($(date +%s%N) - t0) / 1000000))
		[ $t -lt $full_ms ] && full_ms=$t
		power_cut
		"$check" "$file"
	done
	note "an uncut $cmd takes ${full_ms} ms"
}

# power_cut_during CMD OTHER FILE SPAN: power_on FILE, CMD (psync engine)
# writing it from OTHER in the background, the power cut at a moment
# within SPAN ms from RANDOM (into ms: seed it); rc is CMD's exit status,
# running 1 when the cut landed while CMD ran (and then mid counts it).
power_cut_during() {
	local cmd=$1 other=$2 span=$4 pid args
	power_on "$3"
	_ss_pair "$cmd" "$other" "$DEV"
	"$SS" "$cmd" "${args[@]}" --engine psync >"$T/out" 2>"$T/err" &
	pid=$!
	ms=$((RANDOM % span))
	sleep_ms $ms
	running=0
	kill -0 $pid 2>/dev/null && running=1
	power_cut
	wait $pid
	rc=$?
	if [ $running = 1 ]; then mid=$((mid + 1)); fi
}

# power_cut_proven FILE: the cut loses writes for real (a write not
# flushed is not in FILE, a flushed one is); FILE's byte at 20 MiB changes.
power_cut_proven() {
	local before
	power_on "$1"
	before=$(xxhsum -H2 <"$1")
	printf 'lost' | dd of="$DEV" bs=1 seek=20971520 conv=notrunc status=none
	power_cut
	[ "$(xxhsum -H2 <"$1")" = "$before" ] || fail "an unflushed write survived the power cut"
	power_on "$1"
	printf 'kept' | dd of="$DEV" bs=1 seek=20971520 conv=notrunc,fdatasync status=none
	power_cut
	[ "$(dd if="$1" bs=1 skip=20971520 count=4 status=none)" = kept ] ||
		fail "a flushed write was lost"
}

# sleep_ms MS
sleep_ms() { sleep "$(($1 / 1000)).$(printf %03d $(($1 % 1000)))"; }

# restore_unfinished WHAT TARGET IMAGE: TARGET, left half-written by a
# restore of IMAGE, shows the mark of an unfinished restore (inspect:
# unfinished-restore) and is never loadable (verify, IMAGE as the
# shadow: not load-local).
restore_unfinished() {
	local st v
	st=$("$SS" inspect "$2" --json 2>/dev/null | jq -r .state)
	[ "$st" = unfinished-restore ] ||
		fail "$1: half-written, and inspect says '$st' (the mark must be there)"
	v=$(aero_verdict "$2" "$3")
	case "$v" in
	load-local*) fail "$1: half-written, and asd would load it ($v)" ;;
	esac
}

# restore_marked WHAT SOURCE TARGET: start `shadowsync restore SOURCE
# TARGET` in the background (stdin from $RESTORE_STDIN when set; stdout
# $T/out, stderr $T/err), its fdatasyncs held 0.5 s each by strace, and
# return once TARGET shows the mark of an unfinished restore; its pid in
# RESTORE_PID. (LeakSanitizer cannot run under strace: off.)
restore_marked() {
	local i
	ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0 \
		strace -f -o /dev/null -e trace=fdatasync -e inject=fdatasync:delay_exit=500000 \
		"$SS" restore "$2" "$3" >"$T/out" 2>"$T/err" <"${RESTORE_STDIN:-/dev/null}" &
	RESTORE_PID=$!
	for i in $(seq 500); do
		head -c 30 "$3" | qgrep -a "SHADOWSYNC RESTORE" && return 0
		sleep 0.01
	done
	fail "$1: no mark seen on $3"
}

# --- What sync and restore share: the refusals of the device they write
# and their commit under failures (sync_*/restore_* tests). One block, so
# that other branches' additions above merge cleanly.

# ss_refused CMD WHAT PATTERN WATCH ARGS...: `shadowsync CMD ARGS...` exits
# 2 with one stderr line, the whole of it "shadowsync: PATTERN" (an
# extended regex), and the file WATCH is left as it was.
ss_refused() {
	local cmd=$1 what=$2 pattern=$3 watch=$4 before
	shift 4
	before=$(xxhsum -H2 <"$watch")
	run_ss "$T/out" "$T/err" "$cmd" "$@"
	expect_rc 2 "$what: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$what: want one stderr line: $(cat "$T/err")"
	grep -qxE -e "shadowsync: $pattern" "$T/err" ||
		fail "$what: '$pattern' is not: $(cat "$T/err")"
	[ "$(xxhsum -H2 <"$watch")" = "$before" ] || fail "$what: $watch was written"
	note "$what: $(cat "$T/err")"
}

# _ss_role CMD: the name CMD's messages give the device it writes (sync's
# local, restore's target), into role.
_ss_role() {
	case $1 in
	sync) role=local ;;
	restore) role=target ;;
	*) fail "no such command '$1'" ;;
	esac
}

# _ss_pair CMD OTHER WRITTEN: CMD's two paths, in its order, into args.
_ss_pair() {
	if [ "$1" = sync ]; then args=("$3" "$2"); else args=("$2" "$3"); fi
}

# ss_refusal_walk CMD OTHER: what sync and restore both refuse of the
# device they write (sync's local, restore's target): mounted (--force
# too), a loop device's backing file, open by another process (--force
# then writes: it must end up equal to OTHER), a read-only loop device
# (--force too), a read-only file system. OTHER is the other path, 16
# MiB: sync's shadow (`sync WRITTEN OTHER`), restore's image (`restore
# OTHER WRITTEN`). Needs root, losetup, mkfs.ext4, xxhsum; skips when
# ext4 cannot be mounted.
ss_refusal_walk() {
	local cmd=$1 other=$2 role args holder fs w
	_ss_role "$cmd"

	truncate -s $((16 << 20)) "$T/walk-fs.img"
	mkfs.ext4 -q -F "$T/walk-fs.img" || fail "mkfs"
	loop_attach fs "$T/walk-fs.img"
	mkdir "$T/walk-mnt"
	mount "$fs" "$T/walk-mnt" || skip "cannot mount ext4"
	at_exit "mountpoint -q '$T/walk-mnt' && umount '$T/walk-mnt'; true"
	_ss_pair "$cmd" "$other" "$fs"
	ss_refused "$cmd" mounted "$role '$fs' is mounted on $T/walk-mnt; unmount it first" \
		"$T/walk-fs.img" "${args[@]}"
	ss_refused "$cmd" mounted-force "$role '$fs' is mounted on $T/walk-mnt; unmount it first" \
		"$T/walk-fs.img" "${args[@]}" --force
	umount "$T/walk-mnt"
	_ss_pair "$cmd" "$other" "$T/walk-fs.img"
	ss_refused "$cmd" loop-backing "$role '$T/walk-fs.img' is the backing file of $fs; detach it first \(losetup -d\)" \
		"$T/walk-fs.img" "${args[@]}"

	w=$T/walk-open
	mkrand "$w" $((16 << 20))
	sleep 300 <"$w" &
	holder=$!
	at_exit "kill $holder 2>/dev/null; true"
	sleep 0.2
	_ss_pair "$cmd" "$other" "$w"
	ss_refused "$cmd" open-elsewhere "$role '$w' is open by process $holder \(sleep\); stop it first, or --force if you are sure" \
		"$w" "${args[@]}"
	run_ss "$T/out" "$T/err" "$cmd" "${args[@]}" --force
	expect_rc 0 "open-elsewhere --force: $(cat "$T/err")"
	cmp -s "$w" "$other" || fail "open-elsewhere: --force did not write"
	kill $holder

	mkrand "$T/walk-ro.img" $((16 << 20))
	w=$(losetup --find --show --read-only "$T/walk-ro.img") || fail "losetup -r"
	at_exit "losetup -d $w"
	_ss_pair "$cmd" "$other" "$w"
	ss_refused "$cmd" ro-loop "$role '$w' is read-only" "$T/walk-ro.img" "${args[@]}"
	ss_refused "$cmd" ro-loop-force "$role '$w' is read-only" "$T/walk-ro.img" "${args[@]}" --force
	mkdir "$T/walk-ro"
	mount -t tmpfs -o size=32m tmpfs "$T/walk-ro" && at_exit "umount '$T/walk-ro'"
	mkrand "$T/walk-ro/dev" $((16 << 20))
	mount -o remount,ro "$T/walk-ro"
	_ss_pair "$cmd" "$other" "$T/walk-ro/dev"
	ss_refused "$cmd" ro-fs "$role '$T/walk-ro/dev' is read-only \(read-only file system\)" \
		"$T/walk-ro/dev" "${args[@]}"
}

# ss_alias_walk CMD OTHER: CMD refuses to write OTHER from itself under
# another name: OTHER itself, a hard link to it, a loop device over it
# (--force too), that loop device from itself, OTHER from that loop
# device: "ROLE 'WRITTEN' and 'FROM' are the same file (or device); a
# device cannot be ...", OTHER left as it was.
ss_alias_walk() {
	local cmd=$1 other=$2 role tail args loopdev over
	_ss_role "$cmd"
	case $cmd in
	sync) tail="a device cannot be its own shadow" ;;
	restore) tail="a device cannot be restored from itself" ;;
	esac
	_ss_pair "$cmd" "$other" "$other"
	ss_refused "$cmd" same-file "$role '$other' and '$other' are the same file; $tail" \
		"$other" "${args[@]}"
	ln "$other" "$T/alias-link"
	_ss_pair "$cmd" "$other" "$T/alias-link"
	ss_refused "$cmd" hard-link "$role '$T/alias-link' and '$other' are the same file; $tail" \
		"$other" "${args[@]}"
	loop_attach loopdev "$other"
	over="are the same device \('$loopdev' is a loop device over '$other'\); $tail"
	_ss_pair "$cmd" "$other" "$loopdev"
	ss_refused "$cmd" loop-alias "$role '$loopdev' and '$other' $over" "$other" "${args[@]}"
	ss_refused "$cmd" loop-alias-force "$role '$loopdev' and '$other' $over" "$other" "${args[@]}" --force
	_ss_pair "$cmd" "$loopdev" "$loopdev"
	ss_refused "$cmd" same-device "$role '$loopdev' and '$loopdev' are the same device; $tail" \
		"$other" "${args[@]}"
	_ss_pair "$cmd" "$loopdev" "$other"
	ss_refused "$cmd" loop-alias-2 "$role '$other' and '$loopdev' $over" "$other" "${args[@]}"
}

# commit_verdict FILE PEER: what `verify FILE PEER` predicts of asd's
# cold start on FILE, "VERDICT DATA_MATCHES".
commit_verdict() {
	"$SS" verify "$1" "$2" --json 2>/dev/null |
		jq -r '.pairs[0].cold_start | "\(.verdict) \(.data_matches)"'
}

# commit_not_worse WHAT FILE PEER: after a sync or restore into FILE that
# failed, asd must not load FILE's stale data as it is (load-local with
# data that differs from PEER).
commit_not_worse() {
	local v
	v=$(commit_verdict "$2" "$3")
	case "$v" in
	"load-local false") fail "$1: '$2' looks loadable to asd with stale data ($v)" ;;
	"load-local true"|"copy-from-shadow null") note "$1: $v" ;;
	*) fail "$1: unexpected verdict '$v'" ;;
	esac
}

# _ss_commit_args CMD FILE PEER: CMD's arguments writing FILE, into args.
_ss_commit_args() { _ss_pair "$1" "$3" "$2"; }

# commit_enospc CMD PEER SMALL BIG MAKE FINISH CASE...: for each CASE,
# `MAKE CASE FILE sparse` on a tmpfs of SMALL bytes; CMD (sync or
# restore) writing FILE from PEER fails for want of space and leaves it
# not worse; with the tmpfs grown to BIG bytes, `FINISH WHAT FILE` (the
# test's rerun) completes the job.
commit_enospc() {
	local cmd=$1 peer=$2 small=$3 big=$4 make=$5 finish=$6 c args
	shift 6
	mkdir -p "$T/small"
	for c in "$@"; do
		mount -t tmpfs -o size=$small tmpfs "$T/small" || skip "cannot mount tmpfs"
		at_exit "mountpoint -q '$T/small' && umount '$T/small'; true"
		"$make" "$c" "$T/small/dev" sparse
		_ss_commit_args "$cmd" "$T/small/dev" "$peer"
		run_ss "$T/out" "$T/err" "$cmd" "${args[@]}"
		expect_rc 2 "enospc/$c"
		grep -q "No space left on device" "$T/err" || fail "enospc/$c: $(cat "$T/err")"
		commit_not_worse "enospc/$c" "$T/small/dev" "$peer"
		mount -o remount,size=$big "$T/small"
		"$finish" "enospc/$c" "$T/small/dev"
		umount "$T/small"
	done
}

# commit_eio CMD PEER MAKE FINISH CASE...: for each CASE, `MAKE CASE IMG`
# served through nbdkit, whose writes are slowed and, once CMD (psync
# engine) has written something, fail with EIO: CMD fails, the device is
# not worse, and with the errors off `FINISH WHAT DEV` completes the job.
commit_eio() {
	local cmd=$1 peer=$2 make=$3 finish=$4 c args i pid
	shift 4
	for c in "$@"; do
		"$make" "$c" "$T/eio-$c.img"
		cp "$T/eio-$c.img" "$T/eio-$c.before"
		rm -f "$T/trigger-$c"
		fuse_device "$T/eio-$c" --filter=error --filter=delay file "$T/eio-$c.img" \
			delay-write=50ms error-pwrite-rate=100% error-file="$T/trigger-$c"
		_ss_commit_args "$cmd" "$T/eio-$c/dev" "$peer"
		"$SS" "$cmd" "${args[@]}" --engine psync >"$T/out" 2>"$T/err" &
		pid=$!
		# Switch the errors on once the first write has landed.
		for i in $(seq 200); do
			cmp -s "$T/eio-$c.img" "$T/eio-$c.before" || break
			sleep 0.05
		done
		touch "$T/trigger-$c"
		wait $pid
		RC=$?
		expect_rc 2 "eio/$c: $(cat "$T/err")"
		grep -q "Input/output error" "$T/err" || fail "eio/$c: $(cat "$T/err")"
		commit_not_worse "eio/$c" "$T/eio-$c/dev" "$peer"
		rm "$T/trigger-$c"
		"$finish" "eio/$c" "$T/eio-$c/dev"
	done
}

# ss_kill_randomly ARGS...: run shadowsync ARGS in the background and
# SIGKILL it 0.1 to 0.8 s later (the delay from RANDOM: seed it). Returns
# 0 when the kill landed (it was still running).
ss_kill_randomly() { ss_kill_at $(((RANDOM % 8 + 1) * 100)) "$@"; }

# ss_kill_at MS ARGS...: run shadowsync ARGS in the background and SIGKILL
# it MS ms later; its exit status in rc. Returns 0 when the kill landed
# (it was still running).
ss_kill_at() {
	local ms=$1 pid landed=1
	shift
	"$SS" "$@" >"$T/out" 2>"$T/err" &
	pid=$!
	sleep_ms "$ms"
	kill -KILL $pid 2>/dev/null && landed=0
	wait $pid 2>/dev/null
	rc=$?
	return $landed
}

# slow_loop_on PRISTINE: a copy of PRISTINE on a slow-writing device
# (nbdkit's file plugin behind the delay filter, 4 ms a write, through
# nbdfuse), attached as the loop device $L; slow_loop_off drops it.
_slow_n=0
slow_loop_on() {
	_slow_n=$((_slow_n + 1))
	cp "$1" "$T/slow$_slow_n.img"
	fuse_device "$T/slow$_slow_n" --filter=delay file "$T/slow$_slow_n.img" delay-write=4ms
	loop_attach L "$T/slow$_slow_n/dev"
}
slow_loop_off() {
	_loop_cleanup "$L" "$T/slow$_slow_n/dev"
	_fuse_cleanup "$T/slow$_slow_n"
	rm -f "$T/slow$_slow_n.img"
}

# ss_write_faults CMD OTHER SIZE OFF MAKE FAILED CHECK: an EIO and an
# ENOSPC (tests/tools/slowdev) on the write that reaches OFF, every
# engine. `MAKE FILE` makes the device of SIZE bytes that CMD (sync or
# restore) writes from OTHER, served by slowdev: CMD exits 2 with one line
# naming the device, an offset and the errno; `FAILED WHAT FILE` checks
# what the failure left; with the fault gone a rerun exits 0 and `CHECK
# WHAT FILE` checks its result.
ss_write_faults() {
	local cmd=$1 other=$2 size=$3 off=$4 make=$5 failed=$6 check=$7
	local fault e n=0 err role args failed_with
	_ss_role "$cmd"
	for fault in SLOWDEV_WEIO SLOWDEV_WENOSPC_FROM; do
		for e in $ENGINES; do
			n=$((n + 1))
			"$make" "$T/wf$n.img"
			# slowdev reads its faults from the environment.
			export "$fault=$off"
			slow_device "$T/w$n" "$T/wf$n.img" 0
			unset "$fault"
			_ss_pair "$cmd" "$other" "$T/w$n/dev"
			run_ss "$T/out" "$T/err" "$cmd" "${args[@]}" --engine $e
			expect_rc 2 "$fault/$e: $(cat "$T/err")"
			case $fault in
			SLOWDEV_WEIO) err="Input/output error \(EIO\)" ;;
			*) err="No space left on device \(ENOSPC\)" ;;
			esac
			one_line "$fault/$e" "$role '$T/w$n/dev' at offset [0-9]+: $err"
			failed_with=$(cat "$T/err")
			# The failed request started at or below OFF, in the same
			# window; with ENOSPC every write from OFF on fails, and
			# with several in flight the first to complete may be a
			# later one.
			offset_in "$fault/$e" $((off - 64 * 1048576)) \
				$([ $fault = SLOWDEV_WEIO ] && echo $off || echo $size)
			"$failed" "$fault/$e" "$T/wf$n.img"
			_fuse_cleanup "$T/w$n"
			slow_device "$T/w$n.ok" "$T/wf$n.img" 0
			_ss_pair "$cmd" "$other" "$T/w$n.ok/dev"
			run_ss "$T/out" "$T/err" "$cmd" "${args[@]}" --engine $e
			expect_rc 0 "$fault/$e: rerun without the fault: $(cat "$T/err")"
			"$check" "$fault/$e" "$T/wf$n.img"
			note "$fault/$e: $failed_with"
		done
	done
}

# ss_slow_start CMD OTHER WRITTEN FIELD BYTES ARGS...: CMD writing WRITTEN
# from OTHER, with ARGS (slow ones), in the background ($pid), until its
# /proc/PID/io FIELD (rchar, wchar) passes BYTES (at most 10 s). A device
# refused as open by another process is tried again: on a shared host
# other tests' losetup and udev open loop devices by number, for a moment.
ss_slow_start() {
	local cmd=$1 other=$2 written=$3 field=$4 bytes=$5 k args
	shift 5
	_ss_pair "$cmd" "$other" "$written"
	for k in 1 2 3 4 5; do
		"$SS" "$cmd" "${args[@]}" "$@" >"$T/out" 2>"$T/err" &
		pid=$!
		io_past $pid "$field" "$bytes" && return 0
		wait $pid
		qgrep "is open by process" "$T/err" || break
		sleep 1
	done
	fail "$cmd did not pass $bytes bytes of $field in 10 s: $(cat "$T/err")"
}

# ss_midrun_ends WHAT RC PATTERN [LOW HIGH]: the run $pid ends with exit
# RC, $T/err one line matching PATTERN (ERE) that names an offset in
# [LOW, HIGH].
ss_midrun_ends() {
	wait $pid
	RC=$?
	expect_rc "$2" "$1: $(cat "$T/err")"
	note "$1: $(cat "$T/err")"
	one_line "$1" "$3"
	[ -z "${4:-}" ] || offset_in "$1" "$4" "$5"
}

# ss_rerun WHAT CMD OTHER WRITTEN FILE REF: the fault gone, CMD writing
# WRITTEN from OTHER exits 0 and FILE ends identical to REF.
ss_rerun() {
	local args
	_ss_pair "$2" "$3" "$4"
	run_ss "$T/out" "$T/err" "$2" "${args[@]}"
	expect_rc 0 "$1: rerun: $(cat "$T/err")"
	cmp -s "$5" "$6" || fail "$1: rerun did not end identical"
}

# Targets that change under a slow CMD (sync or restore) writing from
# OTHER: `START OTHER DEV` starts it (ss_slow_start); FILE, made by the
# test, ends identical to REF after the rerun; `FAILED WHAT PATH` checks
# what a failure left in PATH.
# ss_shrunk_loop CMD OTHER REF START FILE SMALL AFTER FAILED: FILE behind a
# loop device, shrunk to SMALL bytes (losetup -c after truncating FILE):
# exit 2, one line "ROLE 'DEV' at offset N" and AFTER (ERE), N in [SMALL,
# FILE's size]; FAILED on the device; grown back, the rerun.
ss_shrunk_loop() {
	local cmd=$1 other=$2 ref=$3 start=$4 file=$5 small=$6 after=$7 failed=$8 size L role
	_ss_role "$cmd"
	size=$(stat -c %s "$file")
	loop_attach L "$file"
	"$start" "$other" "$L"
	truncate -s "$small" "$file"
	losetup -c "$L" || fail "losetup -c $L"
	ss_midrun_ends "shrunk loop" 2 "$role '$L' at offset [0-9]+$after" "$small" "$size"
	"$failed" "shrunk loop" "$L"
	truncate -s "$size" "$file"
	losetup -c "$L" || fail "losetup -c $L"
	ss_rerun "shrunk loop" "$cmd" "$other" "$L" "$file" "$ref"
}

# ss_detached_loop CMD OTHER REF START FILE: FILE behind a loop device,
# detached (losetup -d) mid-run: the kernel defers the detach until CMD
# closes it; CMD completes, FILE identical to REF, then the device is gone.
ss_detached_loop() {
	local cmd=$1 other=$2 ref=$3 start=$4 file=$5 D
	loop_attach D "$file"
	"$start" "$other" "$D"
	losetup -d "$D" || fail "losetup -d $D"
	wait $pid
	RC=$?
	expect_rc 0 "detached loop: $(cat "$T/err")"
	cmp -s "$file" "$ref" || fail "detached loop: not identical"
	[ "$(losetup -n -O BACK-FILE "$D" 2>/dev/null)" = "$file" ] &&
		fail "detached loop: $D still attached after $cmd exited"
	return 0
}

# ss_vanished CMD OTHER REF START FILE AFTER LOW HIGH FAILED: FILE served
# through nbdfuse, its nbdkit killed mid-run: exit 2, one line "ROLE 'DEV'
# at offset N" and AFTER (ERE), N in [LOW, HIGH] (unless LOW is empty);
# FAILED on FILE; served again, the rerun.
ss_vanished() {
	local cmd=$1 other=$2 ref=$3 start=$4 file=$5 after=$6 low=$7 high=$8 failed=$9 role nbdfuse_pid
	_ss_role "$cmd"
	fuse_device "$T/gone" file "$file"
	nbdfuse_pid=$!
	"$start" "$other" "$T/gone/dev"
	kill -KILL "$(pgrep -P $nbdfuse_pid -x nbdkit)" || fail "no nbdkit to kill"
	ss_midrun_ends "vanished device" 2 "$role '$T/gone/dev' at offset [0-9]+$after" "$low" "$high"
	"$failed" "vanished device" "$file"
	_fuse_cleanup "$T/gone"
	fuse_device "$T/back" file "$file"
	ss_rerun "vanished device" "$cmd" "$other" "$T/back/dev" "$file" "$ref"
}
