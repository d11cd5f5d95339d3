# An output (a manifest) never lands on an input, a device node or
# nowhere: hash -o, warm --manifest-out, verify/sync --manifest-out onto
# an input (same path, symlink, hard link, the file behind an input loop
# device), '-', a block or character device, a directory, a FIFO, a path
# in a missing directory: each exits 2 with one line on stderr, prints no
# report, and leaves every input's bytes unchanged. (verify L S
# --manifest-out S once replaced the shadow with a 584-byte manifest.)
. "$(dirname "$0")/../lib.sh"
need_root "loop devices"
need_cmd losetup md5sum

M=1048576
mkrand "$T/dev" $((4 * M))
mkrand "$T/s" $((4 * M))
cp "$T/s" "$T/l"
mkrand "$T/other" $((4 * M))
ln -s "$T/dev" "$T/dev-symlink"
ln "$T/dev" "$T/dev-hardlink"
mkfifo "$T/fifo"
mkdir "$T/out-dir"
loop_attach LOOP_DEV "$T/dev"		# an input that is a loop device
loop_attach LOOP_OTHER "$T/other"	# a block device that is no input

sums() { md5sum "$T/dev" "$T/s" "$T/l" "$T/other" | awk '{print $1}' | tr '\n' ' '; }
listing() { (cd "$T" && ls -A | grep -v -e '^out$' -e '^err$' | sort | tr '\n' ' '); }
before=$(sums)
files=$(listing)

# refused WANT-LINE CMD...: exit 2, exactly WANT-LINE on stderr, nothing on
# stdout, no input changed, no file left behind.
n=0
refused() {
	local want=$1
	shift
	run_ss "$T/out" "$T/err" "$@"
	expect_rc 2 "$*: $(cat "$T/err")"
	[ "$(cat "$T/err")" = "$want" ] || fail "$*:
  want: $want
  got:  $(cat "$T/err")"
	[ -s "$T/out" ] && fail "$*: printed a report: $(head -c 200 "$T/out")"
	[ "$(sums)" = "$before" ] || fail "$*: an input changed"
	[ "$(listing)" = "$files" ] || fail "$*: files now: $(listing)"
	n=$((n + 1))
	note "$*: $(cat "$T/err")"
}
CM="cannot create manifest"
same() { echo "it is the input '$1' (the same file)"; }

# hash -o
refused "shadowsync: hash: $CM '$T/dev': $(same "$T/dev")" hash "$T/dev" -o "$T/dev"
refused "shadowsync: hash: $CM '$T/dev-symlink': $(same "$T/dev")" hash "$T/dev" -o "$T/dev-symlink"
refused "shadowsync: hash: $CM '$T/dev-hardlink': $(same "$T/dev")" hash "$T/dev" -o "$T/dev-hardlink"
refused "shadowsync: hash: $CM '$T/dev': $(same "$T/dev-symlink")" hash "$T/dev-symlink" -o "$T/dev"
(cd "$T" && refused "shadowsync: hash: $CM 'dev': $(same "$T/dev")" hash "$T/dev" -o dev)
refused "shadowsync: hash: $CM '-': stdout is not supported for manifests (give a file path)" \
	hash "$T/dev" -o -
refused "shadowsync: hash: $CM '/dev/null': it is a character device, not a file" hash "$T/dev" -o /dev/null
refused "shadowsync: hash: $CM '$LOOP_OTHER': it is a block device, not a file" hash "$T/dev" -o "$LOOP_OTHER"
refused "shadowsync: hash: $CM '$LOOP_DEV': it is a block device, not a file" hash "$T/dev" -o "$LOOP_DEV"
refused "shadowsync: hash: $CM '$T/out-dir': it is a directory, not a file" hash "$T/dev" -o "$T/out-dir"
refused "shadowsync: hash: $CM '$T/new/': it names a directory" hash "$T/dev" -o "$T/new/"
refused "shadowsync: hash: $CM '$T/fifo': it is a FIFO, not a file" hash "$T/dev" -o "$T/fifo"
refused "shadowsync: hash: $CM '$T/nodir/m': its directory '$T/nodir' does not exist" \
	hash "$T/dev" -o "$T/nodir/m"
refused "shadowsync: hash: $CM '$T/other/m': '$T/other' is not a directory" hash "$T/dev" -o "$T/other/m"
refused "shadowsync: hash: $CM '$T/dev': it is the file behind the input '$LOOP_DEV' ('$LOOP_DEV' is a loop device over '$T/dev')" \
	hash "$LOOP_DEV" -o "$T/dev"

