# A block-device SOURCE written while it is restored (a volume still
# mounted read-write, a copy into it that has not finished): it has no
# mtime, so its writes and discards completed are counted (sysfs stat),
# and a loop device's backing file is stamped too. Written through the
# device, discarded, or written in its backing file after restore opened
# it (the mark on TARGET; restore's fdatasyncs held 0.5 s each by strace):
# refused before the header region, exit 2 naming the source and how it
# changed, TARGET keeps the mark; a rerun with nothing writing finishes.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd strace blkdiscard
need_mkaero
M=1048576

"$MKAERO" "$T/src" --size $((64 * M)) --namespace ns1 --used 9 --flags TRUSTED || fail mkaero
loop_attach L "$T/src"

# written CASE HOW: restore L onto a fresh target, change the source HOW
# once the mark is on the target; exit 2 naming it, the mark kept.
written() {
	local what=$1 how=$2
	mkrand "$T/tgt" $((64 * M))
	restore_marked "$what" "$L" "$T/tgt"
	case $how in
	device) head -c 4096 /dev/urandom | dd of="$L" bs=4096 seek=100 oflag=direct conv=notrunc status=none ||
			fail "$what: dd" ;;
	discard) blkdiscard -o $((32 * M)) -l $M "$L" || fail "$what: blkdiscard" ;;
	backing) head -c 4096 /dev/urandom | dd of="$T/src" bs=4096 seek=200 conv=notrunc,fsync status=none ||
			fail "$what: dd" ;;
	esac
	wait $RESTORE_PID
	RC=$?
	expect_rc 2 "$what: $(cat "$T/err")"
	local why="(a write or discard|[0-9]+ writes or discards) to it completed"
	[ "$how" = backing ] && why="its backing file '$T/src' was modified"
	one_line "$what" "^shadowsync: source '$L' changed during the restore \($why\): what was written may mix its versions; target '$T/tgt' keeps the mark of an unfinished restore"
	note "$what: $(cat "$T/err")"
	run_ss "$T/out" "$T/err" inspect "$T/tgt" --json
	expect_rc 0 "$what: inspect: $(cat "$T/err")"
	expect_json "$T/out" .state '"unfinished-restore"'
}
written "written through the device" device
written "discarded" discard
written "written in the backing file" backing

# Nothing writing: the same restore finishes, the target the source.
run_ss "$T/out" "$T/err" restore "$L" "$T/tgt"
expect_rc 0 "rerun: $(cat "$T/err")"
cmp -s "$L" "$T/tgt" || fail "rerun: the target is not the source"
exit 0
