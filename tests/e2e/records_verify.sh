# verify and sync speak in records, on the real 8.1 images (ns1-a and its
# shadow, a clean shutdown: load-local). Damage planted on local's
# write-block 1; the expected counts come from the record offsets and
# digests read here by plain byte arithmetic (python), not from
# shadowsync: a flipped LUT byte is one record asd skips (bad end
# marker) and, the record's only copy, one the shadow holds that local
# will not give; a record size stretched over the next 5 records hides
# them; sync reports the same records, then verify finds none to report;
# a shadow that is not TRUSTED is read by asd: its view, no "not loaded".
. "$(dirname "$0")/../lib.sh"
need_cmd jq
fixtures "$T/fx"
PY=/usr/bin/python3
schema() { $PY -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" "$1" "$2" || fail "schema: $2"; }
L=$T/fx/ns1-a.dat S=$T/fx/ns1-a.shadow W=8388608 M=5

# K: a generation-1 record from the 100th on whose digest is nowhere else;
# its offset, the size bytes that stretch it over the next M records,
# and how many of records K..K+M have no copy outside that span.
read -r N K OFF FLAGS LOST <<<"$($PY - "$S" $W $M <<'PY'
import sys
path, W, M = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = open(path, "rb").read()[W:2 * W]
offs, at = [], 0
while at < W and b[at:at + 4] == b"\x01\xf2\x7a\x03":
    offs.append(at)
    at += ((int.from_bytes(b[at + 4:at + 8], "little") & 0x7FFFF) + 1) * 16
dig = [b[o + 8:o + 28] for o in offs]
k = next(i for i in range(100, len(offs))
         if b[offs[i] + 33:offs[i] + 35] == b"\x01\x00" and dig.count(dig[i]) == 1)
flags = int.from_bytes(b[offs[k] + 4:offs[k] + 8], "little")
size = offs[k + M + 1] - offs[k]
flags = (flags & ~0x7FFFF) | (size // 16 - 1)
outside = set(dig[:k] + dig[k + M + 1:])
lost = sum(1 for i in range(k, k + M + 1) if dig[i] not in outside)
print(len(offs), k, offs[k], flags.to_bytes(4, "little").hex(), lost)
PY
)"
[ "$N" = 10063 ] || fail "the independent walk found $N records, not 10063"

# A flipped LUT byte of record K on local.
flip "$L" $((W + OFF + 30))
run_ss "$T/out" "$T/err" verify "$L" "$S" --json
expect_rc 1
schema verify "$T/out"
expect_json "$T/out" '.pairs[0].records | [.copy, .wblocks, .unread_wblocks, .records, .differing, .unparsable]' \
	'["local",1,0,10063,1,1]'
expect_json "$T/out" .pairs[0].records.unparsable_by '{"bad-end-marker":1}'
expect_json "$T/out" .pairs[0].records.first_unparsable.offset_bytes $((W + OFF))
expect_json "$T/out" '.pairs[0].records.first_unparsable.message | test("^bad end marker for [0-9a-f]{40}$")' true
expect_json "$T/out" .pairs[0].records.hidden '{"by_bad_size":0,"by_bad_first_magic":0}'
expect_json "$T/out" .pairs[0].records.not_loaded_from_local 1
run_ss "$T/out" "$T/err" verify "$L" "$S"
expect_rc 1
grep -q "^  records: in the 1 differing write-block asd reads on local, 1 of 10063 records differ from the shadow's, 1 unparsable, 0 hidden" "$T/out" ||
	fail "no records line: $(cat "$T/out")"
grep -q "^    1 records on the shadow will not be loaded from local; unparsable: bad-end-marker 1 (the first at offset $((W + OFF)): bad end marker for " "$T/out" ||
	fail "no second records line: $(cat "$T/out")"

# sync --dry-run and sync report the same records (the pair before it
# wrote); afterwards verify matches and has no records to report.
run_ss "$T/out" "$T/err" sync "$L" "$S" --dry-run --json
expect_rc 1
schema sync "$T/out"
expect_json "$T/out" '.pairs[0].records | [.copy, .records, .unparsable, .not_loaded_from_local]' '["local",10063,1,1]'
run_ss "$T/out" "$T/err" sync "$L" "$S" --json
expect_rc 0 "$(cat "$T/err")"
schema sync "$T/out"
expect_json "$T/out" '.pairs[0].records | [.copy, .records, .unparsable, .not_loaded_from_local]' '["local",10063,1,1]'
run_ss "$T/out" "$T/err" verify "$L" "$S" --json
expect_rc 0
expect_json "$T/out" .pairs[0].records null

# Record K's size stretched over the next M records: asd skips K (extra
# rblocks) and jumps the M, hidden; the ones with no copy elsewhere are
# lost from local.
for i in 0 1 2 3; do
	put_byte "$L" $((W + OFF + 4 + i)) "${FLAGS:$((2 * i)):2}"
done
run_ss "$T/out" "$T/err" verify "$L" "$S" --json
expect_rc 1
schema verify "$T/out"
expect_json "$T/out" '.pairs[0].records | [.records, .differing, .unparsable, .hidden.by_bad_size]' \
	"[$((N - M)),1,1,$M]"
expect_json "$T/out" .pairs[0].records.unparsable_by '{"extra-rblocks":1}'
expect_json "$T/out" .pairs[0].records.not_loaded_from_local "$LOST"

# The shadow not TRUSTED (a crash): asd copies from it, so the report
# is the shadow's view: record K differs on local, nothing unparsable,
# and "not loaded from local" does not apply.
put_byte "$S" 56 00
run_ss "$T/out" "$T/err" verify "$L" "$S" --json
expect_rc 1
schema verify "$T/out"
expect_json "$T/out" .pairs[0].cold_start.verdict '"copy-from-shadow"'
expect_json "$T/out" '.pairs[0].records | [.copy, .records, .differing, .unparsable, .not_loaded_from_local]' \
	"[\"shadow\",$N,1,0,null]"
exit 0