# warm --manifest-out (its help: nothing is written to DEVICE)
refused "shadowsync: warm: $CM '$T/dev': $(same "$T/dev")" warm "$T/dev" --manifest-out "$T/dev"
refused "shadowsync: warm: $CM '$T/dev-hardlink': $(same "$T/dev")" warm "$T/dev" --manifest-out "$T/dev-hardlink"
refused "shadowsync: warm: $CM '-': stdout is not supported for manifests (give a file path)" \
	warm "$T/dev" --manifest-out -
refused "shadowsync: warm: $CM '$LOOP_OTHER': it is a block device, not a file" \
	warm "$T/dev" --manifest-out "$LOOP_OTHER"
refused "shadowsync: warm: $CM '$T/dev': it is the file behind the input '$LOOP_DEV' ('$LOOP_DEV' is a loop device over '$T/dev')" \
	warm "$LOOP_DEV" --manifest-out "$T/dev"

# verify and sync --manifest-out: onto the shadow, the local, the file
# behind a loop device local, a device node, '-'.
for cmd in verify sync; do
	refused "shadowsync: $CM '$T/s': $(same "$T/s")" $cmd "$T/l" "$T/s" --manifest-out "$T/s"
	refused "shadowsync: $CM '$T/l': $(same "$T/l")" $cmd "$T/l" "$T/s" --manifest-out "$T/l"
	refused "shadowsync: $CM '$T/dev': it is the file behind the input '$LOOP_DEV' ('$LOOP_DEV' is a loop device over '$T/dev')" \
		$cmd "$LOOP_DEV" "$T/s" --manifest-out "$T/dev"
	refused "shadowsync: $CM '$LOOP_OTHER': it is a block device, not a file" \
		$cmd "$T/l" "$T/s" --manifest-out "$LOOP_OTHER"
	refused "shadowsync: $CM '-': stdout is not supported for manifests (give a file path)" \
		$cmd "$T/l" "$T/s" --manifest-out -
done
# A loop device on a loop device on the file: still the file behind it.
LOOP2=$(losetup -f --show "$LOOP_DEV") || fail "losetup over $LOOP_DEV"
at_exit "losetup -d $LOOP2"
refused "shadowsync: hash: $CM '$T/dev': it is the file behind the input '$LOOP2' ('$LOOP2' sits on '$T/dev' through '$LOOP_DEV')" \
	hash "$LOOP2" -o "$T/dev"
refused "shadowsync: $CM '$T/dev': it is the file behind the input '$LOOP2' ('$LOOP2' sits on '$T/dev' through '$LOOP_DEV')" \
	verify "$T/l" "$LOOP2" --manifest-out "$T/dev"
[ $n -ge 31 ] || fail "only $n refusals ran"

# What is fine still works: a new file, a relative name, replacing an old
# manifest (of another device, through a symlink to it).
run_ss "$T/out" "$T/err" hash "$T/dev" -o "$T/m1"
expect_rc 0 "$(cat "$T/err")"
(cd "$T" && "$SS" hash "$T/dev" -o m2 >/dev/null) || fail "relative -o"
[ -s "$T/m2" ] || fail "relative -o wrote nothing"
run_ss "$T/out" "$T/err" warm "$T/other" --manifest-out "$T/m1"
expect_rc 0 "$(cat "$T/err")"
run_ss "$T/out" "$T/err" check "$T/other" "$T/m1"
expect_rc 0 "$(cat "$T/err")"
run_ss "$T/out" "$T/err" verify "$T/l" "$T/s" --manifest-out "$T/m3"
expect_rc 0 "$(cat "$T/err")"
run_ss "$T/out" "$T/err" check "$T/s" "$T/m3"
expect_rc 0 "$(cat "$T/err")"
[ "$(sums)" = "$before" ] || fail "an input changed"

# A full file system under the manifest: the manifest is named, not the
# device, and nothing is left behind.
mkdir "$T/full"
mount -t tmpfs -o size=64k tmpfs "$T/full" || fail "tmpfs"
at_exit "umount '$T/full'"
for args in "hash $T/l -o $T/full/m" "warm $T/l --manifest-out $T/full/m" \
	    "verify $T/l $T/s --manifest-out $T/full/m" "sync $T/l $T/s --manifest-out $T/full/m"; do
	run_ss "$T/out" "$T/err" $args --block-size 512
	expect_rc 2 "$args"
	[ "$(cat "$T/err")" = "shadowsync: cannot write manifest '$T/full/m': No space left on device (ENOSPC)" ] ||
		fail "full: $args: $(cat "$T/err")"
	[ -z "$(ls -A "$T/full")" ] || fail "full: $args left $(ls -A "$T/full")"
done
exit 0
