# Memory stays bounded at any image size: a 4 GiB sparse image in 512-byte
# blocks (8 Mi blocks, a 128 MiB manifest) is restored with --manifest,
# --manifest-out and the read-back, onto a zeroed target, from a file and
# from stdin, from HTTP (nginx on 127.0.0.1; a remote source's buffers
# default to 16 parts of 8 MiB), and resumed; peak RSS stays under
# 160 MiB every time (before
# the manifest's pages were dropped as the windows went by: about 180 MiB,
# growing with the image), and every byte is accounted for.
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/time ] || skip "GNU time is not installed (package time)"
M=1048576
G=$((1024 * M))

# Under AddressSanitizer (make check-asan) RSS measures ASan's quarantine
# and shadow memory, not shadowsync: the counts are checked, not the RSS.
rss_mib() {
	[ -n "${ASAN_OPTIONS:-}" ] && { echo 0; return; }
	echo $(( $(sed -n 's/^maxrss \([0-9]*\)$/\1/p' "$1") / 1024 ))
}

truncate -s $((4 * G)) "$T/img"
head -c $((64 * M)) /dev/urandom | dd of="$T/img" bs=1M seek=100 conv=notrunc status=none
head -c 4096 /dev/urandom | dd of="$T/img" conv=notrunc status=none	# a "header"
"$SS" hash "$T/img" -o "$T/img.man" --block-size 512 >/dev/null || fail hash
[ "$(stat -c %s "$T/img.man")" -gt $((128 * M)) ] || fail "the manifest is smaller than planned"

# bounded WHAT CMD...: run under GNU time; exit 0 and RSS < 160 MiB.
bounded() {
	local what=$1 rss
	shift
	/usr/bin/time -f "maxrss %M" -o "$T/time" "$@" >"$T/out" 2>"$T/err" <"${STDIN:-/dev/null}"
	RC=$?
	expect_rc 0 "$what: $(cat "$T/err")"
	rss=$(rss_mib "$T/time")
	note "$what: peak RSS $rss MiB, $(jq -c '{bytes_read, bytes_written, bytes_zeroed, bytes_skipped_zero, bytes_skipped_matching, bytes_verified}' "$T/out")"
	[ "$rss" -lt 160 ] || fail "$what: peak RSS $rss MiB"
}

rm -f "$T/tgt"; truncate -s $((4 * G)) "$T/tgt"
bounded "file, zeroed target" "$SS" restore "$T/img" "$T/tgt" --manifest "$T/img.man" \
	--manifest-out "$T/out.man" --target-is-zeroed --json
expect_json "$T/out" .bytes_written $((64 * M + 4096))
expect_json "$T/out" .bytes_skipped_zero $((4 * G - 64 * M - 4096))
expect_json "$T/out" .bytes_verified $((64 * M + 4096))
cmp -s "$T/img.man" "$T/out.man" && fail "the manifests should differ in their source field"
cmp -s <(tail -c +513 "$T/img.man" | head -c $((8 * M * 16))) <(tail -c +513 "$T/out.man" | head -c $((8 * M * 16))) ||
	fail "--manifest-out's digests are not the image's"

bounded "file, resumed" "$SS" restore "$T/img" "$T/tgt" --manifest "$T/img.man" --json
expect_json "$T/out" .resumed true
expect_json "$T/out" .bytes_skipped_matching $((4 * G - 8 * M))

rm -f "$T/tgt"; truncate -s $((4 * G)) "$T/tgt"
STDIN=$T/img bounded "stdin, zeroed the cheap way, read back" "$SS" restore - "$T/tgt" \
	--manifest "$T/img.man" --json
expect_json "$T/out" .bytes_read $((4 * G))
expect_json "$T/out" .bytes_zeroed $((4 * G - 64 * M - 4096))
expect_json "$T/out" .bytes_verified $((4 * G))
cmp -s "$T/img" "$T/tgt" || fail "the target differs from the image"

. "$TOP/tests/lib_remote.sh"
mkdir -p "$T/www"
ln "$T/img" "$T/www/img"
start_nginx P "$T/www"
rm -f "$T/tgt"; truncate -s $((4 * G)) "$T/tgt"
bounded "http, zeroed target" "$SS" restore "http://127.0.0.1:$P/img" "$T/tgt" \
	--manifest "$T/img.man" --target-is-zeroed --json
expect_json "$T/out" .bytes_read $((4 * G + 1))
expect_json "$T/out" .requests $((1 + 4 * G / (8 * M)))
expect_json "$T/out" .bytes_skipped_zero $((4 * G - 64 * M - 4096))
expect_json "$T/out" .bytes_verified $((64 * M + 4096))

# A manifest of 64 MiB blocks: the held header region is a whole block,
# 64 MiB outside the buffers; the defaulted --memory gives up what it
# holds past 8M (it took 208 MiB before).
head -c $((384 * M)) "$T/img" >"$T/www/img64"
"$SS" hash "$T/www/img64" -o "$T/img64.man" --block-size 64M >/dev/null || fail "hash 64M"
rm -f "$T/tgt"; truncate -s $((384 * M)) "$T/tgt"
bounded "http, 64M blocks" "$SS" restore "http://127.0.0.1:$P/img64" "$T/tgt" \
	--manifest "$T/img64.man" --json
expect_json "$T/out" .bytes_verified $((384 * M))
cmp -s "$T/www/img64" "$T/tgt" || fail "64M blocks: the target differs from the image"
exit 0
