# The benchmark report cannot lose a section silently: every case of
# bench/cases.sh has a script and a note with one @TABLE@, every note is a
# case, every bench script is a case (or the harness), and plot.sh
# declares the pictures the issue lists. Then, on a fake bench/out/
# (a marked table for each case, made-up curves): plot.sh draws every
# picture it declares, and results.sh fills every @TABLE@ with its case's
# table, links every picture under its case, names the machine and the
# run's load, and says "not run" for a case without a table. Nothing here
# runs a benchmark.
. "$(dirname "$0")/../lib.sh"
need_cmd gnuplot awk
B=$TOP/bench
. "$B/cases.sh"
[ -n "$BENCH_CASES" ] || fail "bench/cases.sh lists no case"

for c in $BENCH_CASES; do
	[ -f "$B/$c.sh" ] || fail "case $c has no bench/$c.sh"
	[ -f "$B/notes/$c.md" ] || fail "case $c has no bench/notes/$c.md"
	[ "$(grep -cx '@TABLE@' "$B/notes/$c.md")" = 1 ] ||
		fail "bench/notes/$c.md has not exactly one @TABLE@ line"
done
for n in "$B"/notes/*.md; do
	c=$(basename "$n" .md)
	case " $BENCH_CASES " in *" $c "*) ;; *) fail "bench/notes/$c.md is no case of bench/cases.sh" ;; esac
done
for s in "$B"/*.sh; do
	c=$(basename "$s" .sh)
	case " $BENCH_CASES lib run plot results cases " in
	*" $c "*) ;;
	*) fail "bench/$c.sh is no case of bench/cases.sh: make bench would not run it" ;;
	esac
done

# The pictures: the issue's six, each under a case that exists.
bash "$B/plot.sh" --list >"$T/pics" || fail "plot.sh --list: $(cat "$T/pics")"
for p in size_time size_rss pairs_time qd_throughput restore_conns size_ratio sparse_time sparse_rss; do
	grep -q " $p.png " "$T/pics" || fail "plot.sh does not draw $p.png: $(cat "$T/pics")"
done
while read -r c png _; do
	case " $BENCH_CASES " in *" $c "*) ;; *) fail "$png belongs to no case ($c)" ;; esac
done <"$T/pics"

# A fake out/: each case's table marked, curves of plausible numbers
# (the columns each script writes; see the header line of each .dat).
O=$T/out
mkdir -p "$O" "$T/png"
for c in $BENCH_CASES; do
	printf '### the table of %s\n\n| a | b |\n|---|---|\n| FAKE-TABLE-%s | 1 |\n' "$c" "$c" >"$O/$c.md"
done
for x in 32 64 128; do
	echo "$x $((x / 32)) $((x / 30)).5 1.2 1.1 0.9 1.0 66 65 64"
done >"$O/size.dat"
for x in 1 2 4 8; do echo "$x 0.5 0.4 0.6 0.5 1.5 0.3 75 74 76"; done >"$O/sparse.dat"
for x in 1 2 4 8; do echo "$x 1.$x 70"; done >"$O/pairs.dat"
for x in 1 16 64; do echo "$x $((x * 10)) $((x * 9)) $((x * 8)) $([ $x = 1 ] && echo 40 || echo NaN)"; done >"$O/qd.dat"
for x in 1 2 4 8 16 32; do echo "$x $((x * 2)) $((x * 2)) 1.5 1.4"; done >"$O/restore_conns.dat"
for x in 8 16 32; do echo "$x $((x * 7)) $((x * 14))"; done >"$O/ebs_conns.dat"
printf '0.50 0.60 0.70\n1.50 1.20 0.90\n' >"$O/run.times"
for c in $BENCH_CASES; do echo "$c 3 1"; done >>"$O/run.times"

OUT=$O PNG=$T/png bash "$B/plot.sh" >"$T/plot.out" 2>&1 || fail "plot.sh: $(cat "$T/plot.out")"
while read -r c png _; do
	[ "$(head -c 4 "$T/png/$png" 2>/dev/null | od -An -tx1 | tr -d ' ')" = 89504e47 ] ||
		fail "plot.sh did not draw $png: $(cat "$T/plot.out")"
done <"$T/pics"

OUT=$O DST=$T/RESULTS.md bash "$B/results.sh" 2>"$T/err" || fail "results.sh: $(cat "$T/err")"
R=$T/RESULTS.md
! grep -q '@TABLE@' "$R" || fail "an @TABLE@ left in RESULTS.md"
for c in $BENCH_CASES; do
	[ "$(grep -c "FAKE-TABLE-$c " "$R")" = 1 ] || fail "the table of $c is not in RESULTS.md once"
	# the note's own first line (its heading) and the table after it
	h=$(head -1 "$B/notes/$c.md")
	awk -v h="$h" -v t="FAKE-TABLE-$c " '$0 == h { seen = 1 } seen && index($0, t) { ok = 1 } END { exit !ok }' "$R" ||
		fail "the table of $c is not under its note's heading ($h)"
done
# Each picture linked once, after its case's table and before the next case's.
order=($BENCH_CASES)
while read -r c png _; do
	[ "$(grep -cF "]($png)" "$R")" = 1 ] || fail "$png is not linked once in RESULTS.md"
	next=
	for i in "${!order[@]}"; do
		[ "${order[$i]}" = "$c" ] && next=${order[$((i + 1))]:-}
	done
	awk -v t="FAKE-TABLE-$c " -v p="]($png)" -v n="FAKE-TABLE-$next " \
		'index($0, t) { a = NR } index($0, p) { b = NR } n != "FAKE-TABLE- " && index($0, n) { e = NR }
		END { exit !(a && b > a && (!e || b < e)) }' "$R" ||
		fail "$png is not linked under its case $c"
done <"$T/pics"
grep -q '^- machine: .*, [0-9]* CPUs, ' "$R" || fail "no machine line: $(head -12 "$R")"
grep -q '^- kernel: .*disk under the benchmark files: ' "$R" || fail "no kernel and disk line"
grep -q '^- generated: 20' "$R" || fail "no date"
grep -q "^- run: $((3 * $(echo $BENCH_CASES | wc -w))) s in all, $(echo $BENCH_CASES | wc -w) s of it dropping the page cache .*load average (1, 5, 15 min) 0.50 0.60 0.70 at the start, 1.50 1.20 0.90 at the end" "$R" ||
	fail "no run line with the load: $(grep '^- run' "$R")"

# A case that did not run says so; the others are still there.
rm "$O/qd.md"
OUT=$O DST=$T/R2.md bash "$B/results.sh" 2>"$T/err" || fail "results.sh without qd: $(cat "$T/err")"
grep -qF '(not run: no bench/out/qd.md)' "$T/R2.md" || fail "a missing table is not said"
[ "$(grep -c 'FAKE-TABLE-' "$T/R2.md")" = $(($(echo $BENCH_CASES | wc -w) - 1)) ] ||
	fail "a missing table lost other sections"

# The committed RESULTS.md is generated: no @TABLE@ left, every picture
# it links is in bench/.
! grep -q '@TABLE@' "$B/RESULTS.md" || fail "bench/RESULTS.md holds an @TABLE@"
for png in $(grep -o '](\([a-z_]*\.png\))' "$B/RESULTS.md" | tr -d '()]'); do
	[ -f "$B/$png" ] || fail "bench/RESULTS.md links $png, which is not in bench/"
done
exit 0
