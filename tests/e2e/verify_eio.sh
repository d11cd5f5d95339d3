# A real EIO (nbdkit's error filter through nbdfuse) stops verify with
# exit 2 and a line naming the device, the offset and the errno, on every
# engine; nothing unread is reported as matching. With the fault gone the
# same device verifies.
. "$(dirname "$0")/../lib.sh"
need_root "FUSE mounts"

M=1048576
touch "$T/trigger"
fuse_device "$T/mnt" --filter=error memory 16M error-pread-rate=100% \
	error-file="$T/trigger"
DEV=$T/mnt/dev
head -c $((16 * M)) /dev/zero >"$T/zero"

for e in $ENGINES auto; do
	for side in local shadow; do
		if [ $side = local ]; then a=$DEV b=$T/zero; else a=$T/zero b=$DEV; fi
		run_ss "$T/out" "$T/err" verify "$a" "$b" --engine $e --json
		expect_rc 2 "$side/$e"
		[ "$(wc -l <"$T/err")" = 1 ] || fail "$side/$e: want one stderr line: $(cat "$T/err")"
		grep -qE "^shadowsync: read error on $side '$DEV' at offset [0-9]+: Input/output error \(EIO\)$" "$T/err" ||
			fail "$side/$e: $(cat "$T/err")"
		expect_json "$T/out" .result '"error"'
		expect_json "$T/out" .pairs[0].result '"error"'
		expect_json "$T/out" '.pairs[0].bytes_compared < 16777216' true
		note "$side/$e: $(cat "$T/err")"
	done
done

# Text mode: the same single line, nothing on stdout claiming a match.
run_ss "$T/out" "$T/err" verify "$DEV" "$T/zero"
expect_rc 2
[ -s "$T/out" ] && fail "text mode printed a report despite the error: $(cat "$T/out")"

# Fault removed: the device (all zeros) matches the zero file.
rm "$T/trigger"
for e in $ENGINES; do
	run_ss "$T/out" "$T/err" verify "$DEV" "$T/zero" --engine $e --json
	expect_rc 0 "after fault/$e: $(cat "$T/err")"
done

# Reads that fail now and then (30% of requests): still exit 2, never a
# match. 256 reads of 64 KiB: the chance that none fails is 0.7^256.
touch "$T/trigger2"
fuse_device "$T/mnt2" --filter=error memory 16M error-pread-rate=30% \
	error-file="$T/trigger2"
for e in $ENGINES; do
	run_ss "$T/out" "$T/err" verify "$T/mnt2/dev" "$T/zero" --engine $e --block-size 64K --io-size 64K --json
	expect_rc 2 "flaky/$e"
	grep -q "Input/output error (EIO)" "$T/err" || fail "flaky/$e: $(cat "$T/err")"
done

# One bad 4 KiB sector at a known offset (nbdkit's ddrescue filter serves
# it as EIO): every engine names exactly that offset.
mkrand "$T/disk" $((16 * M))
bad=$((10 * M + 12288))
printf '# Mapfile\n0x0 +\n0x%x 0x%x +\n0x%x 0x1000 -\n0x%x 0x%x +\n' \
	0 $bad $bad $((bad + 4096)) $((16 * M - bad - 4096)) >"$T/map"
fuse_device "$T/mnt3" --filter=ddrescue file "$T/disk" ddrescue-mapfile="$T/map"
for e in $ENGINES; do
	for side in local shadow; do
		if [ $side = local ]; then a=$T/mnt3/dev b=$T/disk; else a=$T/disk b=$T/mnt3/dev; fi
		run_ss "$T/out" "$T/err" verify "$a" "$b" --engine $e
		expect_rc 2 "bad-sector/$side/$e"
		grep -q "read error on $side '$T/mnt3/dev' at offset $bad: Input/output error (EIO)" "$T/err" ||
			fail "bad-sector/$side/$e: $(cat "$T/err")"
	done
done
note "bad sector at $bad: $(cat "$T/err")"
exit 0
