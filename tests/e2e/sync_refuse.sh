# sync refuses, with one line saying why and exit 2, and without writing a
# byte: a mounted local, a file behind a loop device, a local open by
# another process (--force overrides only that), local and shadow the same
# file or device (also through a loop device), a read-only local, a
# smaller shadow. Write errors (EIO, ENOSPC) name device, offset, errno.
. "$(dirname "$0")/../lib.sh"
need_root "loop devices and mounts"
need_cmd losetup xxhsum mkfs.ext4

M=1048576

# refused WHAT PATTERN FILE-TO-WATCH ARGS...: exit 2, one stderr line
# matching PATTERN (whole), FILE-TO-WATCH unchanged.
refused() { local what=$1; shift; ss_refused sync "$what" "$@"; }

mkrand "$T/shadow" $((16 * M))
mkrand "$T/local" $((16 * M))

# Mounted, a loop device's backing file, open elsewhere, read-only: as
# restore.
ss_refusal_walk sync "$T/shadow"

# The same bytes under two names (a hard link, a loop device).
ss_alias_walk sync "$T/shadow"

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
