#!/bin/bash
# scripts/mutate.sh - `make mutate`: mutation testing. For each mutant in
# tests/mutate/mutants.tsv (one small bug), build a copy of the tree with
# the bug planted and run the tests expected to catch it; MUTATE_FULL=1
# runs the whole suite against every mutant instead (hours). A mutant no
# test catches is a hole in the suite: the script then exits 1.
# MUTANTS=id,id runs only those. Needs root, as make test does.
set -u
unset SS	# the tests must run the mutant's binary
cd "$(dirname "$0")/.." || exit 2
TOP=$PWD
WORK=${MUTATE_DIR:-/var/tmp/ss-mutate}
LIST=tests/mutate/mutants.tsv
PY=/usr/bin/python3
rm -rf "$WORK"
mkdir -p "$WORK/tree" || exit 2
# A clean copy of what git tracks (what a clean clone holds), built once.
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$WORK/tree" || exit 2
(cd "$WORK/tree" && make -s -j"$(nproc)" all unit >"$WORK/build.log" 2>&1) ||
	{ echo "mutate: the unmutated tree does not build (see $WORK/build.log)" >&2; exit 2; }

# apply FILE FIND REPLACE: replace the one occurrence (escapes decoded).
apply() {
	$PY - "$1" "$2" "$3" <<'PYEOF'
import sys
path, find, repl = sys.argv[1:4]
dec = lambda s: s.encode().decode("unicode_escape")
text = open(path).read()
n = text.count(dec(find))
if n != 1:
    sys.exit(f"mutate: {path}: the text to mutate occurs {n} times")
open(path, "w").write(text.replace(dec(find), dec(repl)))
PYEOF
}

survived=0 total=0
printf '%-26s %-9s %s\n' mutant result "caught by (of the tests run)"
while IFS=$'\t' read -r id file find repl tests desc; do
	case "$id" in ''|'#'*) continue ;; esac
	[ -n "${MUTANTS:-}" ] && case ",$MUTANTS," in *",$id,"*) ;; *) continue ;; esac
	total=$((total + 1))
	cp "$WORK/tree/$file" "$WORK/orig"
	if ! apply "$WORK/tree/$file" "$find" "$repl"; then
		printf '%-26s %-9s %s\n' "$id" BROKEN "the mutation no longer applies"
		survived=$((survived + 1))
		continue
	fi
	caught=""
	if ! (cd "$WORK/tree" && make -s -j"$(nproc)" all unit >"$WORK/$id.build" 2>&1); then
		# A mutant that does not build tests nothing: fix the mutant.
		printf '%-26s %-9s %s\n' "$id" BROKEN "does not build (see $WORK/$id.build)"
		survived=$((survived + 1))
		cp "$WORK/orig" "$WORK/tree/$file"
		continue
	elif [ "${MUTATE_FULL:-}" = 1 ]; then
		(cd "$WORK/tree" && sh tests/run.sh >"$WORK/$id.log" 2>&1)
		caught=$(sed -n 's/^FAIL  \([^ ]*\).*/\1/p' "$WORK/$id.log" | tr '\n' ' ')
	else
		for t in ${tests//,/ }; do
			(cd "$WORK/tree" && T=$t sh tests/run.sh >>"$WORK/$id.log" 2>&1) ||
				caught="$caught$t "
		done
	fi
	if [ -n "$caught" ]; then
		printf '%-26s %-9s %s\n' "$id" caught "$caught"
	else
		printf '%-26s %-9s %s\n' "$id" SURVIVED "$desc (ran: $tests)"
		survived=$((survived + 1))
	fi
	cp "$WORK/orig" "$WORK/tree/$file"
done <"$LIST"
echo "$((total - survived)) of $total mutants caught${MUTATE_FULL:+ (whole suite each)}"
[ $survived = 0 ]
