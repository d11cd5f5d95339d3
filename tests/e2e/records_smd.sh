# inspect --config --records and the node's SMD: records of a truncated
# set (or namespace) still on the devices come back at a CE cold start,
# counted per truncation over the objects the namespace ends with (a
# WARNING each); evict.smd's void-time makes the sweep count records as
# EVICTED (strictly below it; not in a set with disable-eviction true).
# Devices written by tests/tools/mkrecords (exact LUTs and void-times),
# SMD files in asd's own bytes (mksmd --rewrite: jansson with asd's
# flags), a bundle written by `smd save`. The expected figures come from
# a model of the rules here (python), key by key.
. "$(dirname "$0")/../lib.sh"
need_mkaero
need_cmd jq
MKREC=$TOP/build/tests/tools/mkrecords
MKSMD=$TOP/build/tests/tools/mksmd
[ -x "$MKREC" ] && [ -x "$MKSMD" ] || fail "test tools not built (make unit)"
PY=/usr/bin/python3
schema() { $PY -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" inspect "$1" || fail "schema: $1"; }

# a: keys 0..N-1, b: keys 0..D-1 again, 1 s newer. LUT = base + k % 500,
# set "set<k % 3>", void-time V when k % 10 == 0.
N=3000 D=400 L=500000000000 V=600000000
for d in a b; do
	"$MKAERO" "$T/$d.dat" --size 128M --pmeta 4096 --flags TRUSTED --namespace ns1 \
		--n-devices 2 --device-id $([ $d = a ] && echo 0 || echo 1) --random 77 || fail mkaero
done
"$MKREC" "$T/a.dat" --records $N --sets 3 --expire-every 10 --void-time $V --lut $L >/dev/null || fail mkrecords
"$MKREC" "$T/b.dat" --records $D --sets 3 --expire-every 10 --void-time $V --lut $((L + 1000)) >/dev/null ||
	fail mkrecords
mkdir -p "$T/wd" "$T/wd2/smd"
cat >"$T/as.conf" <<CONF
service {
	work-directory $T/wd
}
namespace ns1 {
	set set2 {
		disable-eviction true
	}
	storage-engine device {
		file $T/a.dat
		file $T/b.dat
	}
}
CONF

# smd FILE KEY=VALUE...: a module file as asd writes it (VALUE "null": a
# tombstone).
smd() {
	local out=$1
	shift
	$PY - "$T/smd.json" "$@" <<'PY' || fail "cannot write $T/smd.json"
import json, sys
items = [[69452243785700, 3]]
for i, kv in enumerate(sys.argv[2:]):
    k, v = kv.split("=", 1)
    items.append({"key": k, "value": None if v == "null" else v,
                  "generation": 1, "timestamp": 500000000000 + i})
open(sys.argv[1], "w").write(json.dumps(items, indent=3))
PY
	"$MKSMD" --rewrite "$T/smd.json" "$out" || fail "mksmd --rewrite $out"
}

# model NS_THR SET=THR,... EVICT: what asd ends with, as JSON: evicted per
# device, objects and records_back per set, records_back per truncation
# (the namespace's own first, then the sets' in the order given).
model() {
	$PY - "$@" <<PY
import json, sys
N, D, L, V = $N, $D, $L, $V
ns_thr = int(sys.argv[1])
sets = [(s.split("=")[0], int(s.split("=")[1])) for s in sys.argv[2].split(",") if s]
evict = int(sys.argv[3])
set_thr = dict(sets)
objs, evicted = {}, [0, 0]
for dev, (keys, base) in enumerate([(range(N), L), (range(D), L + 1000)]):
    for k in keys:
        lut, s, vt = base + k % 500, "set%d" % (k % 3), V if k % 10 == 0 else 0
        if vt and evict > vt and s != "set2":
            evicted[dev] += 1
            objs.pop(k, None)
            continue
        objs[k] = (lut, s)
def older(lut, s):
    return lut < ns_thr or lut < set_thr.get(s, 0)
out = {"evicted": evicted, "objects": len(objs),
       "sets": {s: [sum(1 for l, t in objs.values() if t == s),
                    sum(1 for l, t in objs.values() if t == s and older(l, t))]
                for s in ("set0", "set1", "set2")},
       "back": sum(1 for l, t in objs.values() if older(l, t)),
       "truncations": ([sum(1 for l, t in objs.values() if l < ns_thr)] if ns_thr else []) +
                      [sum(1 for l, t in objs.values() if t == s and l < thr) for s, thr in sets]}
print(json.dumps(out, separators=(",", ":"), sort_keys=True))
PY
}

# check OUT MODEL: the report's figures are the model's.
check() {
	local got
	got=$(jq -cS '{evicted: [.devices[].records.outcomes.evicted],
		objects: .namespaces[0].objects,
		sets: (.namespaces[0].sets | map({(.name): [.objects, .records_back]}) | add),
		back: .namespaces[0].records_back,
		truncations: [.namespaces[0].truncations[] | select(.set != "") | .records_back]}' "$1") ||
		fail "bad report $1"
	[ "$got" = "$2" ] || fail "the report says $got, the model $2"
}

# 1. No smd/ in the work directory: nothing known, nothing evicted, exit 0.
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --json
expect_rc 0 "$(cat "$T/err")"
schema "$T/out"
expect_json "$T/out" .smd "{\"source\":\"$T/wd/smd\",\"kind\":\"directory\",\"found\":false,\"restore_unfinished\":false,\"files\":[]}"
expect_json "$T/out" .namespaces[0].truncations '[]'
expect_json "$T/out" .namespaces[0].evict_void_time null
check "$T/out" "$(model 0 "" 0)"
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records
expect_rc 0
grep -q "^smd: $T/wd/smd (the conf's work directory): no such directory: no truncation or evict void-time is known$" "$T/out" ||
	fail "no smd line: $(cat "$T/out")"
# An empty smd/: found, no files.
mkdir "$T/wd/smd"
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --json
expect_rc 0
expect_json "$T/out" '.smd | [.found, .files]' '[true,[]]'

# 2. A set's truncation, the namespace's own, and items that truncate
# nothing of ns1: another namespace's, a truncate-undo (tombstone), an
# empty set name. evict.smd: ns1's void-time one second past V.
smd "$T/wd/smd/truncate.smd" "ns1|set1=$((L + 250))" "ns1=$((L + 100))" "ns9|set1=$((L + 499))" \
	"ns1|set0=null" "ns1|=$((L + 499))"
smd "$T/wd/smd/evict.smd" "ns9=$((V + 100))" "ns1=$((V + 1))"
want=$(model $((L + 100)) "set1=$((L + 250))" $((V + 1)))
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --json
expect_rc 1 "$(cat "$T/err")"
schema "$T/out"
check "$T/out" "$want"
expect_json "$T/out" '[.alarms[].code]' '["records-come-back","records-come-back"]'
expect_json "$T/out" '[.namespaces[0].truncations[] | [.set, .threshold_lut]]' \
	"[[null,$((L + 100))],[\"set1\",$((L + 250))],[\"\",$((L + 499))]]"
expect_json "$T/out" '.namespaces[0].truncations[2].records_back' 0
expect_json "$T/out" '.namespaces[0] | [.evict_void_time, .evict_void_time_utc]' \
	"[$((V + 1)),\"$(date -u -d @$((1262304000 + V + 1)) '+%Y-%m-%d %H:%M:%S').000 UTC\"]"
ev=$(jq '.namespaces[0].evicted' "$T/out")
[ "$ev" -gt 0 ] && [ "$ev" = "$(jq '[.devices[].records.outcomes.evicted] | add' "$T/out")" ] ||
	fail "evicted $ev"
grep -q "(EVICTED $(jq '.devices[0].records.outcomes.evicted' "$T/out")) " <<<"$(jq -r '.devices[0].records.read_complete' "$T/out")" ||
	fail "read complete: $(jq -r '.devices[0].records.read_complete' "$T/out")"
expect_json "$T/out" '.smd.files' \
	'[{"name":"truncate.smd","fate":"loads","errors":0,"warnings":0},{"name":"evict.smd","fate":"loads","errors":0,"warnings":0}]'
# The text report: a WARNING per truncation with records back, naming the
# command that truncates again (lut in Unix nanoseconds).
back1=$(jq '.namespaces[0].truncations[1].records_back' "$T/out")
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records
expect_rc 1
grep -q "^WARNING: $back1 objects of set set1 in namespace ns1 on the devices are older than its truncation (last update before 2025-11-05 00:53:20.250 UTC) and come back at cold start: .*; next: once asd is up, truncate again at the same threshold: asinfo -v 'truncate:namespace=ns1;set=set1;lut=1762304000250000000'$" "$T/out" ||
	fail "no set WARNING: $(cat "$T/out")"
grep -q "^WARNING: [0-9]* objects of namespace ns1 on the devices .*asinfo -v 'truncate-namespace:namespace=ns1;lut=1762304000100000000'$" "$T/out" ||
	fail "no namespace WARNING: $(cat "$T/out")"
grep -q "^  evict          void-time .* (evict.smd): $ev records EVICTED at cold start$" "$T/out" || fail "$(cat "$T/out")"
grep -q "^  truncated      set set1, last update before 2025-11-05 00:53:20.250 UTC: $back1 objects older come back$" "$T/out" ||
	fail "$(cat "$T/out")"
grep -q "^WARNING: .*set1" "$T/err" || fail "the WARNINGs are not on stderr too"

# 3. The evict void-time equal to the records' void-time: asd drops below
# it, strictly; nothing is evicted. No truncation of the namespace itself.
smd "$T/wd/smd/evict.smd" "ns1=$V"
smd "$T/wd/smd/truncate.smd" "ns1|set1=$((L + 250))" "ns1|set2=$((L + 10))"
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --json
expect_rc 1
schema "$T/out"
check "$T/out" "$(model 0 "set1=$((L + 250)),set2=$((L + 10))" $V)"
expect_json "$T/out" '.namespaces[0].evicted' 0

# 4. A set with disable-eviction keeps its records (the model spares
# set2); without it, set2's are evicted too.
smd "$T/wd/smd/evict.smd" "ns1=$((V + 1))"
sed 's/disable-eviction true/disable-eviction false/' "$T/as.conf" >"$T/as2.conf"
run_ss "$T/out" "$T/err" inspect --config "$T/as2.conf" --records --json
expect_rc 1
a_ev=$(jq '.devices[0].records.outcomes.evicted' "$T/out")
[ "$a_ev" = 300 ] || fail "without disable-eviction, $a_ev of device a's 300 records with a void-time evicted"
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --json
expect_rc 1
check "$T/out" "$(model 0 "set1=$((L + 250)),set2=$((L + 10))" $((V + 1)))"

# 5. --smd: a bundle (or another directory) instead of the work directory's.
smd "$T/wd2/smd/truncate.smd" "ns1|set0=$((L + 400))"
run_ss "$T/out" "$T/err" smd save --work-dir "$T/wd2" -o "$T/b.smdb"
expect_rc 0 "$(cat "$T/err")"
for src in "$T/b.smdb" "$T/wd2" "$T/wd2/smd"; do
	run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --smd "$src" --json
	expect_rc 1 "$(cat "$T/err")"
	schema "$T/out"
	check "$T/out" "$(model 0 "set0=$((L + 400))" 0)"
	expect_json "$T/out" '[.namespaces[0].truncations[].set]' '["set0"]'
done
expect_json "$T/out" '.smd | [.source, .kind]' "[\"$T/wd2/smd\",\"directory\"]"
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --smd "$T/b.smdb" --json
expect_rc 1
expect_json "$T/out" '.smd | [.source, .kind, .files]' \
	"[\"$T/b.smdb\",\"bundle\",[{\"name\":\"truncate.smd\",\"fate\":\"loads\",\"errors\":0,\"warnings\":0}]]"

# 6. evict.smd asd would not load: an item without a generation beside
# ns1's good one (asd aborts at startup), or the file cut short (asd
# starts the module empty). A WARNING, no void-time taken; the
# truncations still counted.
printf '[\n   [\n      1,\n      2\n   ],\n   {\n      "key": "ns1",\n      "value": "%s",\n      "generation": 1,\n      "timestamp": 5\n   },\n   {\n      "key": "ns2",\n      "value": "7",\n      "timestamp": 5\n   }\n]' \
	$((V + 1)) >"$T/wd/smd/evict.smd"
for fate in aborts starts-empty; do
	if [ $fate = starts-empty ]; then
		head -c 20 "$T/wd/smd/evict.smd" >"$T/cut" && mv "$T/cut" "$T/wd/smd/evict.smd"
	fi
	run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --json
	expect_rc 1
	schema "$T/out"
	check "$T/out" "$(model 0 "set1=$((L + 250)),set2=$((L + 10))" 0)"
	expect_json "$T/out" '[.alarms[].code]' '["smd-unloadable","records-come-back","records-come-back"]'
	expect_json "$T/out" '.smd.files[1] | [.name, .fate]' "[\"evict.smd\",\"$fate\"]"
	jq -r '.alarms[0].message' "$T/out" |
		grep -q "^asd would not load evict.smd as it is: .*(in '$T/wd/smd'): asd $([ $fate = aborts ] && echo aborts || echo starts).*; the prediction takes no evict void-time from it$" ||
		fail "$(jq -r '.alarms[0].message' "$T/out")"
done

# An smd restore into the directory that did not finish: a WARNING.
echo "the restore of $T/b.smdb at 2025-01-01T00:00:00Z" >"$T/wd/smd/.shadowsync-restore-incomplete"
run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --json
expect_rc 1
schema "$T/out"
expect_json "$T/out" '.smd.restore_unfinished' true
expect_json "$T/out" '.alarms[0].code' '"smd-restore-unfinished"'
rm "$T/wd/smd/.shadowsync-restore-incomplete"

# 7. An SMD that cannot be read: one line, exit 2, no device read.
cp "$T/b.smdb" "$T/bad.smdb"
flip "$T/bad.smdb" 700
for src in "$T/bad.smdb" "$T/none"; do
	run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --smd "$src"
	expect_rc 2
	[ "$(wc -l <"$T/err")" = 1 ] && grep -q "^shadowsync: inspect: --smd: .*'$src'" "$T/err" ||
		fail "$(cat "$T/err")"
	grep -q "records:" "$T/out" && fail "devices read despite the SMD error: $(cat "$T/out")"
	run_ss "$T/out" "$T/err" inspect --config "$T/as.conf" --records --smd "$src" --json
	expect_rc 2
	schema "$T/out"
done
# --smd goes with --config and --records.
run_ss "$T/out" "$T/err" inspect "$T/a.dat" --records --smd "$T/b.smdb"
expect_rc 2
grep -q -- "--smd goes with --config" "$T/err" || fail "$(cat "$T/err")"
run_ss "$T/out" "$T/err" inspect "$T/a.dat" --smd "$T/b.smdb"
expect_rc 2
grep -q "go with --records" "$T/err" || fail "$(cat "$T/err")"
# A bad disable-eviction value stops asd: the conf is refused.
sed 's/disable-eviction true/disable-eviction maybe/' "$T/as.conf" >"$T/as3.conf"
run_ss "$T/out" "$T/err" inspect --config "$T/as3.conf" --records
expect_rc 2
grep -q "as3.conf:6: expected 'disable-eviction true' or 'disable-eviction false'" "$T/err" || fail "$(cat "$T/err")"
exit 0
