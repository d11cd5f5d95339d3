# sync writes the object it checked, not whatever the path names by the
# time it opens it for writing: LOCAL is a symlink flipped, as fast as a
# shell can, between a plain file and the backing file of a loop device
# (which sync refuses). The backing file must never be written; the test
# counts the runs that saw the swap between the check and the open, and
# fails when none did (it would not have tested anything).
. "$(dirname "$0")/../lib.sh"
need_root "loop devices"
need_cmd losetup xxhsum
M=1048576
sum() { xxhsum -H2 <"$1" | cut -d' ' -f1; }

mkrand "$T/shadow" $((4 * M))
mkrand "$T/backing" $((4 * M))
loop_attach LOOP "$T/backing"
backing_sum=$(sum "$T/backing")
ln -s "$T/plain" "$T/local"

flipper() {
	while :; do
		ln -sfn "$T/backing" "$T/local.new" && mv -T "$T/local.new" "$T/local"
		ln -sfn "$T/plain" "$T/local.new" && mv -T "$T/local.new" "$T/local"
	done
}
flipper &
flip_pid=$!
at_exit "kill $flip_pid 2>/dev/null; true"

swapped=0 synced=0 refused=0
for i in $(seq 60); do
	mkrand "$T/plain" $((4 * M))
	"$SS" sync "$T/local" "$T/shadow" >"$T/out" 2>"$T/err"
	rc=$?
	if grep -q "was replaced by another file or device" "$T/err"; then
		swapped=$((swapped + 1))
	elif [ $rc = 0 ]; then
		synced=$((synced + 1))
	else
		refused=$((refused + 1))
	fi
	[ "$(sum "$T/backing")" = "$backing_sum" ] || fail "run $i wrote the loop device's backing file"
	[ $swapped -ge 3 ] && [ $i -ge 30 ] && break
done
kill $flip_pid
note "$synced synced, $refused refused at the check, $swapped caught between check and open"
[ $swapped -ge 1 ] || fail "no run saw the swap between check and open: the test did not test"
exit 0
