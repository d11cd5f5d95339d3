# Bad input to verify: one clear line on stderr, exit 2, nothing on stdout
# (text mode), never a crash or a hang.
. "$(dirname "$0")/../lib.sh"

M=1048576
mkrand "$T/a" $((2 * M))
cp "$T/a" "$T/b"
: >"$T/empty"
mkdir "$T/dir"
mkfifo "$T/fifo"
head -c $((M)) "$T/a" >"$T/small"

# bad WHAT PATTERN ARGS...: exit 2, one stderr line matching PATTERN.
bad() {
	local what=$1 pattern=$2 lines
	shift 2
	run_ss "$T/out" "$T/err" "$@"
	expect_rc 2 "$what"
	lines=$(wc -l <"$T/err")
	[ "$lines" = 1 ] || fail "$what: expected one stderr line, got $lines: $(cat "$T/err")"
	grep -q "^shadowsync: " "$T/err" || fail "$what: no 'shadowsync: ' prefix: $(cat "$T/err")"
	grep -qE -e "$pattern" "$T/err" || fail "$what: stderr does not match '$pattern': $(cat "$T/err")"
	[ -s "$T/out" ] && fail "$what: stdout not empty: $(head -c 300 "$T/out")"
	note "$what: $(cat "$T/err")"
}

bad missing-local   "local '$T/nope' cannot be opened: No such file or directory" verify "$T/nope" "$T/b"
bad missing-shadow  "shadow '$T/nope' cannot be opened: No such file" verify "$T/a" "$T/nope"
bad directory       "local '$T/dir' is a directory" verify "$T/dir" "$T/b"
bad shadow-dir      "shadow '$T/dir' is a directory" verify "$T/a" "$T/dir"
bad char-device     "'/dev/null' is not a regular file or block device" verify /dev/null "$T/b"
bad fifo            "is not a regular file or block device" verify "$T/a" "$T/fifo"
bad zero-length     "local '$T/empty' is empty \(0 bytes\)" verify "$T/empty" "$T/b"
bad zero-shadow     "shadow '$T/empty' is empty" verify "$T/a" "$T/empty"
bad shadow-smaller  "shadow '$T/small' \($M bytes\) is smaller than local '$T/a' \($((2 * M)) bytes\)" verify "$T/a" "$T/small"
bad block-size-0    "--block-size '0': must be a multiple of 512" verify "$T/a" "$T/b" --block-size 0
bad block-size-1000 "--block-size '1000': must be a multiple of 512" verify "$T/a" "$T/b" --block-size 1000
bad block-size-big  "--block-size '65M'" verify "$T/a" "$T/b" --block-size 65M
bad block-size-word "--block-size 'lots': not a size" verify "$T/a" "$T/b" --block-size lots
bad block-size-unit "--block-size '1Q': not a size" verify "$T/a" "$T/b" --block-size 1Q
bad block-size-neg  "--block-size '-4K': not a size" verify "$T/a" "$T/b" --block-size -4K
bad block-size-huge "--block-size '99999999999999999999': too large" verify "$T/a" "$T/b" --block-size 99999999999999999999
bad block-size-none "option '--block-size' needs a value" verify "$T/a" "$T/b" --block-size
bad queue-depth-0   "--queue-depth '0': expected 1 to 1024" verify "$T/a" "$T/b" --queue-depth 0
bad queue-depth-big "--queue-depth '5000'" verify "$T/a" "$T/b" --queue-depth 5000
bad io-size         "--io-size '1000': must be a multiple of 4K" verify "$T/a" "$T/b" --io-size 1000
bad engine          "--engine 'spdk': expected auto, io_uring, libaio or psync" verify "$T/a" "$T/b" --engine spdk
bad unknown-option  "unknown option '--frobnicate'" verify "$T/a" "$T/b" --frobnicate
bad unknown-short   "unknown option '-x'" verify "$T/a" "$T/b" -x
bad no-paths        "expected LOCAL and SHADOW, got 0 paths" verify
bad one-path        "expected LOCAL and SHADOW, got 1 path" verify "$T/a"
bad three-paths     "expected LOCAL and SHADOW, got 3 paths" verify "$T/a" "$T/b" "$T/b"
bad unknown-command "unknown command 'verfiy'" verfiy "$T/a" "$T/b"

# An unattached loop device is a block device of size 0.
if [ "$(id -u)" = 0 ] && [ -e /dev/loop-control ]; then
	dev=$(losetup --find) && bad unattached-loop "'$dev' is empty \(0 bytes\)" verify "$dev" "$T/b"
fi

# Unreadable: a root-only file, read by an unprivileged user.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$T"
	chmod 600 "$T/a"
	cp "$SS" "$T/ss" && chmod 755 "$T/ss"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$T/ss" verify "$T/a" "$T/b" >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 2 unreadable
	grep -q "local '$T/a' cannot be opened: Permission denied" "$T/err" || fail "unreadable: $(cat "$T/err")"
	note "unreadable: $(cat "$T/err")"
fi

# With --json an error still gives one report object, result "error".
run_ss "$T/out" "$T/err" verify "$T/a" "$T/small" --json
expect_rc 2
expect_json "$T/out" .result '"error"'
expect_json "$T/out" .pairs[0].result '"error"'
expect_json "$T/out" '.exit_reason | test("smaller than local")' true
[ "$(wc -l <"$T/err")" = 1 ] || fail "json error: stderr should hold one line"

# --help answers and exits 0; so does the top-level help.
run_ss "$T/out" "$T/err" verify --help
expect_rc 0; grep -q 'usage: shadowsync verify LOCAL SHADOW' "$T/out" || fail "verify --help"
run_ss "$T/out" "$T/err" --help
expect_rc 0; grep -q 'verify' "$T/out" || fail "--help lists no verify"
run_ss "$T/out" "$T/err"
expect_rc 2
exit 0
