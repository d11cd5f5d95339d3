# A file system without O_DIRECT (squashfs: open(O_DIRECT) is EINVAL) is
# read buffered; auto takes psync there; every engine gives the same answer.
# (tmpfs has O_DIRECT since Linux 6.6, so it no longer exercises this.)
. "$(dirname "$0")/../lib.sh"
need_root "mount"
need_cmd mksquashfs
grep -qw squashfs /proc/filesystems || skip "kernel has no squashfs"

M=1048576
SIZE=$((8 * M + 4321)) BS=65536
mkdir "$T/src"
mkrand "$T/src/shadow" $SIZE
cp "$T/src/shadow" "$T/src/local"
offs="0 $((3 * M)) $((SIZE - 1))"
for o in $offs; do flip "$T/src/local" $o; done
want=$(extents_of $offs)
mksquashfs "$T/src" "$T/fs.img" -quiet -noappend >/dev/null || fail "mksquashfs"
mkdir "$T/mnt"
mount -t squashfs -o loop,ro "$T/fs.img" "$T/mnt" || skip "cannot mount squashfs"
at_exit "umount '$T/mnt'"

for e in $ENGINES auto; do
	run_ss "$T/out" "$T/err" verify "$T/mnt/local" "$T/mnt/shadow" --block-size $BS --engine $e --json
	expect_rc 1 "$e: $(cat "$T/err")"
	expect_json "$T/out" .pairs[0].extents "$want"
	expect_json "$T/out" .pairs[0].local.direct_io false
	expect_json "$T/out" .pairs[0].bytes_compared $SIZE
	[ $e = auto ] && expect_json "$T/out" .pairs[0].engine '"psync"'
done

# Mixed: buffered local against an O_DIRECT shadow.
cp "$T/src/shadow" "$T/shadow"
run_ss "$T/out" "$T/err" verify "$T/mnt/local" "$T/shadow" --block-size $BS --json
expect_rc 1; expect_json "$T/out" .pairs[0].extents "$want"
expect_json "$T/out" .pairs[0].shadow.direct_io true
exit 0
