# sync refuses, with one line saying why and exit 2, and without writing a
# byte: a mounted local, a file behind a loop device, a local open by
# another process (--force overrides only that), local and shadow the same
# file or device (also through a loop device), a read-only local, a
# smaller shadow. Write errors (EIO, ENOSPC) name device, offset, errno.
. "$(dirname "$0")/../lib.sh"
need_root "loop devices and mounts"
need_cmd losetup xxhsum mkfs.ext4

M=1048576
sum() { xxhsum -H2 <"$1" | cut -d' ' -f1; }

# refused WHAT PATTERN FILE-TO-WATCH ARGS...: exit 2, one stderr line
# matching PATTERN, FILE-TO-WATCH unchanged.
refused() {
	local what=$1 pattern=$2 watch=$3 before
	shift 3
	before=$(sum "$watch")
	run_ss "$T/out" "$T/err" sync "$@"
	expect_rc 2 "$what: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$what: want one stderr line: $(cat "$T/err")"
	grep -qE -e "$pattern" "$T/err" || fail "$what: '$pattern' not in: $(cat "$T/err")"
	[ "$(sum "$watch")" = "$before" ] || fail "$what: $watch was written"
	note "$what: $(cat "$T/err")"
}

mkrand "$T/shadow" $((16 * M))
mkrand "$T/local" $((16 * M))

# Mounted: an ext4 file system on a loop device.
truncate -s $((16 * M)) "$T/fs.img"
mkfs.ext4 -q -F "$T/fs.img" || fail "mkfs"
loop_attach FS "$T/fs.img"
mkdir "$T/mnt"
mount "$FS" "$T/mnt" || skip "cannot mount ext4"
at_exit "mountpoint -q '$T/mnt' && umount '$T/mnt'; true"
refused mounted "local '$FS' is mounted on $T/mnt; unmount it first" "$T/fs.img" "$FS" "$T/shadow"
refused mounted-force "local '$FS' is mounted on $T/mnt; unmount it first" "$T/fs.img" "$FS" "$T/shadow" --force
umount "$T/mnt"

# A file that backs a loop device.
refused loop-backing "local '$T/fs.img' is the backing file of $FS" "$T/fs.img" "$T/fs.img" "$T/shadow"

# Open by another process; --force writes anyway.
sleep 300 <"$T/local" &
holder=$!
at_exit "kill $holder 2>/dev/null; true"
sleep 0.2
refused open-elsewhere "local '$T/local' is open by process $holder \(sleep\); stop it first, or --force" "$T/local" "$T/local" "$T/shadow"
run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow" --force
expect_rc 0 "--force: $(cat "$T/err")"
cmp -s "$T/local" "$T/shadow" || fail "--force did not sync"
kill $holder
mkrand "$T/local" $((16 * M))

# The same bytes under two names.
refused same-file "local '$T/shadow' and '$T/shadow' are the same file" "$T/shadow" "$T/shadow" "$T/shadow"
ln "$T/shadow" "$T/hardlink"
refused hard-link "are the same file" "$T/shadow" "$T/hardlink" "$T/shadow"
loop_attach SH "$T/shadow"
refused loop-alias "local '$SH' and '$T/shadow' are the same device" "$T/shadow" "$SH" "$T/shadow"
refused loop-alias-force "local '$SH' and '$T/shadow' are the same device" "$T/shadow" "$SH" "$T/shadow" --force
refused same-device "are the same device" "$T/shadow" "$SH" "$SH"

# Read-only local: a read-only loop device, a read-only file system.
cp "$T/local" "$T/ro.img"
RO=$(losetup --find --show --read-only "$T/ro.img") || fail "losetup -r"
at_exit "losetup -d $RO"
refused ro-loop "local '$RO' is read-only" "$T/ro.img" "$RO" "$T/shadow"
refused ro-loop-force "local '$RO' is read-only" "$T/ro.img" "$RO" "$T/shadow" --force
mkdir "$T/ro"
mount -t tmpfs -o size=32m tmpfs "$T/ro" && at_exit "umount '$T/ro'"
cp "$T/local" "$T/ro/local"
mount -o remount,ro "$T/ro"
refused ro-fs "local '$T/ro/local' is read-only" "$T/ro/local" "$T/ro/local" "$T/shadow"

# A shadow smaller than local.
head -c $((8 * M)) "$T/shadow" >"$T/small"
refused smaller "shadow '$T/small' \($((8 * M)) bytes\) is smaller than local '$T/local' \($((16 * M)) bytes\)" "$T/local" "$T/local" "$T/small"

# ENOSPC: a sparse local on a full 4 MiB tmpfs; holes need new pages.
mkdir "$T/full"
mount -t tmpfs -o size=4m tmpfs "$T/full" && at_exit "umount '$T/full'"
truncate -s $((16 * M)) "$T/full/local"
run_ss "$T/out" "$T/err" sync "$T/full/local" "$T/shadow"
expect_rc 2
grep -qE "^shadowsync: write error on local '$T/full/local' at offset [0-9]+: No space left on device \(ENOSPC\)$" "$T/err" ||
	fail "ENOSPC: $(cat "$T/err")"
note "enospc: $(cat "$T/err")"

# EIO on write: nbdkit's error filter on pwrite, reads fine.
touch "$T/wtrigger"
fuse_device "$T/fmnt" --filter=error memory 16M error-pwrite-rate=100% error-file="$T/wtrigger"
for e in $ENGINES; do
	run_ss "$T/out" "$T/err" sync "$T/fmnt/dev" "$T/shadow" --engine $e --json
	expect_rc 2 "eio/$e"
	grep -qE "^shadowsync: write error on local '$T/fmnt/dev' at offset [0-9]+: Input/output error \(EIO\)$" "$T/err" ||
		fail "write EIO/$e: $(cat "$T/err")"
	expect_json "$T/out" .result '"error"'
	expect_json "$T/out" .pairs[0].verified false
done
rm "$T/wtrigger"

# A device that accepts writes and loses them (nbdkit's null plugin): the
# read-back catches it, exit 2, never "synced".
fuse_device "$T/nmnt" null 16M
run_ss "$T/out" "$T/err" sync "$T/nmnt/dev" "$T/shadow" --json
expect_rc 2
grep -qE "^shadowsync: read-back of local '$T/nmnt/dev' at offset 0 does not match what was written$" "$T/err" ||
	fail "lost writes: $(cat "$T/err")"
expect_json "$T/out" .result '"error"'
expect_json "$T/out" .pairs[0].verified false
note "lost writes: $(cat "$T/err")"
run_ss "$T/out" "$T/err" sync "$T/fmnt/dev" "$T/shadow" --json
expect_rc 0 "after the fault: $(cat "$T/err")"
cmp -s "$T/fmnt/dev" "$T/shadow" || fail "FUSE local not synced"
exit 0
