# verify and sync --config check pairs against pairs before any I/O: a
# device that is one pair's shadow and another's local, the same local
# twice (across namespaces too, and with --namespace), a symlink to a
# local used as another pair's shadow, two loop devices over one file in
# two pairs: exit 2, one line naming both conf lines, nothing reported or
# written. A path that does not exist is left to its pair.
. "$(dirname "$0")/../lib.sh"
need_root "loop devices"
need_cmd losetup xxhsum

need_mkaero
M=1048576
sums() { local f; for f in "$@"; do xxhsum -H2 <"$f"; done; }
# ns1's two devices (A and C) and their shadows, locals a write behind.
for f in A B C D; do
	"$MKAERO" "$T/$f" --size 16M --namespace ns1 --n-devices 2 --random aa \
		--device-id $(case $f in [AB]) echo 0 ;; *) echo 1 ;; esac) \
		--flags TRUSTED --used 2 || fail mkaero
done
flip "$T/A" $((9 * M + 7))
flip "$T/C" $((8 * M + 3))

# conf NAME NS1-LINES [NS2-LINES]: a conf whose namespace ns1 (line 1)
# holds NS1-LINES, each on its own line from line 3 on.
conf() {
	{
		printf 'namespace ns1 {\n\tstorage-engine device {\n'
		printf '\t\t%s\n' "${@:2:$#-2}"
		printf '\t}\n}\n'
		[ -n "${!#}" ] && printf 'namespace ns2 {\n\tstorage-engine device {\n\t\t%s\n\t}\n}\n' "${!#}"
	} >"$T/$1.conf"
}

# refused NAME WANT [OPTIONS]: both commands exit 2 with WANT as the one
# stderr line, print nothing on stdout, write nothing.
refused() {
	local name=$1 want=$2 before cmd
	shift 2
	before=$(sums "$T"/[ABCD])
	for cmd in verify sync; do
		run_ss "$T/out" "$T/err" $cmd --config "$T/$name.conf" "$@"
		expect_rc 2 "$name/$cmd: $(cat "$T/err")"
		[ "$(cat "$T/err")" = "shadowsync: $want" ] ||
			fail "$name/$cmd: want 'shadowsync: $want', got: $(cat "$T/err")"
		[ ! -s "$T/out" ] || fail "$name/$cmd: a pair ran: $(head -3 "$T/out")"
		[ "$(sums "$T"/[ABCD])" = "$before" ] || fail "$name/$cmd: a file was written"
	done
	note "$name: $want"
}

# B is ns1's first shadow and its second local.
conf chain "file $T/A $T/B" "file $T/B $T/C" ""
refused chain "$T/chain.conf:3 and :4: '$T/B' (shadow of ns1) and '$T/B' (local of ns1) are the same file"

# The same local in two namespaces; --namespace does not hide it.
conf twice "file $T/A $T/B" "file $T/A $T/C"
refused twice "$T/twice.conf:3 and :8: '$T/A' (local of ns1) and '$T/A' (local of ns2) are the same file"
refused twice "$T/twice.conf:3 and :8: '$T/A' (local of ns1) and '$T/A' (local of ns2) are the same file" --namespace ns2

# A symlink to a local, as another pair's shadow; one line, both sides.
ln -s "$T/A" "$T/A.link"
conf link "file $T/A $T/B" "file $T/C $T/A.link" ""
refused link "$T/link.conf:3 and :4: '$T/A' (local of ns1) and '$T/A.link' (shadow of ns1) are the same file"
conf self "file $T/A.link $T/A" ""
refused self "$T/self.conf:3: '$T/A.link' (local of ns1) and '$T/A' (shadow of ns1) are the same file"

# Two loop devices over one file (one at an offset) in two pairs.
mkrand "$T/x.img" $((16 * M))
loop_attach LX "$T/x.img"
LY=$(losetup --find --show --offset $M "$T/x.img") || fail "losetup --offset"
at_exit "_loop_cleanup $LY '$T/x.img'"
conf loops "device $LX $T/B" "device $T/D $LY"
before=$(sums "$T/x.img")
refused loops "$T/loops.conf:3 and :8: '$LX' (local of ns1) and '$LY' (shadow of ns2) are the same storage (two loop devices over '$T/x.img')"
[ "$(sums "$T/x.img")" = "$before" ] || fail "loops: x.img was written"

# Not refused: distinct devices; a path that does not exist yet is its
# pair's error, and the other pair still runs.
conf fine "file $T/A $T/B" "file $T/C $T/D" ""
run_ss "$T/out" "$T/err" sync --config "$T/fine.conf"
expect_rc 0 "fine: $(cat "$T/err")"
cmp -s "$T/A" "$T/B" && cmp -s "$T/C" "$T/D" || fail "fine: not synced"
grep -q "^sync: .*2 pairs" "$T/out" || qgrep "pair 2 of 2" "$T/out" || fail "fine: $(head -3 "$T/out")"
conf missing "file $T/A $T/B" "file $T/nonexistent $T/D" ""
run_ss "$T/out" "$T/err" verify --config "$T/missing.conf" --json
expect_rc 2
grep -qF "local '$T/nonexistent' cannot be opened" "$T/err" || fail "missing: $(cat "$T/err")"
expect_json "$T/out" '[.pairs[].result]' '["match","error"]'
exit 0
