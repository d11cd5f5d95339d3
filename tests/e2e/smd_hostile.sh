# Hostile input to smd save / show / restore: bundles forged with a valid
# checksum (by Python's tarfile and xxhsum, not by shadowsync) holding
# ../ and absolute names, links, a directory, an unlisted member, a wrong
# digest, a repeated member, a member that claims 8 GiB and one of 257
# MiB; bundles damaged on disk (a flipped byte, cut short, lengthened, not
# a tar, 2 GiB); and an SMD directory with symbolic links (to a file
# outside, dangling, to a directory), a leftover .smd.save, a directory
# named like a module, a 300 MiB file. Every refusal is exit 2 with one
# line, and writes nothing anywhere.
SS_OWN_PIDNS=1	# smd restore sees a fake asd of any other run (lib.sh)
. "$(dirname "$0")/../lib.sh"
need_cmd bsdtar xxhsum
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed"
schema() { $PY -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" "$1" "$2" ||
	fail "$1: not the schema: $(head -c 400 "$2")"; }
EX=$TOP/tests/fixtures/smd-example
W=$T/wd
mkdir -p "$W/smd"
cp "$EX"/*.smd "$W/smd/"
run_ss "$T/s.json" "$T/s.err" smd save --work-dir "$W" -o "$T/good.tar" --json
expect_rc 0 "$(cat "$T/s.err")"

# refused BUNDLE WHAT: show and restore refuse BUNDLE with an error line
# matching WHAT, and restore makes nothing.
refused() {
	local b=$1 what=$2
	run_ss "$T/o" "$T/e" smd show "$b"
	expect_rc 2 "show $b: $(cat "$T/e")"
	[ "$(wc -l <"$T/e")" = 1 ] || fail "show $b: not one line: $(cat "$T/e")"
	grep -q "^shadowsync: .*$what" "$T/e" || fail "show $b: $(cat "$T/e")"
	run_ss "$T/o.json" "$T/e" smd restore "$b" --work-dir "$T/new" --json
	expect_rc 2 "restore $b"
	schema smd-restore "$T/o.json"
	grep -q "$what" "$T/e" || fail "restore $b: $(cat "$T/e")"
	[ -e "$T/new" ] && fail "restore of $b made $T/new"
	run_ss "$T/o" "$T/e" smd check "$b" "$W"
	expect_rc 2 "check $b"
	note "refused $(basename "$b"): $(cut -c1-150 "$T/e")"
}

note "forged bundles with a valid checksum"
forge() { $PY "$TOP/tests/tools/smdtar.py" "$@" || fail "smdtar.py $*"; }
forge none "$T/good.tar" "$T/f-none.tar"
run_ss "$T/o" "$T/e" smd show "$T/f-none.tar"
expect_rc 0 "the forger's own bundle was refused: $(cat "$T/e")"
forge dotdot "$T/good.tar" "$T/f-dotdot.tar"
bsdtar tf "$T/f-dotdot.tar" | qgrep -x '\.\./evict\.smd' || fail "the forgery has no ../evict.smd"
refused "$T/f-dotdot.tar" "the manifest names a file '../evict.smd', which is no SMD file name"
forge dotdot-path "$T/good.tar" "$T/f-dotdot-path.tar"
refused "$T/f-dotdot-path.tar" "the tar holds 'smd/../../evict.smd'"
forge absolute "$T/good.tar" "$T/f-absolute.tar"
bsdtar tf "$T/f-absolute.tar" | qgrep -x '/tmp/ss-smd-abs/evict\.smd' || fail "the forgery has no absolute name"
refused "$T/f-absolute.tar" "'/tmp/ss-smd-abs/evict.smd', which is no SMD file name"
[ -e /tmp/ss-smd-abs ] && fail "/tmp/ss-smd-abs was made"
for c in symlink hardlink directory; do
	forge $c "$T/good.tar" "$T/f-$c.tar"
	refused "$T/f-$c.tar" "member 'smd/evict.smd/\?' is not a regular file"
done
forge unlisted "$T/good.tar" "$T/f-unlisted.tar"
refused "$T/f-unlisted.tar" "the manifest lists 4 files, the tar holds 5"
forge bad-hash "$T/good.tar" "$T/f-bad-hash.tar"
refused "$T/f-bad-hash.tar" "'evict.smd' has XXH3-128 [0-9a-f]*, the manifest says"
forge duplicate "$T/good.tar" "$T/f-duplicate.tar"
refused "$T/f-duplicate.tar" "not in name order"
forge huge-claim "$T/good.tar" "$T/f-huge-claim.tar"
refused "$T/f-huge-claim.tar" "member 'smd/evict.smd' has an impossible size"
head -c $((257 << 20)) /dev/zero >"$T/big" || fail "cannot write $T/big"
forge big "$T/good.tar" "$T/f-big.tar" "$T/big"
rm -f "$T/big"
refused "$T/f-big.tar" "member 'smd/evict.smd' is 269484032 bytes, more than the 256 MiB"
rm -f "$T/f-big.tar"
[ -e "$T/evict.smd" ] || [ -e "$T/new" ] || [ -e "$W/evict.smd.save" ] && fail "a forged name was written"

note "bundles damaged on disk"
man_at=$(grep -abo '"format_version"' "$T/good.tar" | head -1 | cut -d: -f1)
ev_at=$(grep -abo '"key": "ns1",' "$T/good.tar" | head -1 | cut -d: -f1)
[ -n "$man_at" ] && [ -n "$ev_at" ] || fail "cannot find the manifest or evict.smd in the bundle"
cp "$T/good.tar" "$T/d1.tar"; flip "$T/d1.tar" "$ev_at"
refused "$T/d1.tar" "damaged: its XXH3-128 is"
cp "$T/good.tar" "$T/d2.tar"; flip "$T/d2.tar" "$man_at"
refused "$T/d2.tar" "damaged"
head -c "$ev_at" "$T/good.tar" >"$T/d3.tar"	# cut inside a member
refused "$T/d3.tar" "truncated\|damaged"
cp "$T/good.tar" "$T/d4.tar"; head -c 1024 /dev/zero >>"$T/d4.tar"
refused "$T/d4.tar" "damaged"
head -c 4096 /dev/urandom >"$T/d5.tar"
refused "$T/d5.tar" "not a tar"
: >"$T/d6.tar"
refused "$T/d6.tar" "unusable"
truncate -s 2G "$T/d7.tar"
refused "$T/d7.tar" "larger than 1024 MiB"
refused "$T/nope.tar" "cannot open '$T/nope.tar': No such file"

note "symbolic links in the SMD directory"
L=$T/links
mkdir -p "$L/smd" "$T/outside/dir"
cp "$EX/evict.smd" "$T/outside/evict.smd"
printf 'outside, differs' >"$T/outside/UDF.smd"
cp -a "$T/outside" "$T/outside.orig"
ln -s "$T/outside/evict.smd" "$L/smd/evict.smd"	# same bytes as the bundle's
ln -s "$T/outside/missing.smd" "$L/smd/sindex.smd"	# dangling
ln -s "$T/outside/dir" "$L/smd/truncate.smd"		# a directory
run_ss "$T/l.json" "$T/l.err" smd save --work-dir "$L" -o "$T/l.tar" --json
expect_rc 0 "$(cat "$T/l.err")"
schema smd-save "$T/l.json"
expect_json "$T/l.json" '[.files[] | [.name, .link_target]]' "[[\"evict.smd\",\"$T/outside/evict.smd\"]]"
expect_json "$T/l.json" '[.skipped[].name]' '["sindex.smd","truncate.smd"]'
bsdtar xOf "$T/l.tar" smd/evict.smd | cmp -s - "$EX/evict.smd" || fail "the link's target was not taken"
run_ss "$T/l.txt" "$T/l.err" smd save --work-dir "$L" -o "$T/l.tar"
expect_rc 0
grep -q "a symbolic link to $T/outside/evict.smd" "$T/l.txt" || fail "text: $(cat "$T/l.txt")"
# Restore: links become regular files; nothing is written through them.
run_ss "$T/lr.json" "$T/lr.err" smd restore "$T/good.tar" --work-dir "$L" --json
expect_rc 0 "$(cat "$T/lr.err")"
schema smd-restore "$T/lr.json"
expect_json "$T/lr.json" '[.files[] | [.name, .action]]' \
	'[["UDF.smd","installed"],["evict.smd","replaced"],["sindex.smd","installed"],["truncate.smd","installed"]]'
for f in "$EX"/*.smd; do
	n=$(basename "$f")
	[ -f "$L/smd/$n" ] && [ ! -L "$L/smd/$n" ] || fail "$n is not a regular file"
	cmp -s "$f" "$L/smd/$n" || fail "$n differs"
done
diff -r "$T/outside" "$T/outside.orig" >/dev/null || fail "a link's target was changed"
# A link to other bytes is SMD that differs: --force, and its bytes saved.
ln -sf "$T/outside/UDF.smd" "$L/smd/UDF.smd"
run_ss "$T/o" "$T/e" smd restore "$T/good.tar" --work-dir "$L"
expect_rc 2
grep -q "UDF.smd replaced); give --force" "$T/e" || fail "refusal: $(cat "$T/e")"
run_ss "$T/lf.json" "$T/lf.err" smd restore "$T/good.tar" --work-dir "$L" --force --json
expect_rc 0 "$(cat "$T/lf.err")"
bsdtar xOf "$(jq -r .backup "$T/lf.json")" smd/UDF.smd | cmp -s - "$T/outside/UDF.smd" ||
	fail "the backup does not hold the link target's bytes"
[ ! -L "$L/smd/UDF.smd" ] && cmp -s "$EX/UDF.smd" "$L/smd/UDF.smd" || fail "UDF.smd not restored"
diff -r "$T/outside" "$T/outside.orig" >/dev/null || fail "a link's target was changed"

note "leftover .smd.save files are removed, never renamed into place"
S=$T/save
mkdir -p "$S/smd"
cp "$EX"/*.smd "$S/smd/"
cp "$EX/evict.smd" "$S/smd/roster.smd.save"
printf '[\n   [' >"$S/smd/UDF.smd.save"
run_ss "$T/sv.json" "$T/sv.err" smd restore "$T/good.tar" --work-dir "$S" --json
expect_rc 0 "$(cat "$T/sv.err")"
expect_json "$T/sv.json" '[.files[] | select(.action == "removed") | .name]' '["UDF.smd.save","roster.smd.save"]'
[ "$(ls -A "$S/smd" | tr '\n' ' ')" = "UDF.smd evict.smd sindex.smd truncate.smd " ] ||
	fail "smd/ holds: $(ls -A "$S/smd")"

note "what restore cannot remove, and what save cannot read"
D=$T/dirs
mkdir -p "$D/smd/XDR.smd"
cp "$EX"/*.smd "$D/smd/"
run_ss "$T/o" "$T/e" smd restore "$T/good.tar" --work-dir "$D" --force
expect_rc 2
grep -q "'$D/smd/XDR.smd' is not a regular file: remove it by hand" "$T/e" || fail "$(cat "$T/e")"
[ -d "$D/smd/XDR.smd" ] || fail "the directory was removed"
ls -A "$D" | qgrep smd-replaced && fail "a backup was written before the refusal"
# A non-empty *.smd whose name no bundle can hold (a space, non-ASCII, a
# leading dot, over 128 bytes): the backup could not keep its bytes, so
# it is never removed, --force or not. Empty, or a link, it goes.
N=$T/names
long=$(printf 'x%.0s' $(seq 130)).smd
for bad in "my copy.smd" "$(printf 'caf\xc3\xa9.smd')" ".hidden.smd" "$long"; do
	rm -rf "$N"
	mkdir -p "$N/smd"
	cp "$EX"/*.smd "$N/smd/"
	printf 'precious bytes' >"$N/smd/$bad"
	for force in "" --force; do
		run_ss "$T/o" "$T/e" smd restore "$T/good.tar" --work-dir "$N" $force
		expect_rc 2 "'$bad' $force"
		grep -q "'$N/smd/$bad' holds 14 bytes under a name no bundle can hold.*move it out of smd/ by hand" "$T/e" ||
			fail "'$bad' $force: $(cat "$T/e")"
		[ "$(cat "$N/smd/$bad")" = "precious bytes" ] || fail "'$bad' was removed ($force)"
		ls -A "$N" | qgrep smd-replaced && fail "a backup was written before the refusal"
	done
	note "refused to remove '$(printf %.40s "$bad")'"
done
rm -rf "$N"
mkdir -p "$N/smd"
cp "$EX"/*.smd "$N/smd/"
: >"$N/smd/empty copy.smd"
printf 'outside' >"$T/outside-target"
ln -s "$T/outside-target" "$N/smd/link copy.smd"
run_ss "$T/n.json" "$T/e" smd restore "$T/good.tar" --work-dir "$N" --json
expect_rc 0 "$(cat "$T/e")"
expect_json "$T/n.json" '[.files[] | select(.action == "removed") | .name]' '["empty copy.smd","link copy.smd"]'
[ "$(cat "$T/outside-target")" = outside ] || fail "a link's target was changed"
[ "$(ls -A "$N/smd" | wc -l)" = 4 ] || fail "smd/ holds: $(ls -A "$N/smd")"
# A directory with a restore's temporary name: empty, it is removed (it
# holds nothing) and the restore finishes; not empty, it is named, with
# what to do, and nothing changes.
K=$T/tmpdir
mkdir -p "$K/smd/.evict.smd.shadowsync-tmp" "$K/smd/.XDR.smd.shadowsync-tmp"
run_ss "$T/k.json" "$T/e" smd restore "$T/good.tar" --work-dir "$K" --json
expect_rc 0 "empty temporary directories: $(cat "$T/e")"
[ "$(ls -A "$K/smd" | tr '\n' ' ')" = "UDF.smd evict.smd sindex.smd truncate.smd " ] ||
	fail "smd/ holds: $(ls -A "$K/smd")"
rm -rf "$K"
mkdir -p "$K/smd/.evict.smd.shadowsync-tmp"
touch "$K/smd/.evict.smd.shadowsync-tmp/keep"
for force in "" --force; do
	run_ss "$T/o" "$T/e" smd restore "$T/good.tar" --work-dir "$K" $force
	expect_rc 2 "a temporary directory $force"
	grep -q "^shadowsync: smd restore: '$K/smd/.evict.smd.shadowsync-tmp' is a directory (of 1 entry) with the temporary name restore writes through: remove it by hand" "$T/e" ||
		fail "temporary directory: $(cat "$T/e")"
	[ "$(ls -A "$K/smd")" = .evict.smd.shadowsync-tmp ] || fail "smd/ changed: $(ls -A "$K/smd")"
done
# A dangling smd link (a volume not mounted yet, say): named, with its
# target; nothing is made through it.
mkdir -p "$T/w5"
ln -s "$T/nonexistent/x" "$T/w5/smd"
run_ss "$T/o" "$T/e" smd restore "$T/good.tar" --work-dir "$T/w5"
expect_rc 2
grep -q "^shadowsync: smd restore: '$T/w5/smd' is a dangling symbolic link to '$T/nonexistent/x': make its target, or remove the link" "$T/e" ||
	fail "dangling smd: $(cat "$T/e")"
[ -e "$T/nonexistent" ] && fail "made the link's target"
B=$T/bigdir
mkdir -p "$B/smd"
truncate -s 300M "$B/smd/sindex.smd"
run_ss "$T/o" "$T/e" smd save --work-dir "$B" -o "$T/bigdir.tar"
expect_rc 2
grep -q "sindex.smd' is larger than 256 MiB" "$T/e" || fail "$(cat "$T/e")"
[ -e "$T/bigdir.tar" ] && fail "a bundle was written"

note "where a bundle may not be written"
for out in "$W/smd/b.tar" "$W/smd/evict.smd" - /dev/null "$T"; do
	run_ss "$T/o" "$T/e" smd save --work-dir "$W" -o "$out"
	expect_rc 2 "-o $out"
	grep -q "^shadowsync: cannot create bundle" "$T/e" || fail "-o $out: $(cat "$T/e")"
done
cmp -s "$EX/evict.smd" "$W/smd/evict.smd" || fail "evict.smd was overwritten"
[ "$(ls -A "$W/smd" | wc -l)" = 4 ] || fail "smd/ holds: $(ls -A "$W/smd")"
# The conf is read too: -o may not name it, nor a hard link to it.
printf 'service {\n\twork-directory %s\n}\n' "$W" >"$T/ac.conf"
cp "$T/ac.conf" "$T/ac.orig"
ln "$T/ac.conf" "$T/ac-link.conf"
for out in "$T/ac.conf" "$T/ac-link.conf"; do
	run_ss "$T/o" "$T/e" smd save --config "$T/ac.conf" -o "$out"
	expect_rc 2 "-o $out (the conf): $(cat "$T/e")"
	grep -q "^shadowsync: cannot create bundle '$out': it is the input '$T/ac.conf'" "$T/e" ||
		fail "-o $out: $(cat "$T/e")"
	cmp -s "$T/ac.conf" "$T/ac.orig" || fail "-o $out overwrote the conf"
done
run_ss "$T/o" "$T/e" smd save --config "$T/ac.conf" -o "$T/ac.tar"
expect_rc 0 "$(cat "$T/e")"
exit 0
