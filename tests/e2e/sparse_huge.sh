# Huge sparse devices: verify, sync, hash, check and inspect on sparse
# files of 4 TiB (on the disk's ext4, whose largest file is just under
# 16 TiB) and 64 TiB (on a tmpfs), Aerospike images with differences
# planted past 2^32 (a hole in local facing data in the shadow), past
# 2^40 (data in local facing a hole) and at the very last byte (data on
# both sides). Ranges that are holes in both files are not read: a psync
# run under strace reads a few MiB of the 64 TiB, and every run ends in
# well under a second (the suite's timeout is the backstop; nothing here
# asserts a time). Extents, block counts and manifests are right (a
# hole's digest is xxhsum's digest of zeros), and peak RSS is the same at
# 4 and 64 TiB. Then a file whose holes change while it is read: data
# written into a hole ahead of the reader is read and found; a file that
# shrinks under the reader is an error at its new end, never zeros.
. "$(dirname "$0")/../lib.sh"
need_root "a tmpfs for the 64 TiB files"
need_cmd xxhsum strace
need_mkaero
measure_ss

M=1048576
TIB=$((1 << 40))
P1=$(((1 << 32) + 4097))	# shadow data, local hole
P2=$(((1 << 40) + 12345))	# local data, shadow hole
P4=$(((1 << 41) + 7))		# the same data on both: no difference

mkdir "$T/tmpfs"
mount -t tmpfs -o size=512m tmpfs "$T/tmpfs" || fail "cannot mount a tmpfs"
at_exit "umount '$T/tmpfs'"

# put FILE OFFSET TEXT
put() {
	printf '%s' "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none ||
		fail "cannot write $1 at $2"
}
# digest_at FILE OFFSET LEN: xxhsum's XXH3-128 of those bytes
digest_at() {
	dd if="$1" bs=1M iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none |
		xxhsum -H2 | cut -d' ' -f1
}
# digest_in MANIFEST BLOCK: that block's digest, as manifest show prints it
digest_in() {
	"$SS" manifest show "$1" | awk -v b="$2" '$2 == "block" && $3 == b { print $1; exit }'
}
# strip EXTENTS-JSON: offsets and lengths only
strip() { jq -c '[.[] | {offset_bytes, length_bytes}]'; }
allocated() { echo $(($(stat -c '%b * %B' "$1"))); }
# pread_bytes STRACE-LOG: bytes returned by pread64/read calls
pread_bytes() {
	awk '/pread64\(|[^a-z]read\(/ && $NF ~ /^[0-9]+$/ { s += $NF } END { print s + 0 }' "$1"
}

