#!/bin/bash
# bench/plot.sh - draw the curves of out/*.dat as PNGs in bench/ with
# gnuplot (Debian gnuplot-nox). A missing .dat (its case did not run) is
# skipped with a line saying so.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$TOP/bench/out}
PNG=${PNG:-$TOP/bench}
command -v gnuplot >/dev/null || { echo "bench: gnuplot missing (apt-get install gnuplot-nox)" >&2; exit 2; }
term="set terminal pngcairo size 800,500 noenhanced font ',10'; set grid; set key top left"
command -v gnuplot >/dev/null && gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo ||
	term="set terminal png size 800,500; set grid; set key top left"
plot() {	# plot DAT PNG GNUPLOT-COMMANDS
	[ -s "$OUT/$1" ] || { echo "bench: no $OUT/$1 (case not run): $2 not drawn" >&2; return 0; }
	gnuplot -e "$term; set output '$PNG/$2'; $3" || { echo "bench: gnuplot failed on $2" >&2; return 1; }
	echo "bench: drew bench/$2" >&2
}
st=0
d=$OUT/size.dat
plot size.dat size_time.png "set title 'Wall time against size'; set xlabel 'MiB'; set ylabel 'seconds';
	plot '$d' u 1:2 w lp t 'verify', '' u 1:3 w lp t 'fio pair read', '' u 1:4 w lp t 'hash',
	'' u 1:5 w lp t 'xxhsum -H2', '' u 1:6 w lp t 'warm', '' u 1:7 w lp t 'fio warm recipe'" || st=1
plot size.dat size_rss.png "set title 'Peak RSS against size'; set xlabel 'MiB'; set ylabel 'MiB'; set yrange [0:*];
	plot '$d' u 1:8 w lp t 'verify', '' u 1:9 w lp t 'hash', '' u 1:10 w lp t 'warm'" || st=1
plot size.dat size_ratio.png "set title 'Ratio of each command to its peer (time)'; set xlabel 'MiB';
	set ylabel 'ratio'; set yrange [0:*];
	plot '$d' u 1:(\$2/\$3) w lp t 'verify / fio pair', '' u 1:(\$4/\$5) w lp t 'hash / xxhsum',
	'' u 1:(\$6/\$7) w lp t 'warm / fio recipe', 1 w l dt 2 t ''" || st=1
plot pairs.dat pairs_time.png "set title 'verify --config: wall time against pairs of slow devices';
	set xlabel 'pairs'; set ylabel 'seconds'; set yrange [0:*]; set logscale x 2;
	plot '$OUT/pairs.dat' u 1:2 w lp t 'verify --config'" || st=1
plot qd.dat qd_throughput.png "set title 'Throughput against queue depth, slow device';
	set xlabel 'queue depth'; set ylabel 'MiB/s'; set logscale x 2; set yrange [0:*];
	plot '$OUT/qd.dat' u 1:2 w lp t 'warm io_uring', '' u 1:3 w lp t 'warm libaio',
	'' u 1:4 w lp t 'fio libaio', '' u 1:5 w p pt 7 ps 1.5 t 'warm psync (depth 1)'" || st=1
plot restore_conns.dat restore_conns.png "set title 'restore from a rate-limited HTTP server';
	set xlabel 'connections'; set ylabel 'MiB/s'; set logscale x 2; set yrange [0:*];
	plot '$OUT/restore_conns.dat' u 1:2 w lp t 'restore', '' u 1:3 w lp t 'curl (one stream)'" || st=1
plot ebs_conns.dat ebs_conns.png "set title 'restore ebs:// against connections (20 ms a GetSnapshotBlock, 1000/s cap)';
	set xlabel 'connections'; set ylabel 'MiB/s'; set y2label 'requests/s'; set logscale x 2; set yrange [0:*];
	set y2range [0:*]; set ytics nomirror; set y2tics;
	plot '$OUT/ebs_conns.dat' u 1:2 w lp t 'MiB/s', '' u 1:3 axes x1y2 w lp t 'requests/s'" || st=1
exit $st
