#!/bin/bash
# bench/records.sh - inspect --records against warm on the same 4 GiB
# device full of records (tests/tools/mkrecords): both read every byte
# once at the same queue depth, inspect also replays asd's cold start
# on every record (parse, end mark, digest index). Target: <= 1.15x warm.
# Peak RSS is reported with the record count (the digest index grows
# with it: 24 bytes a record logged, 24 an object kept). The machine is
# shared: the load average is given, and each round's own ratio (the
# two runs of a round are next to each other in time).
. "$(dirname "$0")/lib.sh"
SIZE=${SIZE:-$((4 << 30))}
A=$BENCH_DIR/records.img
RESULTS=$OUT/records.times
MKAERO=$TOP/build/tests/tools/mkaero
MKREC=$TOP/build/tests/tools/mkrecords
: >"$RESULTS"
[ -x "$MKREC" ] || die "$MKREC not built (make unit)"
# Records of 80 to 256 bytes: about 23 million in 4 GiB.
N=${N:-$(( (SIZE - (8 << 20)) / 184 ))}
if [ ! -f "$A" ] || [ ! -f "$A.done" ] || [ "$(cat "$A.done")" != "$SIZE $N" ]; then
	echo "bench: writing $A ($N records)" >&2
	rm -f "$A" "$A.done"
	"$MKAERO" "$A" --size $SIZE --pmeta 4096 --flags TRUSTED --namespace bench >/dev/null || die mkaero
	"$MKREC" "$A" --records "$N" --sets 4 --expire-every 7 >/dev/null || die mkrecords
	echo "$SIZE $N" >"$A.done"
fi

run_warm() { timed warm 0 "$SS" warm "$A"; }
run_records() { timed inspect_records 0 "$SS" inspect "$A" --records; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rounds run_warm run_records
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
"$SS" inspect "$A" --records --json >"$BENCH_DIR/records.json" || die "inspect --records failed"
seen=$(jq .devices[0].records.records_seen "$BENCH_DIR/records.json")
[ "$seen" = "$N" ] || die "inspect saw $seen records, wrote $N"

warm=$(median warm)
{
	echo "### inspect --records against warm, one $((SIZE >> 20)) MiB device of $N records"
	echo
	echo "$(host_line)"
	echo
	echo "| tool | median wall s | ratio to warm | peak RSS MiB |"
	echo "|---|---|---|---|"
	for n in warm inspect_records; do
		m=$(median $n)
		printf '| %s | %.2f | %s | %.1f |\n' "$n" "$m" "$(ratio "$m" "$warm")" \
			"$(awk -v k="$(max_rss $n)" 'BEGIN { print k / 1024 }')"
	done
	echo
	echo "Load average (1, 5, 15 min) before the runs: $load_before; after: $load_after."
	echo "Each round's inspect --records / warm: $(awk '$1 == "warm" { w[++nw] = $2 } $1 == "inspect_records" { r[++nr] = $2 }
		END { for (i = 1; i <= nr && i <= nw; i++) printf "%s%.2f", (i > 1 ? ", " : ""), r[i] / w[i] }' "$RESULTS")."
	echo
	echo "inspect --records / warm = $(ratio "$(median inspect_records)" "$warm") (target <= 1.15);" \
		"$N records, peak RSS $(awk -v k="$(max_rss inspect_records)" -v n="$N" 'BEGIN { printf "%.1f MiB, %.1f bytes a record", k / 1024, k * 1024 / n }')"
} | tee "$OUT/records.md"
