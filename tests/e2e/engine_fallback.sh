# --engine auto falls back io_uring -> libaio -> psync when setup fails,
# and the report names the engine used. io_uring is switched off for real
# with the kernel.io_uring_disabled sysctl (Linux 6.6+), as hardened hosts do.
. "$(dirname "$0")/../lib.sh"
need_root "the io_uring_disabled sysctl"
knob=/proc/sys/kernel/io_uring_disabled
[ -w $knob ] || skip "no $knob (kernel before 6.6)"

M=1048576
SIZE=$((4 * M)) BS=$M
mkrand "$T/shadow" $SIZE; cp "$T/shadow" "$T/local"; flip "$T/local" 12345
want=$(extents_of 12345)

old=$(cat $knob)
at_exit "echo $old > $knob"
echo 2 >$knob

run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --json
expect_rc 1 "$(cat "$T/err")"
expect_json "$T/out" .pairs[0].engine '"libaio"'
expect_json "$T/out" .pairs[0].extents "$want"

run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --engine io_uring
expect_rc 2
grep -q "cannot run engine 'io_uring': Operation not permitted (EPERM)" "$T/err" || fail "$(cat "$T/err")"
# --version says why: the sysctl, by name.
run_ss "$T/out" "$T/err" --version
expect_rc 0
grep -q "^  io_uring  no: kernel.io_uring_disabled = 2 " "$T/out" || fail "--version: $(cat "$T/out")"
grep -q "^  libaio    yes$" "$T/out" || fail "--version libaio: $(cat "$T/out")"

echo "$old" >$knob
run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --json
expect_rc 1; expect_json "$T/out" .pairs[0].engine '"io_uring"'
run_ss "$T/out" "$T/err" --version "$T"
expect_rc 0
grep -q "^  io_uring  yes$" "$T/out" || fail "--version: $(cat "$T/out")"
for lib in liburing libaio xxHash jansson libcurl OpenSSL libarchive; do
	grep "^built with:" "$T/out" | qgrep "$lib" || fail "--version does not name $lib as built with"
	grep "^runs with:" "$T/out" | qgrep "$lib" || fail "--version does not name $lib as loaded"
done
grep -q "^  O_DIRECT on '$T': yes$" "$T/out" || fail "--version PATH: $(cat "$T/out")"
exit 0
