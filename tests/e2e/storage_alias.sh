# Two paths that are one storage are refused by sync and verify, exit 2,
# one stderr line naming both, nothing written: a partition and its disk,
# two loop devices over one file (one at an offset), a loop over a loop, a
# hard link and a symlink, and verify X X.
. "$(dirname "$0")/../lib.sh"
need_root "loop devices and partitions"
need_cmd losetup partx xxhsum

M=1048576
sum() { xxhsum -H2 <"$1" | cut -d' ' -f1; }

# refused CMD WHAT WANT WATCH ARGS...: `shadowsync CMD ARGS` exits 2 with
# one stderr line holding the fixed string WANT; WATCH is not written.
refused() {
	local cmd=$1 what=$2 want=$3 watch=$4 before
	shift 4
	before=$(sum "$watch")
	run_ss "$T/out" "$T/err" "$cmd" "$@"
	expect_rc 2 "$what: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$what: want one stderr line: $(cat "$T/err")"
	grep -qF -e "$want" "$T/err" || fail "$what: '$want' not in: $(cat "$T/err")"
	[ "$(sum "$watch")" = "$before" ] || fail "$what: $watch was written"
	note "$what: $(cat "$T/err")"
}
tail_same="; a device cannot be its own shadow"

# A 64 MiB disk with one 32 MiB partition at 1 MiB.
mkrand "$T/disk.img" $((64 * M))
mbr_partition "$T/disk.img" 2048 65536
loop_attach DISK "$T/disk.img"
part_attach PART "$DISK" "$T/disk.img"
want="local '$PART' and '$DISK' are the same storage ('$PART' is a partition of '$DISK')$tail_same"
refused sync part-disk "$want" "$T/disk.img" "$PART" "$DISK"
refused verify part-disk "$want" "$T/disk.img" "$PART" "$DISK"
refused verify disk-part "local '$DISK' and '$PART' are the same storage ('$PART' is a partition of '$DISK')" \
	"$T/disk.img" "$DISK" "$PART"
# sync DISK PART: the larger local meets pair_open's size rule first (it
# runs before the storage check until that moves into pair_open); refused
# all the same, naming both.
refused sync disk-part "'$DISK'" "$T/disk.img" "$DISK" "$PART"
grep -qF "'$PART'" "$T/err" || fail "disk-part: '$PART' not named"

# Two loop devices over one file, the second at 1 MiB; the first limited
# to the same 31 MiB so the size rule lets both directions through.
mkrand "$T/one.img" $((32 * M))
L0=$(losetup --find --show --sizelimit $((31 * M)) "$T/one.img") || fail "losetup --sizelimit"
at_exit "_loop_cleanup $L0 '$T/one.img'"
L1=$(losetup --find --show --offset $M "$T/one.img") || fail "losetup --offset"
at_exit "_loop_cleanup $L1 '$T/one.img'"
for cmd in sync verify; do
	refused $cmd "loops/$cmd" "local '$L0' and '$L1' are the same storage (two loop devices over '$T/one.img')$tail_same" \
		"$T/one.img" "$L0" "$L1"
	refused $cmd "loops-reversed/$cmd" "local '$L1' and '$L0' are the same storage (two loop devices over '$T/one.img')" \
		"$T/one.img" "$L1" "$L0"
	refused $cmd "loop-file/$cmd" "local '$L1' and '$T/one.img' are the same device ('$L1' is a loop device over '$T/one.img')" \
		"$T/one.img" "$L1" "$T/one.img"
done

# A loop over a loop.
LL=$(losetup --find --show "$L1") || fail "losetup over $L1"
at_exit "losetup -n -O BACK-FILE $LL 2>/dev/null | qgrep -x '$L1' && losetup -d $LL; true"
for cmd in sync verify; do
	refused $cmd "loop-loop/$cmd" "local '$LL' and '$L1' are the same device ('$LL' is a loop device over '$L1')" \
		"$T/one.img" "$LL" "$L1"
	refused $cmd "loop-loop-file/$cmd" "local '$LL' and '$T/one.img' are the same storage ('$LL' sits on '$T/one.img' through '$L1')" \
		"$T/one.img" "$LL" "$T/one.img"
done

# A hard link and a symlink are one file.
mkrand "$T/f.img" $((4 * M))
ln "$T/f.img" "$T/f.hard"
ln -s "$T/f.img" "$T/f.sym"
for cmd in sync verify; do
	refused $cmd "hard-link/$cmd" "local '$T/f.hard' and '$T/f.img' are the same file$tail_same" \
		"$T/f.img" "$T/f.hard" "$T/f.img"
	refused $cmd "symlink/$cmd" "local '$T/f.sym' and '$T/f.hard' are the same file" \
		"$T/f.img" "$T/f.sym" "$T/f.hard"
done

# verify X X: a conf typo must not pass the ExecStartPre gate.
refused verify same-file "local '$T/f.img' and '$T/f.img' are the same file" "$T/f.img" "$T/f.img" "$T/f.img"
refused verify same-device "local '$L1' and '$L1' are the same device" "$T/one.img" "$L1" "$L1"
run_ss "$T/out" "$T/err" verify "$T/f.img" "$T/f.img" --json
expect_rc 2
expect_json "$T/out" .result '"error"'

# Distinct storage still works: two partitions' worth of one disk image
# copied apart, and a file beside its twin on the same file system.
cp "$T/f.img" "$T/g.img"
run_ss "$T/out" "$T/err" verify "$T/f.img" "$T/g.img"
expect_rc 0 "distinct files: $(cat "$T/err")"
exit 0
