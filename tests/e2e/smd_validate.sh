# Every validation failure of shared/AEROSPIKE-SMD.md (3.1 and 5.4), each
# in a real module file: show names the problem and what asd does with
# the file (starts the module empty, aborts at startup); save reports it
# and writes the bundle all the same (exit 1); restore refuses the bundle
# (exit 2), naming the file and the item, and writes nothing. What asd
# loads with only a warning is restored.
SS_OWN_PIDNS=1	# smd restore sees a fake asd of any other run (lib.sh)
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed"
schema() { $PY -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" "$1" "$2" ||
	fail "$1: not the schema: $(head -c 400 "$2")"; }
EX=$TOP/tests/fixtures/smd-example
H='[\n   [\n      69452243785700,\n      6\n   ]'
ITEM='{\n      "key": "ns1|s1|i|.|I",\n      "value": "idx_s1_i",\n      "generation": 1,\n      "timestamp": 494496900000\n   }'
n=0

# bad FILE CODE FATE ITEM CONTENT(printf format): CONTENT as FILE makes
# asd FATE; the problem is CODE at ITEM (- for the whole file).
bad() {
	local file=$1 code=$2 fate=$3 item=$4 w
	n=$((n + 1))
	w=$T/c$n
	mkdir -p "$w/smd"
	cp "$EX"/*.smd "$w/smd/"
	printf "$5" >"$w/smd/$file"
	run_ss "$w/show.json" "$w/show.err" smd show "$w" --json
	expect_rc 1 "#$n $file $code: $(cat "$w/show.err")"
	schema smd-show "$w/show.json"
	expect_json "$w/show.json" ".modules[] | select(.file == \"$file\") | .asd" "\"$fate\""
	jq -e --arg c "$code" --arg f "$file" \
		'any(.modules[].problems[]; .file == $f and .code == $c and .severity == "error")' \
		"$w/show.json" >/dev/null || fail "#$n $file: no error $code: $(jq -c '.modules[].problems' "$w/show.json")"
	if [ "$item" != - ]; then
		jq -e --arg c "$code" --argjson i "$item" 'any(.modules[].problems[]; .code == $c and .item == $i)' \
			"$w/show.json" >/dev/null || fail "#$n $file $code: not at item $item"
	fi
	run_ss "$w/save.json" "$w/save.err" smd save --work-dir "$w" -o "$w/b.tar" --json
	expect_rc 1 "#$n save: $(cat "$w/save.err")"
	schema smd-save "$w/save.json"
	expect_json "$w/save.json" .result '"saved-with-problems"'
	[ -s "$w/b.tar" ] || fail "#$n: save wrote no bundle"
	bsdtar xOf "$w/b.tar" "smd/$file" | cmp -s - "$w/smd/$file" || fail "#$n: the bundle does not hold the file as it is"
	run_ss "$w/r.json" "$w/r.err" smd restore "$w/b.tar" --work-dir "$w/new" --json
	expect_rc 2 "#$n restore"
	schema smd-restore "$w/r.json"
	expect_json "$w/r.json" .result '"refused"'
	grep -q "bundle '$w/b.tar' is refused: $file" "$w/r.err" || fail "#$n: refusal: $(cat "$w/r.err")"
	[ "$item" = - ] || qgrep "$file item $item" "$w/r.err" || fail "#$n: item $item not named: $(cat "$w/r.err")"
	[ -e "$w/new" ] && fail "#$n: restore made '$w/new'"
	run_ss "$w/r.txt" "$w/r.err" smd restore "$w/b.tar" --work-dir "$w/new"
	expect_rc 2
	note "#$n $file: $code, asd $fate"
}

# warn FILE CODE CONTENT: asd loads it with a warning: restored as it is.
warn() {
	local file=$1 code=$2 w
	n=$((n + 1))
	w=$T/c$n
	mkdir -p "$w/smd"
	printf "$3" >"$w/smd/$file"
	run_ss "$w/save.json" "$w/save.err" smd save --work-dir "$w" -o "$w/b.tar" --json
	expect_rc 0 "#$n save: $(cat "$w/save.err")"
	schema smd-save "$w/save.json"
	[ "$code" = - ] && expect_json "$w/save.json" '.problems' '[]'
	[ "$code" = - ] || expect_json "$w/save.json" "[.problems[] | [.code, .severity]]" "[[\"$code\",\"warning\"]]"
	run_ss "$w/r.json" "$w/r.err" smd restore "$w/b.tar" --work-dir "$w/new" --json
	expect_rc 0 "#$n restore: $(cat "$w/r.err")"
	cmp -s "$w/smd/$file" "$w/new/smd/$file" || fail "#$n: not restored as it is"
	[ "$code" = - ] && code="no problem"
	note "#$n $file: $code, restored"
}

# Parse errors: asd logs the jansson error and starts the module empty.
bad sindex.smd json starts-empty - ''
bad sindex.smd json starts-empty - "$H,\n   $ITEM"
bad sindex.smd json starts-empty - "$H,\n   $ITEM\n]]"
bad sindex.smd json starts-empty - "\xef\xbb\xbf$H,\n   $ITEM\n]"
bad sindex.smd json starts-empty - "$H,\n   {\"key\": \"a\", \"key\": \"b\", \"value\": null, \"generation\": 1, \"timestamp\": 1}\n]"
bad sindex.smd json starts-empty - "$H,\n   {\"key\": \"a\", \"value\": null, \"generation\": 9223372036854775808, \"timestamp\": 1}\n]"
bad sindex.smd json starts-empty - "$H,\n   {\"key\": \"ns1|s1|\xff|.|I\", \"value\": \"x\", \"generation\": 1, \"timestamp\": 1}\n]"
bad sindex.smd json starts-empty - '42'
bad sindex.smd not-array starts-empty - '{"key": "x"}'
# The header: fewer than two entries, or not integers: version 0/0.
bad sindex.smd header loads - "[\n   [\n      5\n   ],\n   $ITEM\n]"
bad sindex.smd header loads - "[\n   [\n      \"5\",\n      1\n   ],\n   $ITEM\n]"
# Item shapes: cf_assert, asd aborts at startup.
bad sindex.smd item-shape aborts 1 "$H,\n   $ITEM,\n   [1, 2]\n]"
bad sindex.smd item-shape aborts 0 "$H,\n   {\"value\": \"x\", \"generation\": 1, \"timestamp\": 1}\n]"
bad sindex.smd item-shape aborts 0 "$H,\n   {\"key\": 7, \"value\": \"x\", \"generation\": 1, \"timestamp\": 1}\n]"
bad sindex.smd item-shape aborts 0 "$H,\n   {\"key\": \"k\", \"generation\": 1, \"timestamp\": 1}\n]"
bad sindex.smd item-shape aborts 0 "$H,\n   {\"key\": \"k\", \"value\": 5, \"generation\": 1, \"timestamp\": 1}\n]"
bad sindex.smd item-shape aborts 0 "$H,\n   {\"key\": \"k\", \"value\": \"x\", \"timestamp\": 1}\n]"
bad sindex.smd item-shape aborts 0 "$H,\n   {\"key\": \"k\", \"value\": \"x\", \"generation\": 1.5, \"timestamp\": 1}\n]"
bad truncate.smd item-shape aborts 0 "$H,\n   {\"key\": \"k\", \"value\": \"x\", \"generation\": 1}\n]"
bad evict.smd item-shape aborts 0 "$H,\n   {\"key\": \"k\", \"value\": \"x\", \"generation\": 1, \"timestamp\": \"1\"}\n]"
# A repeated item key: asd loads both, its look-ups become ambiguous.
bad sindex.smd duplicate-key loads 1 "$H,\n   $ITEM,\n   $ITEM\n]"
# Numbers asd keeps in unsigned fields, or reads with strtoul: a file
# that says one thing and loads as another (the item's timestamp -5 is
# 18446744073709551611 to asd: it wins every merge).
bad sindex.smd timestamp loads 0 "$H,\n   {\"key\": \"ns1|s1|i|.|I\", \"value\": \"x\", \"generation\": 1, \"timestamp\": -5}\n]"
bad sindex.smd generation loads 1 "$H,\n   $ITEM,\n   {\"key\": \"ns1|s1|j|.|I\", \"value\": \"y\", \"generation\": -1, \"timestamp\": 1}\n]"
bad sindex.smd header loads - "[\n   [\n      -1,\n      2\n   ],\n   $ITEM\n]"
bad sindex.smd header loads - "[\n   [\n      1,\n      2,\n      3\n   ],\n   $ITEM\n]"
bad evict.smd evict-value loads 0 "$H,\n   {\"key\": \"ns1\", \"value\": \"notanumber\", \"generation\": 1, \"timestamp\": 1}\n]"
bad evict.smd evict-value loads 0 "$H,\n   {\"key\": \"ns1\", \"value\": \"99999999999\", \"generation\": 1, \"timestamp\": 1}\n]"
bad truncate.smd truncate-value loads 0 "$H,\n   {\"key\": \"ns1\", \"value\": \"12x\", \"generation\": 1, \"timestamp\": 1}\n]"
bad truncate.smd truncate-value loads 0 "$H,\n   {\"key\": \"ns1\", \"value\": \" 12\", \"generation\": 1, \"timestamp\": 1}\n]"
# UDF: valid JSON without a string content64: strlen(NULL) at startup.
bad UDF.smd udf-value aborts 0 "$H,\n   {\"key\": \"a.lua\", \"value\": \"{\\\\\"type\\\\\": \\\\\"LUA\\\\\"}\", \"generation\": 1, \"timestamp\": 1}\n]"

# What asd loads with a warning, or without one.
warn sindex.smd - '[]'
warn sindex.smd no-header "[\n   $ITEM\n]"
warn sindex.smd sindex-key "$H,\n   {\"key\": \"ns1|bad\", \"value\": \"x\", \"generation\": 1, \"timestamp\": 1}\n]"
warn sindex.smd - "$H,\n   {\"key\": \"ns1|s|b|.|S\", \"value\": \"x\", \"generation\": 1, \"timestamp\": 1, \"extra\": true}\n]"
warn UDF.smd udf-value "$H,\n   {\"key\": \"a.lua\", \"value\": \"{\\\\\"content64\\\\\": \\\\\"@@@\\\\\"}\", \"generation\": 1, \"timestamp\": 1}\n]"
warn UDF.smd udf-value "$H,\n   {\"key\": \"a.lua\", \"value\": \"not json\", \"generation\": 1, \"timestamp\": 1}\n]"
warn sindex.smd header "[\n   [\n      281474976710656,\n      1\n   ],\n   $ITEM\n]"
warn truncate.smd truncate-key "$H,\n   {\"key\": \"|s\", \"value\": \"12\", \"generation\": 1, \"timestamp\": 1}\n]"
warn Evict.smd not-a-module "$H\n]"
[ $n = 39 ] || fail "$n cases ran, want 39"
exit 0
