# Traps for a tired operator, refused before anything is written, in dry
# runs too: a blank (zeroed or foreign) shadow over a local with data; the
# arguments swapped (verify warns, sync refuses); a dry run on a mounted
# or in-use local says exactly what the real run would; a second sync
# holding the lock on a local file.
. "$(dirname "$0")/../lib.sh"
need_root "loop devices and mounts"
need_cmd zstd xxhsum mkfs.ext4 flock
fixtures "$T/fx"
M=1048576
L=$T/fx/ns1-a.dat S=$T/fx/ns1-a.shadow
sum() { xxhsum -H2 <"$1" | cut -d' ' -f1; }

# refused WHAT PATTERN WATCH ARGS...: exit 2, one stderr line, WATCH unchanged
refused() {
	local what=$1 pattern=$2 watch=$3 before
	shift 3
	before=$(sum "$watch")
	run_ss "$T/out" "$T/err" "$@"
	expect_rc 2 "$what: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$what: want one stderr line: $(cat "$T/err")"
	grep -qE -e "$pattern" "$T/err" || fail "$what: '$pattern' not in: $(cat "$T/err")"
	[ "$(sum "$watch")" = "$before" ] || fail "$what: $watch was written"
	note "$what: $(cat "$T/err")"
}

# 1. A blank shadow: zeroed, or something that is not Aerospike.
truncate -s $((128 * M)) "$T/zero.shadow"
head -c $((128 * M)) /dev/urandom >"$T/junk.shadow"
for kind in zero junk; do
	case $kind in zero) state=zeroed ;; junk) state=not-aerospike ;; esac
	for dry in "" --dry-run; do
		refused "blank/$kind$dry" "shadow '$T/$kind.shadow' has no Aerospike header \($state\) but local '$L' holds namespace 'ns1': copying it would wipe local's data" \
			"$L" sync "$L" "$T/$kind.shadow" $dry
	done
done
sed "s|@DATA@|$T/fx|g; s|@RUN@|$T/run|g; s|@LOG@|$T/log|g" \
	"$TOP/tests/fixtures/aerospike-8.1-clean/aerospike.conf" >"$T/aerospike.conf"
sed -i "s|$T/fx/ns1-a.shadow|$T/zero.shadow|" "$T/aerospike.conf"
grep -q "zero.shadow" "$T/aerospike.conf" || fail "conf rewrite"
before=$(sum "$L")
run_ss "$T/out" "$T/err" sync --config "$T/aerospike.conf"
expect_rc 2 "--config: $(cat "$T/err")"
grep -q "has no Aerospike header (zeroed)" "$T/err" || fail "--config: $(cat "$T/err")"
[ "$(sum "$L")" = "$before" ] || fail "--config: local was written"
cp "$L" "$T/forced"
run_ss "$T/out" "$T/err" sync "$T/forced" "$T/zero.shadow" --force
expect_rc 0 "--force: $(cat "$T/err")"
cmp -s "$T/forced" "$T/zero.shadow" || fail "--force did not sync"

# 2. Swapped arguments: pristine_offset is written to the local only.
refused swapped "shadow '$L' looks like a local device and local '$S' like a shadow" \
	"$S" sync "$S" "$L"
refused swapped-dry "arguments swapped" "$S" sync "$S" "$L" --dry-run
run_ss "$T/out" "$T/err" verify "$S" "$L"
expect_rc 1 "verify swapped"
head -1 "$T/out" | qgrep "^WARNING: '$S' and '$L' look swapped" || fail "verify: $(head -2 "$T/out")"
run_ss "$T/out" "$T/err" verify "$L" "$S"
expect_rc 0 "verify in the right order: $(cat "$T/out")"

# A local paired with another device's shadow (device_id differs).
SB=$T/fx/ns1-b.shadow
refused mispaired "local '$L' is device 0 of namespace 'ns1' but shadow '$SB' is device 1: they were not a pair" \
	"$L" sync "$L" "$SB"
