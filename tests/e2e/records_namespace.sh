# inspect --config --records at size: two devices of one namespace, each
# with a shadow, full of records written by tests/tools/mkrecords (three
# sets, records that expire, expired ones, 20,000 keys on both devices
# with a newer copy on the second): per device asd's counts and its
# `read complete` line, per namespace the objects after the conflict
# rule, per set; a used write-block past the sweep's stop is a WARNING
# (records lost), and so are snapshots whose newest writes are further
# apart than --max-skew. Every report is held to the schema.
. "$(dirname "$0")/../lib.sh"
need_mkaero
need_cmd jq
MKREC=$TOP/build/tests/tools/mkrecords
[ -x "$MKREC" ] || fail "$MKREC not built (make unit)"
PY=/usr/bin/python3
schema() { $PY -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" inspect "$1" || fail "schema: $1"; }

N=300000 D=20000 E=10 X=50 LUT=500000000000
for d in a b; do
	id=$([ $d = a ] && echo 0 || echo 1)
	"$MKAERO" "$T/$d.dat" --size 512M --pmeta 4096 --flags TRUSTED \
		--namespace ns1 --n-devices 2 --device-id $id --random 77 || fail mkaero
done
"$MKREC" "$T/a.dat" --records $N --sets 3 --expire-every $E --expired-every $X \
	--lut $LUT >/dev/null || fail mkrecords
# b: keys N-D .. 2N-D-1, one second later: the D shared keys are newer.
"$MKREC" "$T/b.dat" --records $N --first-key $((N - D)) --sets 3 \
	--expire-every $E --expired-every $X --lut $((LUT + 1000)) >/dev/null || fail mkrecords
cp "$T/a.dat" "$T/a.shadow"; cp "$T/b.dat" "$T/b.shadow"
cat >"$T/as.conf" <<CONF
namespace ns1 {
	storage-engine device {
		file $T/a.dat $T/a.shadow
		file $T/b.dat $T/b.shadow
		filesize 512M
	}
}
CONF

# What asd will count, from the generator's rules (keys, not records).
count() { # count FROM TO: keys in [FROM, TO) not expired
	echo $(( ($2 - $1) - ( ($2 - 1) / X - ($1 - 1) / X ) ))
}
a_unique=$(count 1 $N); a_unique=$((a_unique + 0))	# key 0 is expired (0 % X)
a_expired=$((N - a_unique))
b_replaced=$(count $((N - D)) $N)
b_unique=$(count $N $((2 * N - D)))
b_expired=$((N - b_replaced - b_unique))
objects=$((a_unique + b_unique))

run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --json
expect_rc 0 "$(cat "$T/err")"
schema "$T/out"
expect_json "$T/out" '[.devices[].read]' '["local","local"]'
expect_json "$T/out" '[.devices[].cold_start.verdict]' '["load-local","load-local"]'
expect_json "$T/out" '.devices[0].records.outcomes | [.unique, .replaced, .older, .expired, .unparsable]' \
	"[$a_unique,0,0,$a_expired,0]"
expect_json "$T/out" '.devices[1].records.outcomes | [.unique, .replaced, .older, .expired, .unparsable]' \
	"[$b_unique,$b_replaced,0,$b_expired,0]"
expect_json "$T/out" .devices[1].records.read_complete \
	"\"device $T/b.dat: read complete: UNIQUE $b_unique (REPLACED $b_replaced) (OLDER 0) (EXPIRED $b_expired) (EVICTED 0) (UNPARSABLE 0) records\""
expect_json "$T/out" .namespaces[0].objects $objects
expect_json "$T/out" '[.namespaces[0].sets[].name]' '["set0","set1","set2"]'
expect_json "$T/out" '[.namespaces[0].sets[].objects] | add' $objects
expect_json "$T/out" '.devices[0].records.sets | map(.records) | add' $N
expect_json "$T/out" .devices[0].records.last_update.newest_lut $((LUT + 499))
expect_json "$T/out" .namespaces[0].consistency.skew_s 1
expect_json "$T/out" .namespaces[0].consistency.in_step true
expect_json "$T/out" '.namespaces[0].index_bytes_per_object < 65' true
expect_json "$T/out" '.devices[0].records.void_time.records > 0' true

# An index cap too small for the namespace's objects: an error, exit 2,
# naming the cap; no count is given as if complete. 4M (26 bytes a
# record: 161,319) stops the walk on the first device.
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --memory-index 4M
expect_rc 2
grep -q "the digest index would grow past --memory-index 4.0 MiB after 161319 records (0 objects of the devices before" "$T/err" ||
	fail "no cap error: $(cat "$T/err")"
grep -q "UNIQUE" "$T/out" && fail "a count despite the cap: $(cat "$T/out")"
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --memory-index 4M --json
expect_rc 2
schema "$T/out"
expect_json "$T/out" .namespaces[0].objects null
# 8M stops it on the second: the first device's counts are whole, the
# namespace's objects after dedup are not known (and not given).
objects_a=$a_unique
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --memory-index 8M
expect_rc 2
grep -q "the digest index would grow past --memory-index 8.0 MiB after [1-9][0-9]* records ($objects_a objects of the devices before, [1-9][0-9]* records of '$T/b.dat' read)" "$T/err" ||
	fail "no cap error on the second device: $(cat "$T/err")"
grep -q "read complete: UNIQUE $objects_a " "$T/out" || fail "no count for the first device: $(cat "$T/out")"
grep -q "^namespace ns1: objects after dedup not known: the records of $T/b.dat were not all read" "$T/out" ||
	fail "a namespace count despite the cap: $(cat "$T/out")"
grep -q "objects after dedup across" "$T/out" && fail "a namespace count despite the cap: $(cat "$T/out")"
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --memory-index 8M --json
expect_rc 2
schema "$T/out"
expect_json "$T/out" .namespaces[0].objects null
expect_json "$T/out" '.namespaces[0].sets | length' 0
expect_json "$T/out" .devices[0].records.outcomes.unique $objects_a
run_ss "$T/out" "$T/err" inspect "$T/a.dat" --memory-index 8M
expect_rc 2
grep -q 'go with --records' "$T/err" || fail "$(cat "$T/err")"

# The newest writes 1 s apart: out of step under --max-skew 0.5.
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --max-skew 0.5 --json
expect_rc 1
schema "$T/out"
expect_json "$T/out" '[.alarms[].code]' '["snapshots-out-of-step"]'
grep -q "^WARNING: the snapshots of namespace ns1 are out of step: the newest write on '$T/a.dat'" "$T/err" ||
	fail "no skew WARNING on stderr: $(cat "$T/err")"

# A used write-block past 10 unused ones: never read, its records lost.
last=$("$MKREC" "$T/a.dat" --records 1000 --first-key $((10 * N)) --start-wblock 40) || fail mkrecords
[ "$last" = 40 ] || fail "mkrecords wrote up to write-block $last"
run_ss "$T/out" "$T/err" inspect "$T/a.dat" --records
expect_rc 1
grep -q "^WARNING: asd will never read 1 used write-blocks of '$T/a.dat' from write-block 40 on" "$T/out" ||
	fail "no lost-records WARNING: $(cat "$T/out")"
grep -q "^  beyond stop    1 used write-blocks, 1000 records (never read)$" "$T/out" || fail "$(cat "$T/out")"
run_ss "$T/out" "$T/err" inspect "$T/a.dat" --records --json
expect_rc 1
schema "$T/out"
expect_json "$T/out" '.devices[0].records.beyond_stop' '{"used_wblocks":1,"first_wblock":40,"records":1000}'

# Bad uses: one clear line, exit 2.
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf"
expect_rc 2
grep -q 'go with --records' "$T/err" || fail "$(cat "$T/err")"
run_ss "$T/out" "$T/err" inspect "$T/a.dat" --config "$T/as.conf" --records
expect_rc 2
run_ss "$T/out" "$T/err" inspect "$T/a.dat" --records --max-skew -1
expect_rc 2
exit 0