declare -A RSS
for size_dir in "4 $T" "64 $T/tmpfs"; do
	set -- $size_dir
	TB=$1 D=$2
	SIZE=$((TB * TIB))
	L=$D/local S=$D/shadow
	P3=$((SIZE - 1))
	# The same TRUSTED image twice (header region and 3 used write-blocks
	# of 8 MiB, the rest a hole): asd would load local as it is.
	for f in "$L" "$S"; do
		"$MKAERO" "$f" --size $SIZE --flags TRUSTED --used 3 --seed 7 ||
			fail "mkaero $f"
	done
	put "$S" $P1 S
	put "$L" $P2 L
	put "$S" $P3 E
	put "$L" $P3 e
	put "$S" $P4 same
	put "$L" $P4 same

	# verify: the write-block size (8 MiB) is the block.
	BS=$((8 * M))
	want=$(extents_of $P1 $P2 $P3)
	run_ss "$T/out" "$T/err" verify "$L" "$S" --json
	expect_rc 1 "${TB} TiB verify: $(cat "$T/err")"
	[ "$(jq -c .pairs[0].extents "$T/out" | strip)" = "$want" ] ||
		fail "${TB} TiB verify: extents $(jq -c .pairs[0].extents "$T/out"), expected $want"
	expect_json "$T/out" .pairs[0].block_size_bytes $BS
	expect_json "$T/out" .pairs[0].bytes_compared $SIZE
	expect_json "$T/out" .pairs[0].differing_blocks 3
	expect_json "$T/out" .pairs[0].differing_bytes $((3 * BS))
	expect_json "$T/out" .pairs[0].cold_start.verdict '"load-local"'
	expect_json "$T/out" .pairs[0].cold_start.data_matches false
	RSS[verify$TB]=$RSS_KIB
	note "${TB} TiB verify: ${WALL_S}s, peak RSS ${RSS_KIB} KiB"

	# Holes are not read: psync's reads, counted by strace.
	traced -f -qq -e trace=pread64,read -o "$T/strace" \
		"$SS" verify "$L" "$S" --engine psync -q >/dev/null 2>&1
	rc=$?
	[ $rc = 1 ] || fail "${TB} TiB verify under strace: exit $rc"
	read_b=$(pread_bytes "$T/strace")
	[ "$read_b" -gt $((6 * BS)) ] && [ "$read_b" -lt $((256 * M)) ] ||
		fail "${TB} TiB verify (psync) read $read_b bytes: holes were read, or nothing was"
	note "${TB} TiB verify (psync) read $((read_b / M)) MiB of 2 x ${TB} TiB"

	# hash the shadow, check local against it: 64 MiB blocks keep the
	# 64 TiB manifest at 16 MiB (and the same buffers at both sizes).
	HBS=$((64 * M))
	nblocks=$(((SIZE + HBS - 1) / HBS))
	run_ss "$T/out" "$T/err" hash "$S" -o "$D/shadow.man" --block-size $HBS --json
	expect_rc 0 "${TB} TiB hash: $(cat "$T/err")"
	expect_json "$T/out" .manifest.blocks $nblocks
	expect_json "$T/out" .manifest.device_size_bytes $SIZE
	expect_json "$T/out" .bytes_read $SIZE
	RSS[hash$TB]=$RSS_KIB
	zero=$(head -c $HBS /dev/zero | xxhsum -H2 | cut -d' ' -f1)
	hole_b=$(((1 << 33) / HBS))
	for b in $hole_b $((P1 / HBS)) $((P2 / HBS)) $((P3 / HBS)) $((nblocks - 2)); do
		got=$(digest_in "$D/shadow.man" $b)
		exp=$(digest_at "$S" $((b * HBS)) $HBS)
		[ "$got" = "$exp" ] || fail "${TB} TiB manifest block $b: $got, xxhsum says $exp"
	done
	[ "$(digest_in "$D/shadow.man" $hole_b)" = "$zero" ] ||
		fail "${TB} TiB manifest: a hole's block is not the zero block's digest"
	[ "$(digest_in "$D/shadow.man" $((P1 / HBS)))" != "$zero" ] ||
		fail "${TB} TiB manifest: the block past 2^32 reads as zeros"

	BS=$HBS
	want_h=$(extents_of $P1 $P2 $P3)
	run_ss "$T/out" "$T/err" check "$L" "$D/shadow.man" --json
	expect_rc 1 "${TB} TiB check: $(cat "$T/err")"
	[ "$(jq -c .extents "$T/out" | strip)" = "$want_h" ] ||
		fail "${TB} TiB check: extents $(jq -c .extents "$T/out"), expected $want_h"
	expect_json "$T/out" .blocks_compared $nblocks
	expect_json "$T/out" .differing_blocks 3

	# sync writes the three differing blocks, header region last.
	BS=$((8 * M))
	before=$(allocated "$L")
	run_ss "$T/out" "$T/err" sync "$L" "$S" --json
	expect_rc 0 "${TB} TiB sync: $(cat "$T/err")"
	[ "$(jq -c .pairs[0].extents_written "$T/out" | strip)" = "$want" ] ||
		fail "${TB} TiB sync wrote $(jq -c .pairs[0].extents_written "$T/out"), expected $want"
	expect_json "$T/out" .pairs[0].verified true
	RSS[sync$TB]=$RSS_KIB
	note "${TB} TiB sync: ${WALL_S}s, peak RSS ${RSS_KIB} KiB"
	[ "$(byte_at "$L" $P1)" = "$(byte_at "$S" $P1)" ] &&
		[ "$(byte_at "$L" $P2)" = 0 ] && [ "$(byte_at "$L" $P3)" = "$(byte_at "$S" $P3)" ] ||
		fail "${TB} TiB sync: planted bytes not repaired"
	grew=$(($(allocated "$L") - before))
	[ $grew -le $((3 * BS)) ] ||
		fail "${TB} TiB sync: local's allocation grew by $grew bytes (holes written?)"

	run_ss "$T/out" "$T/err" verify "$L" "$S" --json
	expect_rc 0 "${TB} TiB verify after sync: $(cat "$T/err")"
	expect_json "$T/out" .pairs[0].differing_blocks 0
	expect_json "$T/out" .pairs[0].cold_start.verdict '"load-local"'
	run_ss "$T/out" "$T/err" check "$L" "$D/shadow.man" --json
	expect_rc 0 "${TB} TiB check after sync: $(cat "$T/err")"
	expect_json "$T/out" .blocks_compared $nblocks

	run_ss "$T/out" "$T/err" inspect "$L" --json
	expect_rc 0 "${TB} TiB inspect: $(cat "$T/err")"
	expect_json "$T/out" .device.size_bytes $SIZE
	expect_json "$T/out" .state '"aerospike"'
	rm -f "$L" "$S" "$D/shadow.man"
