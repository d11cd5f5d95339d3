# restore refuses what sync refuses of its local, with the same words
# ("target" for "local"), exit 2, one stderr line, and without writing a
# byte: a mounted target, a file behind a loop device, a target open by
# another process (--force overrides only that), the same file or device
# as a path SOURCE (hard link, loop device over it), a read-only target
# (loop device, file system), one smaller than the image, one that holds
# another namespace than the image or an Aerospike header where the image
# has none, one that is another device of the image's namespace (its
# device_id; an older random of the same device is fine) (--force
# overrides those), and two restores of one target at once.
. "$(dirname "$0")/../lib.sh"
need_root "loop devices and mounts"
need_cmd losetup xxhsum mkfs.ext4
need_mkaero
M=1048576

# refused WHAT PATTERN FILE-TO-WATCH ARGS...: exit 2, one stderr line
# matching PATTERN (whole), FILE-TO-WATCH unchanged.
refused() { local what=$1; shift; ss_refused restore "$what" "$@"; }

mkrand "$T/img" $((16 * M))
mkrand "$T/tgt" $((16 * M))

# Mounted, a loop device's backing file, open elsewhere, read-only: as sync.
ss_refusal_walk restore "$T/img"

# The image itself, under another name (a hard link, a loop device).
ss_alias_walk restore "$T/img"

# Smaller than the image.
head -c $((8 * M)) "$T/tgt" >"$T/small"
refused smaller "target '$T/small' \($((8 * M)) bytes\) is smaller than the image '$T/img' \($((16 * M)) bytes\)" "$T/small" "$T/img" "$T/small"

# Another namespace; an image without a header over one; --force.
"$MKAERO" "$T/ns1" --size 64M --namespace ns1 --flags TRUSTED --used 2 || fail mkaero
"$MKAERO" "$T/ns2" --size 64M --namespace ns2 --flags TRUSTED --used 3 --seed 5 || fail mkaero
mkrand "$T/plain" $((64 * M))
refused namespace "target '$T/ns1' holds namespace 'ns1' but the image '$T/ns2' holds 'ns2'; refusing to overwrite it \(--force if you are sure\)" "$T/ns1" "$T/ns2" "$T/ns1"
refused no-header "target '$T/ns1' holds namespace 'ns1' but the image '$T/plain' has no Aerospike header \(not-aerospike\); refusing to overwrite it \(--force if you are sure\)" "$T/ns1" "$T/plain" "$T/ns1"
run_ss "$T/out" "$T/err" restore "$T/ns2" "$T/ns1" --force
expect_rc 0 "namespace --force: $(cat "$T/err")"
cmp -s "$T/ns2" "$T/ns1" || fail "namespace --force did not restore"

# Device 0's image over device 1 of the same namespace: refused; over
# device 0 written at a later start (another random): restored; --force.
"$MKAERO" "$T/dev0" --size 64M --namespace ns1 --device-id 0 --n-devices 2 --used 2 --seed 1 || fail mkaero
"$MKAERO" "$T/dev1" --size 64M --namespace ns1 --device-id 1 --n-devices 2 --used 3 --seed 2 || fail mkaero
refused device "target '$T/dev1' is device 1 of namespace 'ns1' but the image '$T/dev0' is device 0: restoring it there would put one device's data on another; refusing \(check which image goes to which device; --force if you are sure\)" "$T/dev1" "$T/dev0" "$T/dev1"
"$MKAERO" "$T/dev0.later" --size 64M --namespace ns1 --device-id 0 --n-devices 2 --used 4 --seed 3 \
	--random 77aa77aa77aa77aa || fail mkaero
run_ss "$T/out" "$T/err" restore "$T/dev0" "$T/dev0.later"
expect_rc 0 "device 0 at a later start: $(cat "$T/err")"
cmp -s "$T/dev0" "$T/dev0.later" || fail "device 0 at a later start: not restored"
run_ss "$T/out" "$T/err" restore "$T/dev0" "$T/dev1" --force
expect_rc 0 "device --force: $(cat "$T/err")"
cmp -s "$T/dev0" "$T/dev1" || fail "device --force did not restore"

# Another restore (or sync) holds the target's lock: refused, even --force.
flock -o "$T/tgt" sh -c "echo \$\$ >'$T/sleeper'; exec sleep 300" &
locker=$!
at_exit "kill $locker \$(cat '$T/sleeper' 2>/dev/null) 2>/dev/null; true"
sleep 0.3
refused locked "target '$T/tgt' is locked by another process \(another restore of it\?\)" "$T/tgt" "$T/img" "$T/tgt" --force
kill $locker "$(cat "$T/sleeper")"; wait $locker 2>/dev/null
exit 0