refused mispaired-dry "they were not a pair" "$L" sync "$L" "$SB" --dry-run

# 3. A dry run refuses what the real run refuses, with the same line.
mkrand "$T/shadow" $((16 * M))
truncate -s $((16 * M)) "$T/fs.img"
mkfs.ext4 -q -F "$T/fs.img" || fail mkfs
loop_attach FS "$T/fs.img"
mkdir "$T/mnt"
mount "$FS" "$T/mnt" || skip "cannot mount ext4"
at_exit "mountpoint -q '$T/mnt' && umount '$T/mnt'; true"
refused mounted "local '$FS' is mounted on $T/mnt" "$T/fs.img" sync "$FS" "$T/shadow"
real=$(cat "$T/err")
refused mounted-dry "local '$FS' is mounted on $T/mnt" "$T/fs.img" sync "$FS" "$T/shadow" --dry-run
[ "$(cat "$T/err")" = "$real" ] || fail "dry run says '$(cat "$T/err")', the real run '$real'"
umount "$T/mnt"
mkrand "$T/local" $((16 * M))
sleep 300 <"$T/local" &
holder=$!
at_exit "kill $holder 2>/dev/null; true"
sleep 0.2
refused in-use-dry "local '$T/local' is open by process $holder" "$T/local" sync "$T/local" "$T/shadow" --dry-run
kill $holder

# Mapped into a process's memory, its descriptor closed: still in use.
python3 -c "
import mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR); m = mmap.mmap(fd, 0); os.close(fd)
print('mapped', flush=True); time.sleep(300)" "$T/local" >"$T/mapped" &
mapper=$!
at_exit "kill $mapper 2>/dev/null; true"
for i in $(seq 50); do grep -q mapped "$T/mapped" && break; sleep 0.1; done
refused mapped "local '$T/local' is open by process $mapper" "$T/local" sync "$T/local" "$T/shadow"
kill $mapper

# 4. Two syncs on one local file: the lock holder wins, even with --force.
flock -o "$T/local" sh -c "echo \$\$ >'$T/sleeper'; exec sleep 300" &
locker=$!
at_exit "kill $locker \$(cat '$T/sleeper' 2>/dev/null) 2>/dev/null; true"
sleep 0.3
refused locked "local '$T/local' is locked by another process" "$T/local" sync "$T/local" "$T/shadow" --force
real=$(cat "$T/err")
refused locked-dry "local '$T/local' is locked by another process" "$T/local" sync "$T/local" "$T/shadow" --force --dry-run
[ "$(cat "$T/err")" = "$real" ] || fail "dry run says '$(cat "$T/err")', the real run '$real'"
kill $locker "$(cat "$T/sleeper")"; wait $locker 2>/dev/null
run_ss "$T/out" "$T/err" sync "$T/local" "$T/shadow"
expect_rc 0 "after the lock: $(cat "$T/err")"
cmp -s "$T/local" "$T/shadow" || fail "not synced"

# A block device another program holds exclusively (O_EXCL): refused, in a
# dry run too, even with --force (which skips the look at open files).
mkrand "$T/blk.img" $((16 * M))
loop_attach BLK "$T/blk.img"
python3 -c "import os, sys, time; os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL); print('held', flush=True); time.sleep(300)" "$BLK" >"$T/held" &
holder=$!
at_exit "kill $holder 2>/dev/null; true"
for i in $(seq 50); do grep -q held "$T/held" && break; sleep 0.1; done
refused excl "local '$BLK' is in use \(held exclusively" "$T/blk.img" sync "$BLK" "$T/shadow" --force
real=$(cat "$T/err")
refused excl-dry "local '$BLK' is in use \(held exclusively" "$T/blk.img" sync "$BLK" "$T/shadow" --force --dry-run
[ "$(cat "$T/err")" = "$real" ] || fail "dry run says '$(cat "$T/err")', the real run '$real'"
kill $holder
exit 0