done

# Memory does not grow with the device: 64 TiB within 8 MiB of 4 TiB.
for k in verify sync hash; do
	a=${RSS[${k}4]} b=${RSS[${k}64]}
	note "$k peak RSS: 4 TiB $a KiB, 64 TiB $b KiB"
	[ $b -le $((a + 8192)) ] || fail "$k: peak RSS grew from $a KiB (4 TiB) to $b KiB (64 TiB)"
done

# Holes that change while the file is read. 128 MiB of data, then a hole
# to 4 TiB; psync reads 4 KiB at a time, and the reader is stopped inside
# the data (SIGSTOP) while the file changes ahead of it.
SIZE=$((4 * TIB))
L=$T/local S=$T/shadow
mkrand "$T/data" $((128 * M))
# stop_inside PID: stop it once it has read 40 MiB, while it is still in
# the first 128 MiB of both files (rchar counts both); 1 when it got past.
stop_inside() {
	local r=0 i
	for i in $(seq 2000); do
		r=$(awk '/^rchar/ { print $2 }' /proc/$1/io 2>/dev/null) || return 1
		[ "${r:-0}" -gt $((40 * M)) ] && break
		sleep 0.005
	done
	kill -STOP $1 || return 1
	r=$(awk '/^rchar/ { print $2 }' /proc/$1/io)
	[ "$r" -lt $((200 * M)) ] || { kill -CONT $1; return 1; }
}
for change in fill shrink; do
	caught=0
	for try in 1 2 3; do
		rm -f "$L" "$S"
		truncate -s $SIZE "$L" "$S"
		dd if="$T/data" of="$L" conv=notrunc status=none
		dd if="$T/data" of="$S" conv=notrunc status=none
		"$SS" verify "$L" "$S" --engine psync --io-size 4096 --queue-depth 1 \
			--block-size 1M --json >"$T/out" 2>"$T/err" &
		pid=$!
		if ! stop_inside $pid; then
			wait $pid
			note "$change: try $try: verify got past the data before it was stopped"
			continue
		fi
		caught=1
		case $change in
		fill) put "$L" $((3 * TIB + 5)) Z ;;
		shrink) truncate -s $((2 * TIB)) "$L" ;;
		esac
		kill -CONT $pid
		wait $pid
		RC=$?
		break
	done
	[ $caught = 1 ] || fail "$change: could not stop verify inside the data in 3 tries"
	case $change in
	fill)
		# Written ahead of the reader: read (not taken for a hole) and found.
		expect_rc 1 "verify with a hole filled ahead of it: $(cat "$T/err")"
		expect_json "$T/out" .pairs[0].extents "[{\"offset_bytes\":$((3 * TIB)),\"length_bytes\":$M}]"
		;;
	shrink)
		# The bytes past the new end are not zeros: an error naming local
		# and the offset where it ends.
		expect_rc 2 "verify of a local that shrank under it"
		grep -q "local '$L'.*offset $((2 * TIB))" "$T/err" ||
			fail "shrink: the error does not name local and offset $((2 * TIB)): $(cat "$T/err")"
		[ "$(wc -l <"$T/err")" = 1 ] || fail "shrink: more than one line: $(cat "$T/err")"
		;;
	esac
	note "$change: $(head -c 300 "$T/err")"
done
exit 0
