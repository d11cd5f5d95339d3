# A hash (or warm --manifest-out) killed with SIGKILL mid-run leaves no
# file in the manifest's directory: the manifest is written to an unnamed
# O_TMPFILE file and linked in only when whole. The device is slow (nbdkit
# delay filter through nbdfuse) so the kills land while the manifest is
# open; the test counts the kills that did and fails when too few did.
. "$(dirname "$0")/../lib.sh"
need_cmd nbdkit nbdfuse
fuse_device "$T/slow" --filter=delay memory 64M delay-read=100ms
DEV=$T/slow/dev

mkdir "$T/out"
echo "an older file" >"$T/out/keep"
before=$(ls -A "$T/out")

# writing PID: does PID hold a file open in $T/out (the manifest)?
writing() { ls -l "/proc/$1/fd" 2>/dev/null | qgrep -- "-> $T/out/"; }

landed=0
for round in 1 2 3 4; do
	if [ $((round % 2)) = 1 ]; then
		"$SS" hash "$DEV" -o "$T/out/m" >/dev/null 2>"$T/err" &
	else
		"$SS" warm "$DEV" --manifest-out "$T/out/m" >/dev/null 2>"$T/err" &
	fi
	pid=$!
	for i in $(seq 200); do
		writing $pid && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.02
	done
	was_writing=no
	writing $pid && was_writing=yes
	kill -KILL $pid 2>/dev/null
	wait $pid
	rc=$?
	if [ $rc = 137 ] && [ $was_writing = yes ] && [ ! -e "$T/out/m" ]; then
		landed=$((landed + 1))
	fi
	[ "$(ls -A "$T/out")" = "$before" ] ||
		fail "round $round (exit $rc, writing: $was_writing) left: $(ls -A "$T/out" | tr '\n' ' ')"
done
note "$landed of 4 kills landed while the manifest was open"
[ $landed -ge 3 ] || fail "only $landed of 4 kills landed mid-run"

# Run to the end, it writes the manifest (and only it), which checks out.
run_ss "$T/o" "$T/err" hash "$DEV" -o "$T/out/m"
expect_rc 0 "$(cat "$T/err")"
[ "$(ls -A "$T/out" | sort | tr '\n' ' ')" = "keep m " ] || fail "left: $(ls -A "$T/out")"
run_ss "$T/o" "$T/err" check "$DEV" "$T/out/m"
expect_rc 0 "$(cat "$T/err")"
exit 0
