# smd restore's safety and the files it leaves (issue 12, item 4):
# refused while a process named asd runs (a copy of sleep) or the conf's
# pidfile names a live process, --force or not; the owner and mode asd
# writes with (--owner, the conf's user/group, os-group-perms); SMD that
# differs replaced only with --force, after being saved beside smd/ as a
# bundle that holds exactly what was there; a full disk changes nothing;
# a second restore running at once is refused.
SS_OWN_PIDNS=1	# smd restore sees a fake asd of any other run (lib.sh)
. "$(dirname "$0")/../lib.sh"
need_root "chown"
need_cmd bsdtar flock
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed"
schema() { $PY -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" "$1" "$2" ||
	fail "$1: not the schema: $(head -c 400 "$2")"; }
MKSMD=$TOP/build/tests/tools/mksmd
[ -x "$MKSMD" ] || fail "$MKSMD not built (make unit)"
EX=$TOP/tests/fixtures/smd-example
mkdir -p "$T/src/smd"
cp "$EX"/*.smd "$T/src/smd/"
run_ss "$T/o" "$T/e" smd save --work-dir "$T/src" -o "$T/b.tar"
expect_rc 0 "$(cat "$T/e")"
getent passwd nobody >/dev/null || skip "no user nobody"
NOBODY="$(id -u nobody):$(id -g nobody)"

note "a process named asd: refused, with or without --force"
cp /bin/sleep "$T/asd"
"$T/asd" 60 &
asd=$!
at_exit "kill $asd 2>/dev/null; wait $asd 2>/dev/null; true"
for i in $(seq 50); do [ "$(cat /proc/$asd/comm 2>/dev/null)" = asd ] && break; sleep 0.1; done
for force in "" --force; do
	run_ss "$T/a.json" "$T/a.err" smd restore "$T/b.tar" --work-dir "$T/n1" $force --json
	expect_rc 2
	schema smd-restore "$T/a.json"
	grep -q "asd is running on this node (pid [0-9]*): stop it first" "$T/a.err" || fail "$(cat "$T/a.err")"
	[ -e "$T/n1" ] && fail "restore made $T/n1 while asd runs"
done
kill $asd; wait $asd 2>/dev/null

note "the conf's pidfile naming a live process: refused; a stale one is not"
sleep 60 &
live=$!
at_exit "kill $live 2>/dev/null; wait $live 2>/dev/null; true"
printf 'service {\n\twork-directory %s\n\tpidfile %s\n}\n' "$T/n2" "$T/asd.pid" >"$T/p.conf"
echo $live >"$T/asd.pid"
run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --config "$T/p.conf" --force
expect_rc 2
grep -q "the pidfile '$T/asd.pid' names a live process, $live (sleep)" "$T/e" || fail "$(cat "$T/e")"
[ -e "$T/n2" ] && fail "restore made $T/n2"
# Any form a shell or strtol reads as that pid names it too.
for form in " $live" "+$live" "\t$live\n" "$live \n"; do
	printf "$form" >"$T/asd.pid"
	run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --config "$T/p.conf" --force
	expect_rc 2 "pidfile '$form'"
	grep -q "the pidfile '$T/asd.pid' names a live process, $live (sleep)" "$T/e" ||
		fail "pidfile '$form': $(cat "$T/e")"
done
# What names no process asd could be: it cannot tell, so it refuses.
cannot_tell() {
	run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --config "$T/p.conf" --force
	expect_rc 2 "$1"
	grep -q "^shadowsync: smd restore: cannot tell whether asd runs: the conf's pidfile '$T/asd.pid' $2" "$T/e" ||
		fail "$1: $(cat "$T/e")"
	[ -e "$T/n2" ] && fail "$1: restore made $T/n2"
	note "$1: refused"
}
printf 'asd\n' >"$T/asd.pid"; cannot_tell "a word" "holds no process id ('asd'): remove it if it is stale"
printf -- "-$live\n" >"$T/asd.pid"; cannot_tell "a negative pid" "holds no process id"
printf "$live x\n" >"$T/asd.pid"; cannot_tell "a pid and more" "holds no process id"
printf '0\n' >"$T/asd.pid"; cannot_tell "pid 0" "holds no process id ('0')"
: >"$T/asd.pid"; cannot_tell "an empty pidfile" "is empty"
rm "$T/asd.pid"; mkdir "$T/asd.pid"; cannot_tell "a directory" "is a directory, not a file holding a pid"
rmdir "$T/asd.pid"; mkfifo "$T/asd.pid"; cannot_tell "a FIFO" "is a FIFO"
rm "$T/asd.pid"
# Unreadable (as an unprivileged user: root reads anything).
mkdir -m 0755 "$T/pub"
chmod 0755 "$T"
cp "$T/b.tar" "$T/pub/b.tar"
printf 'service {\n\twork-directory %s\n\tpidfile %s\n}\n' "$T/pub/n" "$T/pub/asd.pid" >"$T/pub/p.conf"
chmod 0644 "$T/pub/b.tar" "$T/pub/p.conf"
echo $live >"$T/pub/asd.pid"
chmod 0600 "$T/pub/asd.pid"
setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$SS" smd restore "$T/pub/b.tar" \
	--config "$T/pub/p.conf" --owner nobody >"$T/o" 2>"$T/e"
RC=$?
expect_rc 2 "an unreadable pidfile: $(cat "$T/e")"
grep -q "cannot tell whether asd runs: the conf's pidfile '$T/pub/asd.pid' cannot be read: Permission denied" "$T/e" ||
	fail "unreadable: $(cat "$T/e")"
[ -e "$T/pub/n" ] && fail "restore made $T/pub/n"
printf 'service {\n\twork-directory %s\n\tpidfile run/asd.pid\n}\n' "$T/n2" >"$T/rel.conf"
run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --config "$T/rel.conf"
expect_rc 2
grep -q "the conf's pidfile 'run/asd.pid' is a relative path: asd opens it from its own working directory" "$T/e" ||
	fail "relative pidfile: $(cat "$T/e")"
kill $live; wait $live 2>/dev/null
# A zombie (exited, not reaped: its parent never waits): refused, and
# called what it is.
( sleep 0.2 & exec sleep 60 ) &
parent=$!
at_exit "kill $parent 2>/dev/null; true"
zombie=
for i in $(seq 50); do
	zombie=$(pgrep -P $parent)
	[ -n "$zombie" ] && [ "$(awk '{print $3}' /proc/$zombie/stat 2>/dev/null)" = Z ] && break
	zombie=
	sleep 0.1
done
[ -n "$zombie" ] || fail "no zombie"
echo $zombie >"$T/asd.pid"
run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --config "$T/p.conf" --force
expect_rc 2
grep -q "the pidfile '$T/asd.pid' names process $zombie (sleep), a zombie: it has exited but its parent has not reaped it" "$T/e" ||
	fail "zombie: $(cat "$T/e")"
kill $parent; wait $parent 2>/dev/null
echo $live >"$T/asd.pid"
run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --config "$T/p.conf"
expect_rc 0 "stale pidfile: $(cat "$T/e")"
cmp -s "$EX/evict.smd" "$T/n2/smd/evict.smd" || fail "not restored"

note "owner and mode: --owner, the conf's user and group, os-group-perms"
run_ss "$T/o1.json" "$T/e" smd restore "$T/b.tar" --work-dir "$T/o1" --owner nobody --json
expect_rc 0 "$(cat "$T/e")"
schema smd-restore "$T/o1.json"
expect_json "$T/o1.json" '[.owner.uid, .owner.gid, .mode]' "[$(id -u nobody),$(id -g nobody),\"0600\"]"
for p in "$T/o1" "$T/o1/smd" "$T/o1"/smd/*.smd; do
	[ "$(stat -c %u:%g "$p")" = "$NOBODY" ] || fail "$p owned by $(stat -c %u:%g "$p")"
done
[ "$(stat -c %a "$T/o1/smd/UDF.smd")" = 600 ] || fail "mode $(stat -c %a "$T/o1/smd/UDF.smd")"
printf 'service {\n\twork-directory %s\n\tuser nobody\n\tgroup %s\n\tos-group-perms true\n}\nmod-lua {\n\tuser-path %s\n}\n' \
	"$T/o2" "$(id -gn nobody)" "$T/o2/lua" >"$T/o2.conf"
run_ss "$T/o2.json" "$T/e" smd restore "$T/b.tar" --config "$T/o2.conf" --json
expect_rc 0 "$(cat "$T/e")"
expect_json "$T/o2.json" .mode '"0660"'
for f in "$T/o2"/smd/*.smd; do
	[ "$(stat -c '%a %u:%g' "$f")" = "660 $NOBODY" ] || fail "$f: $(stat -c '%a %u:%g' "$f")"
done
[ "$(stat -c %u:%g "$T/o2/lua")" = "$NOBODY" ] || fail "the Lua user-path is not asd's"
run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --work-dir "$T/o3" --owner 4321:8765
expect_rc 0 "$(cat "$T/e")"
[ "$(stat -c '%a %u:%g' "$T/o3/smd/evict.smd")" = "600 4321:8765" ] || fail "numeric owner"
run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --work-dir "$T/o4" --owner no-such-user-here
expect_rc 2
grep -q "no user 'no-such-user-here'" "$T/e" || fail "$(cat "$T/e")"
[ -e "$T/o4" ] && fail "made $T/o4 for an unknown owner"
# Ids as chown takes them: digits only, below 4294967295 ((uid_t)-1 is
# chown's "unchanged"); one no user or group has here is taken (a
# container's asd may run as one) with a warning, but a uid without a
# user has no primary group: the group must be given.
for bad in " 65534" "+65534" "65534 " 4294967295 -1 4294967296 "nobody: 65534" "nobody:+65534" ":65534"; do
	run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --work-dir "$T/o4" --owner "$bad"
	expect_rc 2 "--owner '$bad'"
	grep -q "^shadowsync: smd restore: no \(user\|group\) '.*' on this node.*and it is no [ug]id" "$T/e" ||
		fail "--owner '$bad': $(cat "$T/e")"
	[ -e "$T/o4" ] && fail "made $T/o4 for --owner '$bad'"
done
run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --work-dir "$T/o4" --owner 1000000
expect_rc 2
grep -q "uid 1000000 has no user on this node, so no primary group: give one (--owner 1000000:GROUP)" "$T/e" ||
	fail "$(cat "$T/e")"
for ids in 4294967294:4294967294 1000000:2000000; do
	rm -rf "$T/o4"
	run_ss "$T/o4.json" "$T/e" smd restore "$T/b.tar" --work-dir "$T/o4" --owner $ids --json
	expect_rc 0 "--owner $ids: $(cat "$T/e")"
	[ "$(stat -c '%a %u:%g' "$T/o4/smd/evict.smd")" = "600 $ids" ] || fail "--owner $ids: $(stat -c '%u:%g' "$T/o4/smd/evict.smd")"
	expect_json "$T/o4.json" '.warnings[0]' "\"uid ${ids%:*} has no user on this node, gid ${ids#*:} has no group on this node\""
done
rm -rf "$T/o4"
# A relative work-directory (or, for restore, which makes it, user-path)
# in the conf: asd resolves it from its own working directory, which
# shadowsync cannot know: refused.
printf 'service {\n\twork-directory rel/wd\n}\n' >"$T/rel1.conf"
printf 'service {\n\twork-directory %s\n}\nmod-lua {\n\tuser-path lua\n}\n' "$T/o4" >"$T/rel2.conf"
for c in rel1 rel2; do
	for cmd in restore save; do
		[ $c = rel2 ] && [ $cmd = save ] && continue	# save makes no user-path
		if [ $cmd = restore ]; then
			(cd "$T" && "$SS" smd restore "$T/b.tar" --config "$T/$c.conf" >"$T/o" 2>"$T/e")
		else
			(cd "$T" && "$SS" smd save --config "$T/$c.conf" -o "$T/rel.tar" >"$T/o" 2>"$T/e")
		fi
		RC=$?
		expect_rc 2 "$c $cmd: $(cat "$T/e")"
		grep -q "^shadowsync: smd: '$T/$c.conf': .* '\(rel/wd\|lua\)' is a relative path: asd resolves it against its own working directory" "$T/e" ||
			fail "$c $cmd: $(cat "$T/e")"
	done
done
[ -e "$T/rel" ] || [ -e "$T/o4" ] || [ -e "$T/lua" ] && fail "a relative path was made"
# Same bytes, other mode or owner: set, with no --force; a smd/ asd
# cannot write is a warning.
mkdir -p "$T/o5/smd"
cp "$EX"/*.smd "$T/o5/smd/"
chmod 0644 "$T/o5/smd/"*
run_ss "$T/o5.json" "$T/e" smd restore "$T/b.tar" --work-dir "$T/o5" --owner nobody --json
expect_rc 0 "$(cat "$T/e")"
expect_json "$T/o5.json" '[.files[].action] | unique' '["permissions-set"]'
expect_json "$T/o5.json" '.warnings | length' 1
[ "$(stat -c '%a %u:%g' "$T/o5/smd/sindex.smd")" = "600 $NOBODY" ] || fail "attributes not set"
run_ss "$T/o5b.json" "$T/e" smd restore "$T/b.tar" --work-dir "$T/o5" --owner nobody --json
expect_rc 0
expect_json "$T/o5b.json" '[.result, .changes]' '["unchanged",0]'
# A file with other hard links (a cp -al backup of smd/): its owner and
# mode are set on a copy renamed over the name, never through the links.
mkdir -p "$T/o6/smd"
cp "$EX"/*.smd "$T/o6/smd/"
chmod 0644 "$T/o6/smd/"*
cp -al "$T/o6/smd" "$T/o6/smd.bak"
[ "$(stat -c %h "$T/o6/smd/UDF.smd")" = 2 ] || fail "cp -al made no hard links"
run_ss "$T/o6.json" "$T/e" smd restore "$T/b.tar" --work-dir "$T/o6" --owner nobody --json
expect_rc 0 "$(cat "$T/e")"
expect_json "$T/o6.json" '[.files[].action] | unique' '["permissions-set"]'
for f in "$EX"/*.smd; do
	n=$(basename "$f")
	[ "$(stat -c '%a %u:%g %h' "$T/o6/smd/$n")" = "600 $NOBODY 1" ] ||
		fail "$n: $(stat -c '%a %u:%g %h' "$T/o6/smd/$n")"
	[ "$(stat -c '%a %u:%g %h' "$T/o6/smd.bak/$n")" = "644 0:0 1" ] ||
		fail "the hard link smd.bak/$n was changed: $(stat -c '%a %u:%g %h' "$T/o6/smd.bak/$n")"
	cmp -s "$f" "$T/o6/smd/$n" && cmp -s "$f" "$T/o6/smd.bak/$n" || fail "$n: bytes changed"
done
run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --work-dir "$T/o6" --owner nobody
expect_rc 0
grep -q "^unchanged: 0 changes" "$T/o" || fail "second run: $(cat "$T/o")"

note "SMD that differs: refused without --force; replaced after a backup"
F=$T/f
mkdir -p "$F/smd"
"$MKSMD" "$F/smd/sindex.smd" --module sindex --items 40 || fail mksmd
"$MKSMD" "$F/smd/roster.smd" --module generic --items 3 || fail mksmd
cp "$EX/evict.smd" "$F/smd/"
chmod 0600 "$F"/smd/*
echo partial >"$F/smd/UDF.smd.save"
cp -a "$F/smd" "$T/f-orig"
before=$(stat -c '%n %i %Y' "$F"/smd/*)
run_ss "$T/f1.json" "$T/f1.err" smd restore "$T/b.tar" --work-dir "$F" --json
expect_rc 2
schema smd-restore "$T/f1.json"
grep -q "holds SMD that differs from the bundle (sindex.smd replaced, roster.smd removed); give --force" \
	"$T/f1.err" || fail "$(cat "$T/f1.err")"
[ "$(stat -c '%n %i %Y' "$F"/smd/*)" = "$before" ] || fail "files changed without --force"
ls "$F" | qgrep smd-replaced && fail "a backup was written without --force"
run_ss "$T/f2.json" "$T/f2.err" smd restore "$T/b.tar" --work-dir "$F" --force --json
expect_rc 0 "$(cat "$T/f2.err")"
schema smd-restore "$T/f2.json"
expect_json "$T/f2.json" '[.files[] | [.name, .action]]' \
	'[["UDF.smd","installed"],["evict.smd","unchanged"],["sindex.smd","replaced"],["truncate.smd","installed"],["roster.smd","removed"],["UDF.smd.save","removed"]]'
bk=$(jq -r .backup "$T/f2.json")
case $bk in "$F"/smd-replaced-*.tar) ;; *) fail "backup at '$bk'" ;; esac
[ "$(stat -c %a "$bk")" = 600 ] || fail "the backup is not 0600"
rm "$T/f-orig/UDF.smd.save"	# not taken into a bundle, by design
run_ss "$T/o" "$T/e" smd check "$bk" "$T/f-orig"
expect_rc 0 "the backup does not hold what was replaced: $(cat "$T/o")"
run_ss "$T/o" "$T/e" smd check "$T/b.tar" "$F"
expect_rc 0 "not restored: $(cat "$T/o")"
run_ss "$T/f3.json" "$T/e" smd restore "$T/b.tar" --work-dir "$F" --force --json
expect_rc 0
expect_json "$T/f3.json" '[.result, .changes, .backup]' '["unchanged",0,null]'
[ "$(ls "$F" | grep -c smd-replaced)" = 1 ] || fail "a second backup was written"

note "a restore that did not finish: its mark is reported, and the next run removes it"
M=$T/mk
mkdir -p "$M/smd"
cp "$EX"/*.smd "$M/smd/"
chmod 0600 "$M/smd/"*
printf "'$T/old.tar' (saved on h at 2025-01-01T00:00:00Z), begun at 2025-01-02T00:00:00Z by pid 1\nshadowsync smd restore: ...\n" \
	>"$M/smd/.shadowsync-restore-incomplete"
words="an smd restore into '$M/smd' did not finish (the restore of '$T/old.tar' (saved on h"
run_ss "$T/mk.json" "$T/e" smd show "$M" --json
expect_rc 1 "show: $(cat "$T/e")"
schema smd-show "$T/mk.json"
expect_json "$T/mk.json" '[.result, .errors, (.restore_incomplete | startswith("'"'$T/old.tar'"'"))]' '["problems",0,true]'
run_ss "$T/o" "$T/e" smd show "$M"
expect_rc 1
qgrep -F "WARNING: $words" "$T/o" || fail "show: $(cat "$T/o")"
run_ss "$T/mk-check.json" "$T/e" smd check "$T/b.tar" "$M" --json
expect_rc 1 "check: $(cat "$T/e")"
schema smd-check "$T/mk-check.json"
expect_json "$T/mk-check.json" '[.result, .same, .missing, .extra, .changed]' '["differ",4,0,0,0]'
run_ss "$T/mk-save.json" "$T/e" smd save --work-dir "$M" -o "$T/mk.tar" --json
expect_rc 1 "save: $(cat "$T/e")"
schema smd-save "$T/mk-save.json"
expect_json "$T/mk-save.json" '[.result, .errors]' '["saved-with-problems",0]'
jq -r .exit_reason "$T/mk-save.json" | qgrep -F "$words" || fail "save: $(jq -r .exit_reason "$T/mk-save.json")"
# verify --gate --config says so too (a line: the gate answers for the devices).
truncate -s 16M "$T/mk-l" "$T/mk-s"
printf 'service {\n\twork-directory %s\n}\nnamespace ns1 {\n\tstorage-engine device {\n\t\tfile %s %s\n\t}\n}\n' \
	"$M" "$T/mk-l" "$T/mk-s" >"$T/mk.conf"
run_ss "$T/o" "$T/e" verify --gate --config "$T/mk.conf"
expect_rc 0 "verify --gate: $(cat "$T/e")"
qgrep -F "WARNING: $words" "$T/o" || fail "verify --gate: $(cat "$T/o")"
run_ss "$T/o" "$T/e" verify --gate --config "$T/mk.conf" --json
expect_rc 0
qgrep -F "WARNING: $words" "$T/e" || fail "verify --gate --json: $(cat "$T/e")"
rm "$M/smd/.shadowsync-restore-incomplete"
run_ss "$T/o" "$T/e" verify --gate --config "$T/mk.conf"
expect_rc 0
qgrep WARNING "$T/o" && fail "verify --gate warns of no mark: $(cat "$T/o")"
# Refused without --force, the refusal says a restore did not finish; the
# next restore finishes and removes the mark.
"$MKSMD" "$M/smd/sindex.smd" --module sindex --items 5 || fail mksmd
printf "'$T/old.tar' (saved on h at 2025-01-01T00:00:00Z), begun at 2025-01-02T00:00:00Z by pid 1\n" \
	>"$M/smd/.shadowsync-restore-incomplete"
run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --work-dir "$M"
expect_rc 2
grep -q "give --force to replace it (it is saved beside smd/ as a bundle first); an earlier restore into it did not finish, so it may hold a mix ('$T/old.tar'" "$T/e" ||
	fail "refusal: $(cat "$T/e")"
[ -e "$M/smd/.shadowsync-restore-incomplete" ] || fail "the refusal removed the mark"
run_ss "$T/mk-r.json" "$T/e" smd restore "$T/b.tar" --work-dir "$M" --force --json
expect_rc 0 "$(cat "$T/e")"
schema smd-restore "$T/mk-r.json"
expect_json "$T/mk-r.json" '[.result, .earlier_restore_incomplete]' '["restored",true]'
[ -e "$M/smd/.shadowsync-restore-incomplete" ] && fail "the restore left the mark"
# Only the mark left (a kill after the last rename): removed, one change.
printf "'$T/old.tar' (saved on h at t), begun at u by pid 1\n" >"$M/smd/.shadowsync-restore-incomplete"
run_ss "$T/mk-r2.json" "$T/e" smd restore "$T/b.tar" --work-dir "$M" --json
expect_rc 0 "$(cat "$T/e")"
expect_json "$T/mk-r2.json" '[.result, .changes, .earlier_restore_incomplete]' '["restored",1,true]'
[ -e "$M/smd/.shadowsync-restore-incomplete" ] && fail "the restore left the mark"
run_ss "$T/mk-r3.json" "$T/e" smd restore "$T/b.tar" --work-dir "$M" --json
expect_rc 0 "$(cat "$T/e")"
expect_json "$T/mk-r3.json" '[.result, .changes, .earlier_restore_incomplete]' '["unchanged",0,false]'
run_ss "$T/o" "$T/e" smd check "$T/b.tar" "$M"
expect_rc 0 "$(cat "$T/o")"

note "a full disk changes nothing"
mkdir -p "$T/full"
mount -t tmpfs -o size=1m tmpfs "$T/full" || skip "cannot mount tmpfs"
at_exit "umount '$T/full'"
mkdir -p "$T/big/smd" "$T/full/smd"
cp "$EX"/*.smd "$T/big/smd/"	# every file but sindex.smd fits
"$MKSMD" "$T/big/smd/sindex.smd" --module sindex --items 20000 || fail mksmd
cp "$EX/UDF.smd" "$EX/truncate.smd" "$T/full/smd/"
printf '[\n   [\n      1,\n      1\n   ]\n]' >"$T/full/smd/sindex.smd"
[ "$(stat -c %s "$T/big/smd/sindex.smd")" -gt $((1 << 20)) ] || fail "sindex.smd is too small to fill 1 MiB"
run_ss "$T/o" "$T/e" smd save --work-dir "$T/big" -o "$T/big.tar"
expect_rc 0 "$(cat "$T/e")"
cp -a "$T/full/smd" "$T/full-orig"
run_ss "$T/d.json" "$T/d.err" smd restore "$T/big.tar" --work-dir "$T/full" --force --json
expect_rc 2
schema smd-restore "$T/d.json"
expect_json "$T/d.json" .result '"failed"'
expect_json "$T/d.json" '[.files[] | select(.done)] | length' 0
grep -q "No space left on device (ENOSPC); nothing changed" "$T/d.err" || fail "$(cat "$T/d.err")"
diff -r "$T/full/smd" "$T/full-orig" >/dev/null || fail "the full disk changed smd/: $(ls -A "$T/full/smd")"

note "two restores at once: the second is refused"
mkdir -p "$T/lk/smd"
exec 9<"$T/lk/smd"	# this shell holds the lock a restore takes
flock -n 9 || fail "cannot lock $T/lk/smd"
run_ss "$T/o" "$T/e" smd restore "$T/b.tar" --work-dir "$T/lk"
expect_rc 2
exec 9<&-
grep -q "is locked by another shadowsync smd restore" "$T/e" || fail "$(cat "$T/e")"
[ -z "$(ls -A "$T/lk/smd")" ] || fail "written while locked"
exit 0
