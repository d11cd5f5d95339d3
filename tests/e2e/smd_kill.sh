# A kill during smd restore leaves either the old or the new file under
# every name (issue 12, item 6), a mix only beside the mark of a restore
# that did not finish (which smd check and smd show report), and a second
# run finishes the job and removes the mark. strace
# slows each fsync, rename and unlink by 40 ms so that SIGKILLs sent at
# spread-out moments land while files are being staged and while they are
# being renamed into place; the test counts both kinds of landing and
# fails when either is missing (a test that proves it tested).
SS_OWN_PIDNS=1	# smd restore sees a fake asd of any other run (lib.sh)
. "$(dirname "$0")/../lib.sh"
need_cmd strace pgrep
MKSMD=$TOP/build/tests/tools/mksmd
[ -x "$MKSMD" ] || fail "$MKSMD not built (make unit)"
OLD=$T/old NEW=$T/new W=$T/wd
mkdir -p "$OLD/smd" "$NEW/smd"
for m in sindex truncate evict UDF; do
	"$MKSMD" "$OLD/smd/$m.smd" --module $m --items 30 --seed 1 --tid 3 || fail mksmd
	"$MKSMD" "$NEW/smd/$m.smd" --module $m --items 40 --seed 2 --tid 4 || fail mksmd
done
"$MKSMD" "$OLD/smd/roster.smd" --module generic --items 5 || fail mksmd	# removed
printf '[\n   [' >"$OLD/smd/XDR.smd.save"					# removed
"$MKSMD" "$NEW/smd/security.smd" --module generic --items 5 || fail mksmd	# installed
chmod 0600 "$OLD"/smd/* "$NEW"/smd/*
run_ss "$T/o" "$T/e" smd save --work-dir "$NEW" -o "$T/new.tar"
expect_rc 0 "$(cat "$T/e")"
names="UDF.smd evict.smd sindex.smd truncate.smd roster.smd security.smd XDR.smd.save"

# state: "old", "new" or "mixed"; fails when a name holds neither.
state() {
	local n o=0 w=0 s
	for n in $names; do
		s=none
		if [ ! -e "$W/smd/$n" ]; then
			[ ! -e "$OLD/smd/$n" ] && s=old
			[ ! -e "$NEW/smd/$n" ] && s=${s/none/new}
		else
			[ -e "$OLD/smd/$n" ] && cmp -s "$OLD/smd/$n" "$W/smd/$n" && s=old
			[ -e "$NEW/smd/$n" ] && cmp -s "$NEW/smd/$n" "$W/smd/$n" && s=new
		fi
		case $s in
		old) o=$((o + 1)) ;;
		new) w=$((w + 1)) ;;
		*) fail "after a kill '$n' holds neither its old nor its new bytes" ;;
		esac
	done
	[ $w = 0 ] && echo old && return
	[ $o = 0 ] && echo new && return
	echo mixed
}

slow_restore() {
	rm -rf "$W"
	mkdir -p "$W"
	cp -a "$OLD/smd" "$W/smd"
	traced -f -qq -o /dev/null -e trace=fsync,rename,renameat,renameat2,unlinkat \
		-e inject=fsync,rename,renameat,renameat2,unlinkat:delay_exit=40000 \
		"$SS" smd restore "$T/new.tar" --work-dir "$W" --force >"$T/k.out" 2>&1
}

# How long a whole slowed run takes here: the kills are spread over it.
start=$(date +%s%N)
slow_restore || fail "the slowed restore failed: $(cat "$T/k.out")"
took=$((($(date +%s%N) - start) / 1000000))
[ "$(state)" = new ] || fail "the slowed restore did not finish"
note "a slowed restore takes $took ms"
staged=0 mixed=0 kills=0 marked=0
MARK=$W/smd/.shadowsync-restore-incomplete
# kill_at MS: start a slowed restore, SIGKILL it MS ms in, judge what
# it left, and check that a second run finishes the job.
kill_at() {
	local ms=$1 tracer child st s t m
	slow_restore &
	tracer=$!
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	# $tracer is the subshell running slow_restore; strace is its
	# child, and shadowsync strace's.
	child=
	for st in $(pgrep -P $tracer); do child=$(pgrep -P "$st" | head -1); done
	[ -n "$child" ] && kill -KILL "$child" 2>/dev/null && kills=$((kills + 1))
	wait $tracer 2>/dev/null
	s=$(state) || exit 1
	t=$(ls -A "$W/smd" | grep -c 'shadowsync-tmp$')
	[ "$t" -gt 0 ] && [ "$s" = old ] && staged=$((staged + 1))
	[ "$s" = mixed ] && mixed=$((mixed + 1))
	m=clean
	[ -e "$MARK" ] && m=marked
	[ "$s" = mixed ] && [ $m = clean ] && fail "the kill at $ms ms left a mix without the mark"
	note "kill at ${ms} ms: $s, $t staged file(s) left, $m"
	if [ $m = marked ]; then
		marked=$((marked + 1))
		qgrep "^'$T/new.tar' (saved on .* at .*), begun at .* by pid [0-9]*$" "$MARK" ||
			fail "the mark: $(cat "$MARK")"
		run_ss "$T/c.json" "$T/e" smd check "$T/new.tar" "$W" --json
		expect_rc 1 "check of a marked directory"
		expect_json "$T/c.json" '.restore_incomplete | startswith("'"'$T/new.tar'"'")' true
		run_ss "$T/o" "$T/e" smd show "$W"
		expect_rc 1 "show of a marked directory"
		grep -q "^WARNING: an smd restore into '$W/smd' did not finish (the restore of '$T/new.tar'" "$T/o" ||
			fail "show: $(tail -2 "$T/o")"
	fi
	# The second run finishes the job, whatever the first left.
	run_ss "$T/r.json" "$T/e" smd restore "$T/new.tar" --work-dir "$W" --force --json
	expect_rc 0 "rerun after the kill at $ms ms: $(cat "$T/e")"
	[ "$(state)" = new ] || fail "the rerun after the kill at $ms ms did not finish"
	[ -e "$MARK" ] && fail "the rerun left the mark"
	expect_json "$T/r.json" .earlier_restore_incomplete $([ $m = marked ] && echo true || echo false)
	ls -A "$W/smd" | qgrep 'shadowsync-tmp$' && fail "the rerun left a temporary file"
	run_ss "$T/o" "$T/e" smd check "$T/new.tar" "$W"
	expect_rc 0 "check after the rerun: $(cat "$T/o")"
}
# 20 kills spread over a run; when too few landed while staging or while
# renaming (the shared machine's timing varies), up to two more rounds at
# the points between those.
for round in 0 1 2; do
	for k in $(seq 1 20); do
		kill_at $((took * (3 * k + round) / 63))
	done
	[ $staged -ge 2 ] && [ $mixed -ge 2 ] && break
done
note "$kills kills: $staged while staging, $mixed while renaming, $marked left the mark"
[ $staged -ge 2 ] || fail "only $staged kills landed while files were being staged"
[ $mixed -ge 2 ] || fail "only $mixed kills landed while files were being renamed"
[ $marked -ge $mixed ] || fail "only $marked of $mixed mixes were marked"
exit 0
