#!/bin/bash
# bench/plot.sh - draw the curves of out/*.dat as PNGs in bench/ with
# gnuplot (Debian gnuplot-nox). A missing .dat (its case did not run) is
# skipped with a line saying so. `plot.sh --list` prints the pictures it
# draws, "CASE PNG TITLE" a line, without drawing: results.sh links each
# one under its case, run.sh checks each was drawn.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$TOP/bench/out}
PNG=${PNG:-$TOP/bench}
LIST=0
[ "${1:-}" = --list ] && LIST=1
if [ $LIST = 0 ]; then
	command -v gnuplot >/dev/null || { echo "bench: gnuplot missing (apt-get install gnuplot-nox)" >&2; exit 2; }
	term="set terminal pngcairo size 800,500 noenhanced font ',10'; set grid; set key top left"
	gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo ||
		term="set terminal png size 800,500; set grid; set key top left"
fi
st=0
plot() {	# plot CASE DAT PNG TITLE GNUPLOT-COMMANDS
	if [ $LIST = 1 ]; then echo "$1 $3 $4"; return 0; fi
	[ -s "$OUT/$2" ] || { echo "bench: no $OUT/$2 (case not run): $3 not drawn" >&2; return 0; }
	gnuplot -e "$term; set output '$PNG/$3'; set title '$4'; $5" ||
		{ echo "bench: gnuplot failed on $3" >&2; st=1; return 0; }
	echo "bench: drew bench/$3" >&2
}
d=$OUT/size.dat
plot size size.dat size_time.png "Wall time against size" "set xlabel 'MiB'; set ylabel 'seconds'; set yrange [0:*];
	plot '$d' u 1:2 w lp t 'verify', '' u 1:3 w lp t 'fio pair read', '' u 1:4 w lp t 'hash',
	'' u 1:5 w lp t 'xxhsum -H2', '' u 1:6 w lp t 'warm', '' u 1:7 w lp t 'fio warm recipe'"
plot size size.dat size_rss.png "Peak RSS against size" "set xlabel 'MiB'; set ylabel 'MiB'; set yrange [0:*];
	plot '$d' u 1:8 w lp t 'verify', '' u 1:9 w lp t 'hash', '' u 1:10 w lp t 'warm'"
plot size size.dat size_ratio.png "Ratio of each command to its peer across sizes (time)" "set xlabel 'MiB';
	set ylabel 'ratio'; set yrange [0:*];
	plot '$d' u 1:(\$2/\$3) w lp t 'verify / fio pair', '' u 1:(\$4/\$5) w lp t 'hash / xxhsum',
	'' u 1:(\$6/\$7) w lp t 'warm / fio recipe', 1 w l dt 2 t ''"
d=$OUT/sparse.dat
plot sparse sparse.dat sparse_time.png "Sparse pairs: wall time against size" "set xlabel 'TiB'; set ylabel 'seconds';
	set yrange [0:*]; set logscale x 2;
	plot '$d' u 1:2 w lp t 'verify', '' u 1:3 w lp t 'tar+xxhsum, both', '' u 1:4 w lp t 'hash',
	'' u 1:5 w lp t 'tar+xxhsum', '' u 1:6 w lp t 'sync', '' u 1:7 w lp t 'cp --sparse=always + sync -d'"
plot sparse sparse.dat sparse_rss.png "Sparse pairs: peak RSS against size" "set xlabel 'TiB'; set ylabel 'MiB';
	set yrange [0:*]; set logscale x 2;
	plot '$d' u 1:8 w lp t 'verify', '' u 1:9 w lp t 'hash', '' u 1:10 w lp t 'sync'"
plot sparse sparse.dat sparse_ratio.png "Sparse pairs: ratio of each command to its peer (time)" "set xlabel 'TiB';
	set ylabel 'ratio'; set yrange [0:*]; set logscale x 2;
	plot '$d' u 1:(\$2/\$3) w lp t 'verify / tar+xxhsum', '' u 1:(\$4/\$5) w lp t 'hash / tar+xxhsum',
	'' u 1:(\$6/\$7) w lp t 'sync / cp', 1 w l dt 2 t ''"
plot pairs pairs.dat pairs_time.png "verify --config: wall time against pairs of slow devices" "
	set xlabel 'pairs'; set ylabel 'seconds'; set yrange [0:*]; set logscale x 2;
	plot '$OUT/pairs.dat' u 1:2 w lp t 'verify --config'"
plot qd qd.dat qd_throughput.png "Throughput against queue depth, slow device, per engine" "
	set xlabel 'queue depth'; set ylabel 'MiB/s'; set logscale x 2; set yrange [0:*];
	plot '$OUT/qd.dat' u 1:2 w lp t 'warm io_uring', '' u 1:3 w lp t 'warm libaio',
	'' u 1:4 w lp t 'fio libaio', '' u 1:5 w p pt 7 ps 1.5 t 'warm psync (depth 1)'"
plot restore_conns restore_conns.dat restore_conns.png "Restore throughput against connections (nginx limit_rate per connection)" "
	set xlabel 'connections'; set ylabel 'MiB/s'; set logscale x 2; set yrange [0:*];
	plot '$OUT/restore_conns.dat' u 1:2 w lp t 'restore', '' u 1:3 w lp t 'curl --parallel, the same ranges'"
plot ebs ebs_conns.dat ebs_conns.png "restore ebs:// against connections (20 ms a GetSnapshotBlock, 1000/s cap)" "
	set xlabel 'connections'; set ylabel 'MiB/s'; set y2label 'requests/s'; set logscale x 2; set yrange [0:*];
	set y2range [0:*]; set ytics nomirror; set y2tics;
	plot '$OUT/ebs_conns.dat' u 1:2 w lp t 'MiB/s', '' u 1:3 axes x1y2 w lp t 'requests/s'"
exit $st
