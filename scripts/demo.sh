#!/bin/sh
# scripts/demo.sh - the built-in example: two 64 MiB device images, a
# shadow and a local copy with a few planted differences, then a real
# `shadowsync verify` of them, in text and in JSON.
set -u
cd "$(dirname "$0")/.." || exit 2
D=demo
mkdir -p "$D"
M=1048576

# Deterministic content, so every newcomer sees the same report.
# 1 Mi lines of 64 bytes: exactly 64 MiB, no two 4 KiB blocks alike.
awk 'BEGIN { for (i = 0; i < 1048576; i++)
	printf "shadowsync demo record %012d at byte offset %012d\n", i, i * 64 }' \
	>"$D/shadow.img"
cp "$D/shadow.img" "$D/local.img"

plant() { printf '%s' "$2" | dd of="$D/local.img" bs=1 seek="$1" conv=notrunc status=none; }
plant 0 "X"                              # first byte
plant $((10 * M + 4095)) "stale write"   # across a 4 KiB boundary in block 10
dd if=/dev/zero of="$D/local.img" bs=$M seek=20 count=3 conv=notrunc status=none  # 3 MiB lost
plant $((64 * M - 1)) "!"                # the very last byte

echo "\$ ./shadowsync verify $D/local.img $D/shadow.img"
./shadowsync verify "$D/local.img" "$D/shadow.img"
rc=$?
echo "(exit status $rc: 0 identical, 1 they differ, 2 error)"
echo
echo "\$ ./shadowsync verify $D/local.img $D/shadow.img --json --block-size 4K | head -40"
./shadowsync verify "$D/local.img" "$D/shadow.img" --json --block-size 4K | head -40
[ "$rc" = 1 ] || { echo "demo: expected the planted differences to be found" >&2; exit 1; }

# The same on a real Aerospike 8.1 device pair (tests/fixtures), one byte of
# a record flipped on local: asd would load local as it is. shadowsync says
# so first, and sync repairs it.
if command -v zstd >/dev/null; then
	for f in ns1-a.dat ns1-a.shadow; do
		zstd -q -d -f "tests/fixtures/aerospike-8.1-clean/$f.zst" -o "$D/$f"
	done
	printf '\377' | dd of="$D/ns1-a.dat" bs=1 seek=$((8 * M + 100)) conv=notrunc status=none
	echo
	echo "\$ ./shadowsync verify $D/ns1-a.dat $D/ns1-a.shadow"
	./shadowsync verify "$D/ns1-a.dat" "$D/ns1-a.shadow"
	echo "(exit status $?)"
	echo
	echo "\$ ./shadowsync sync $D/ns1-a.dat $D/ns1-a.shadow"
	./shadowsync sync "$D/ns1-a.dat" "$D/ns1-a.shadow"
	echo "(exit status $?)"
fi
