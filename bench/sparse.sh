#!/bin/bash
# bench/sparse.sh - big sparse devices: verify, hash and sync of two
# sparse files (truncate) of 1, 2, 4 and 8 TiB (QUICK: 1 and 4) that
# hold the same 16 MiB of data at their start and 16 MiB near their end
# and differ in three places near the end (past 2^40 from 2 TiB up):
#   END - 3 GiB + 12345: data in local, a hole in shadow;
#   END - 1 GiB - 4095:  a hole in local, data in shadow;
#   END - 1:             data on both sides, different.
# Every run's extents are checked to the byte (verify's and sync's 1 MiB
# blocks); hash's manifest is checked against xxhsum once. Holes are
# skipped, so time should grow far slower than size and peak RSS stay
# flat. Peers read only the data too (no tool that reads every byte can
# run on 8 TiB in a benchmark: at the dense rate of size.sh it would take
# hours): GNU tar finds the data with SEEK_DATA/SEEK_HOLE
# (--sparse --hole-detection=seek) and xxhsum hashes the archive (the
# data and the map of its holes): one such fingerprint of shadow for
# hash, of both files at once (compared) for verify; for sync,
# `cp --sparse=always SHADOW LOCAL && sync -d LOCAL` (coreutils copies
# the data extents only, holes stay holes). The ext4 under BENCH_DIR
# takes files just under 16 TiB, hence no 16 TiB point.
# Writes out/sparse.md and out/sparse.dat.
. "$(dirname "$0")/lib.sh"
SIZES=${SIZES:-$(pick "1 2 4 8" "1 4")}	# TiB
RESULTS=$OUT/sparse.times
: >"$RESULTS"
command -v xxhsum >/dev/null || die "xxhsum missing"
command -v jq >/dev/null || die "jq missing"
M=1048576
TIB=$((1 << 40))
HBS=$((64 * M))		# hash block: 128 Ki blocks in the 8 TiB manifest
D=$BENCH_DIR/sparse
mkdir -p "$D"
trap 'rm -f "$D"/*' EXIT
mkfile "$BENCH_DIR/sparse.data" $((32 * M))

