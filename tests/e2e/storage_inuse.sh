# sync refuses a local whose storage someone else uses: a whole disk whose
# partition is held open or mounted, a partition whose whole disk is held
# open, a disk under another loop device. As a user who cannot see every
# process, the in-use check is unknown, not passed: refused unless
# --force; and a permission error says so, not "read-only".
. "$(dirname "$0")/../lib.sh"
need_root "loop devices, partitions and mounts"
need_cmd losetup partx xxhsum mkfs.ext4 setpriv

M=1048576
sum() { xxhsum -H2 <"$1" | cut -d' ' -f1; }

# refused WHAT WANT WATCH ARGS...: sync ARGS exits 2 with one stderr line
# holding the fixed string WANT; WATCH is not written.
refused() {
	local what=$1 want=$2 watch=$3 before
	shift 3
	before=$(sum "$watch")
	run_ss "$T/out" "$T/err" sync "$@"
	expect_rc 2 "$what: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$what: want one stderr line: $(cat "$T/err")"
	grep -qF -e "$want" "$T/err" || fail "$what: '$want' not in: $(cat "$T/err")"
	[ "$(sum "$watch")" = "$before" ] || fail "$what: $watch was written"
	note "$what: $(cat "$T/err")"
}

# hold PATH: a process that keeps PATH open, in $holder until unhold.
hold() {
	sleep 300 <"$1" &
	holder=$!
	at_exit "kill $holder 2>/dev/null; true"
	sleep 0.2
}
unhold() { kill "$holder"; wait "$holder" 2>/dev/null; }

mkrand "$T/shadow" $((64 * M))
mkrand "$T/disk.img" $((64 * M))
mbr_partition "$T/disk.img" 2048 65536
loop_attach DISK "$T/disk.img"
part_attach PART "$DISK" "$T/disk.img"

# The partition held: the whole disk is in use, and the reverse.
hold "$PART"
refused disk/part-open "local '$DISK' is open by process $holder (sleep) through '$PART'; stop it first, or --force" \
	"$T/disk.img" "$DISK" "$T/shadow"
unhold
hold "$DISK"
refused part/disk-open "local '$PART' is open by process $holder (sleep) through '$DISK'; stop it first, or --force" \
	"$T/disk.img" "$PART" "$T/shadow"
unhold

# The partition mounted: the whole disk counts as mounted.
mkfs.ext4 -q -F "$PART" || fail "mkfs.ext4 $PART"
mkdir "$T/mnt"
mount "$PART" "$T/mnt" || skip "cannot mount ext4"
at_exit "mountpoint -q '$T/mnt' && umount '$T/mnt'; true"
refused disk/part-mounted "local '$DISK' is mounted on $T/mnt through '$PART'; unmount it first" \
	"$T/disk.img" "$DISK" "$T/shadow"
# --force never overrides a mount.
refused disk/part-mounted-force "is mounted on $T/mnt" "$T/disk.img" "$DISK" "$T/shadow" --force
umount "$T/mnt"

# Another loop device over the disk writes its bytes behind our back.
LL=$(losetup --find --show "$DISK") || fail "losetup over $DISK"
at_exit "losetup -n -O BACK-FILE $LL 2>/dev/null | qgrep -x '$DISK' && losetup -d $LL; true"
refused disk/loop-over "local '$DISK' is the backing device of $LL; detach it first (losetup -d)" \
	"$T/disk.img" "$DISK" "$T/shadow"
losetup -d "$LL"

# With nothing in the way, sync writes the disk.
run_ss "$T/out" "$T/err" sync "$DISK" "$T/shadow"
expect_rc 0 "free disk: $(cat "$T/err")"
cmp -s "$T/disk.img" "$T/shadow" || fail "free disk: not synced"

# As nobody: root's processes cannot be looked into. Files nobody may
# write, one of them held open by a root process.
chmod 755 "$T"
mkdir "$T/nb"
chmod 755 "$T/nb"
mkrand "$T/nb/shadow" $((4 * M))
mkrand "$T/nb/local" $((4 * M))
chmod 666 "$T/nb/local"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_nobody true || skip "setpriv cannot become nobody"
hold "$T/nb/local"
before=$(sum "$T/nb/local")
as_nobody "$SS" sync "$T/nb/local" "$T/nb/shadow" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2 "nobody: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" = 1 ] || fail "nobody: want one stderr line: $(cat "$T/err")"
grep -qE "^shadowsync: cannot tell whether local '$T/nb/local' is in use: [0-9]+ process(es)? could not be inspected \(permission denied\); run as root, or --force if you are sure$" "$T/err" ||
	fail "nobody: $(cat "$T/err")"
[ "$(sum "$T/nb/local")" = "$before" ] || fail "nobody: local was written"
note "nobody: $(cat "$T/err")"
# --force is the user saying they are sure.
as_nobody "$SS" sync "$T/nb/local" "$T/nb/shadow" --force >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "nobody --force: $(cat "$T/err")"
cmp -s "$T/nb/local" "$T/nb/shadow" || fail "nobody --force: not synced"
unhold

# A file nobody may not write: permission denied, not read-only.
mkrand "$T/nb/root-only" $((4 * M))
chmod 644 "$T/nb/root-only"
as_nobody "$SS" sync "$T/nb/root-only" "$T/nb/shadow" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2 "root-only: $(cat "$T/err")"
[ "$(cat "$T/err")" = "shadowsync: local '$T/nb/root-only' cannot be written: permission denied" ] ||
	fail "root-only: $(cat "$T/err")"
note "root-only: $(cat "$T/err")"
exit 0
