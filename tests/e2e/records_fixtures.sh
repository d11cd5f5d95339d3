# inspect --records on the real 8.1 images: the figures and the
# `read complete` lines of shared/AEROSPIKE-RECORDS.md section 6 (the real
# server logged the same), 20,000 objects in the namespace; then one
# flipped LUT byte on local a (load-local: asd reads it as it is) is one
# record asd will skip with "bad end marker", and a zeroed first magic
# hides the whole write-block.
. "$(dirname "$0")/../lib.sh"
need_cmd jq
fixtures "$T/fx"
PY=/usr/bin/python3
schema() { $PY -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" inspect "$1" || fail "schema: $1"; }
sed "s|@DATA@|$T/fx|g; s|@RUN@|$T|g; s|@LOG@|$T|g" \
	"$TOP/tests/fixtures/aerospike-8.1-clean/aerospike.conf" >"$T/as.conf"

run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --json
expect_rc 0 "$(cat "$T/err")"
schema "$T/out"
expect_json "$T/out" '[.devices[].records.read_complete]' \
	"[\"device $T/fx/ns1-a.dat: read complete: UNIQUE 10060 (REPLACED 3) (OLDER 0) (EXPIRED 0) (EVICTED 0) (UNPARSABLE 0) records\",\"device $T/fx/ns1-b.dat: read complete: UNIQUE 9940 (REPLACED 7) (OLDER 0) (EXPIRED 0) (EVICTED 0) (UNPARSABLE 0) records\"]"
expect_json "$T/out" '[.devices[].records.sweep | [.read_wblocks, .used_wblocks, .stop_wblock, .pristine_offset_bytes]]' \
	'[[11,1,12,16777216],[11,1,12,16777216]]'
expect_json "$T/out" .namespaces[0].objects 20000
expect_json "$T/out" '.devices[0].records.last_update | [.oldest_utc, .newest_utc]' \
	'["2026-11-27 07:14:52.347 UTC","2026-11-27 07:14:54.120 UTC"]'
expect_json "$T/out" .namespaces[0].consistency.in_step true

# The shadows alone, as DEVICEs: the same records.
run_ss "$T/out" "$T/err" inspect "$T/fx/ns1-a.shadow" "$T/fx/ns1-b.shadow" --records
expect_rc 0
grep -c '^  records        10063 read: UNIQUE 10060, REPLACED 3, OLDER 0' "$T/out" | qgrep -x 1 || fail "$(cat "$T/out")"
grep -q '^  sets           s1 9947$' "$T/out" || fail "$(cat "$T/out")"

# One flipped LUT byte in local a's first record.
W=8388608
put_byte "$T/fx/ns1-a.dat" $((W + 28)) $(printf %02x $(( $(byte_at "$T/fx/ns1-a.dat" $((W + 28))) ^ 1 )))
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --json
expect_rc 1
schema "$T/out"
expect_json "$T/out" '[.alarms[].code]' '["records-unparsable"]'
expect_json "$T/out" .devices[0].records.unparsable_by '{"bad-end-marker":1}'
expect_json "$T/out" .devices[0].records.first_unparsable.message \
	'"bad end marker for 20986fdd806e50e07c4a58dfc07e5d5200dc44e0"'
# A zeroed first magic: the write-block reads as unused, its records hidden.
put_byte "$T/fx/ns1-b.dat" $W 00
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --json
expect_rc 1
expect_json "$T/out" '.devices[1].records | [.records_seen, .hidden.by_bad_first_magic, .sweep.read_wblocks, .sweep.pristine_offset_bytes]' \
	"[0,9946,10,$W]"
expect_json "$T/out" '[.alarms[].code]' '["records-unparsable","records-hidden"]'
exit 0