# offsets SIZE: the three planted offsets
offsets() { echo $(($1 - (3 << 30) + 12345)) $(($1 - (1 << 30) - 4095)) $(($1 - 1)); }
# put FILE OFFSET TEXT
put() { printf '%s' "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none || die "cannot write $1"; }
# base FILE SIZE: the data both sides share (16 MiB at 0, 16 MiB at END - 64 MiB)
base() {
	rm -f "$1"
	truncate -s "$2" "$1" || die "cannot make a sparse file of $2 bytes in $D"
	dd if="$BENCH_DIR/sparse.data" of="$1" bs=1M count=16 conv=notrunc status=none &&
		dd if="$BENCH_DIR/sparse.data" of="$1" bs=1M skip=16 count=16 \
			seek=$((($2 - 64 * M) / M)) conv=notrunc status=none || die "cannot write $1"
}
# fresh_local TIB: local as planted (sync and cp change it)
fresh_local() {
	local f=$D/local_$1 s=$(($1 * TIB)) o
	[ -e "$f.dirty" ] || return 0
	base "$f" $s
	read -r -a o <<<"$(offsets $s)"
	put "$f" "${o[0]}" L
	put "$f" "${o[2]}" e
	sync "$f" || die "cannot flush $f"
	rm -f "$f.dirty"
}
# extents SIZE BS: the blocks holding the planted offsets, as verify's JSON
extents() {
	local o out="" bs=$2
	for o in $(offsets "$1"); do
		out="$out,{\"offset_bytes\":$((o / bs * bs)),\"length_bytes\":$bs}"
	done
	echo "[${out#,}]"
}
strip() { jq -c "[.$1[] | {offset_bytes, length_bytes}]" "$BENCH_DIR/cmd.out"; }
# The peers, as scripts (GNU time runs them): fp.sh FILE prints the
# fingerprint of FILE (tar's sparse archive of it, named img, through
# xxhsum); fp2.sh LOCAL SHADOW takes both at once and compares them.
cat >"$D/fp.sh" <<'EOF2'
set -o pipefail
tar --sparse --hole-detection=seek -cf - -C "$(dirname "$1")" --transform 's,.*,img,' \
	--mtime=@0 --owner=0 --group=0 --numeric-owner --mode=0600 "$(basename "$1")" |
	xxhsum -H2 | cut -d' ' -f1
EOF2
cat >"$D/fp2.sh" <<'EOF2'
bash "$(dirname "$0")/fp.sh" "$1" >"$1.fp" & a=$!
bash "$(dirname "$0")/fp.sh" "$2" >"$2.fp" || exit 2
wait $a || exit 2
cmp -s "$1.fp" "$2.fp"
EOF2

fns=()
for t in $SIZES; do
	s=$((t * TIB))
	base "$D/shadow_$t" $s
	set -- $(offsets $s)
	put "$D/shadow_$t" "$2" S
	put "$D/shadow_$t" "$3" E
	: >"$D/local_$t.dirty"
	fresh_local "$t"
	eval "want_$t='$(extents $s $M)'"
	L=$D/local_$t S=$D/shadow_$t
	eval "v_$t() {
		fresh_local $t
		timed verify_$t 1 '$SS' verify '$L' '$S' --json
		[ \"\$(strip pairs[0].extents)\" = \"\$want_$t\" ] || die \"verify $t TiB: extents \$(strip pairs[0].extents), expected \$want_$t\"
	}"
	eval "vp_$t() { fresh_local $t; timed verify_peer_$t 1 bash '$D/fp2.sh' '$L' '$S'; }"
	eval "h_$t() {
		timed hash_$t 0 '$SS' hash '$S' -o '$D/shadow_$t.man' --block-size $HBS --json
		[ \"\$(jq .manifest.blocks '$BENCH_DIR/cmd.out')\" = $((s / HBS)) ] || die 'hash $t TiB: wrong block count'
		[ \"\$(jq .bytes_read '$BENCH_DIR/cmd.out')\" = $s ] || die 'hash $t TiB: bytes_read is not the size'
	}"
	eval "hp_$t() { timed hash_peer_$t 0 bash '$D/fp.sh' '$S'; }"
	eval "s_$t() {
		fresh_local $t
		: >'$L.dirty'
		timed sync_$t 0 '$SS' sync '$L' '$S' --json
		[ \"\$(strip pairs[0].extents_written)\" = \"\$want_$t\" ] || die \"sync $t TiB: wrote \$(strip pairs[0].extents_written), expected \$want_$t\"
		[ \"\$(jq .pairs[0].verified '$BENCH_DIR/cmd.out')\" = true ] || die 'sync $t TiB: not verified'
	}"
	eval "sp_$t() {
		: >'$L.dirty'
		timed sync_peer_$t 0 sh -c \"cp --sparse=always '$S' '$L' && sync -d '$L'\"
		[ \"\$(stat -c %s '$L')\" = $s ] || die 'cp $t TiB: wrong size'
	}"
	fns+=(v_$t vp_$t h_$t hp_$t s_$t sp_$t)
done
rounds "${fns[@]}"

# Once, untimed: sync left local equal to shadow, and the manifest's
# blocks agree with xxhsum (a hole's block is the zero block's digest).
zero=$(head -c $HBS /dev/zero | xxhsum -H2 | cut -d' ' -f1)
for t in $SIZES; do
	s=$((t * TIB))
	: >"$D/local_$t.dirty"
	fresh_local "$t"
	"$SS" sync "$D/local_$t" "$D/shadow_$t" -q >/dev/null || die "sync $t TiB failed"
	"$SS" verify "$D/local_$t" "$D/shadow_$t" -q >/dev/null || die "$t TiB: verify after sync is not clean"
	set -- $(offsets $s)
	for b in $(($2 / HBS)) $((s / HBS - 1)) $((s / HBS / 2)); do
		got=$("$SS" manifest show "$D/shadow_$t.man" | awk -v b=$b '$2 == "block" && $3 == b { print $1; exit }')
		exp=$(dd if="$D/shadow_$t" bs=$HBS skip=$b count=1 status=none | xxhsum -H2 | cut -d' ' -f1)
		[ "$got" = "$exp" ] || die "$t TiB manifest block $b: $got, xxhsum says $exp"
	done
	[ "$("$SS" manifest show "$D/shadow_$t.man" | awk -v b=$((s / HBS / 2)) '$2 == "block" && $3 == b { print $1; exit }')" = "$zero" ] ||
		die "$t TiB manifest: a hole's block is not the zero block's digest"
done

per_tib() { awk -v s="$1" -v t="$2" 'BEGIN { printf "%.3f", s / t }'; }
{
	echo "### Big sparse devices: verify, hash and sync of $(echo $SIZES | sed 's/ /, /g') TiB sparse pairs"
	echo
	echo "$(host_line)"
	echo
	echo "32 MiB of data on each side, three differences in the last 3 GiB; peers: tar's SEEK_DATA fingerprint through xxhsum (both files for verify, shadow for hash), cp --sparse=always + sync -d for sync."
	echo
	echo "| TiB | verify s (spread) | peer s | verify/peer | hash s (spread) | peer s | hash/peer | sync s (spread) | cp s | sync/cp | verify s/TiB | hash s/TiB | sync s/TiB | RSS MiB verify / hash / sync |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for t in $SIZES; do
		v=$(median verify_$t) vp=$(median verify_peer_$t) h=$(median hash_$t)
		hp=$(median hash_peer_$t) y=$(median sync_$t) yp=$(median sync_peer_$t)
		printf '| %s | %.2f (%s) | %.2f | %s | %.2f (%s) | %.2f | %s | %.2f (%s) | %.2f | %s | %s | %s | %s | %s / %s / %s |\n' \
			"$t" "$v" "$(spread verify_$t)" "$vp" "$(ratio "$v" "$vp")" \
			"$h" "$(spread hash_$t)" "$hp" "$(ratio "$h" "$hp")" \
			"$y" "$(spread sync_$t)" "$yp" "$(ratio "$y" "$yp")" \
			"$(per_tib "$v" "$t")" "$(per_tib "$h" "$t")" "$(per_tib "$y" "$t")" \
			"$(rss_mib verify_$t)" "$(rss_mib hash_$t)" "$(rss_mib sync_$t)"
	done
	echo
	first=${SIZES%% *} last=${SIZES##* }
	echo "verify: $(ratio "$(median verify_$last)" "$(median verify_$first)")x the time for $((last / first))x the size;" \
		"peak RSS $(rss_mib verify_$first) MiB at $first TiB, $(rss_mib verify_$last) MiB at $last TiB" \
		"(hash $(rss_mib hash_$first) / $(rss_mib hash_$last), sync $(rss_mib sync_$first) / $(rss_mib sync_$last))."
	# The dense rate of this run (size.sh's largest pair), for scale.
	if [ -s "$OUT/size.dat" ]; then
		awk -v v="$(median verify_$last)" -v t="$last" '!/^#/ { mib = $1; s = $2 }
			END { if (mib) printf "A dense pair at size.sh'"'"'s rate in this run (verify of %d MiB in %.2f s) would take %.0f s a TiB, %.1f h for %d TiB; the sparse pair took %.2f s.\n",
				mib, s, s * 1048576 / mib, s * 1048576 / mib * t / 3600, t, v }' "$OUT/size.dat"
	fi
} | tee "$OUT/sparse.md"
{
	echo "# TiB verify_s verify_peer_s hash_s hash_peer_s sync_s sync_peer_s verify_rss_mib hash_rss_mib sync_rss_mib"
	for t in $SIZES; do
		echo "$t $(median verify_$t) $(median verify_peer_$t) $(median hash_$t) $(median hash_peer_$t)" \
			"$(median sync_$t) $(median sync_peer_$t) $(rss_mib verify_$t) $(rss_mib hash_$t) $(rss_mib sync_$t)"
	done
} >"$OUT/sparse.dat"
