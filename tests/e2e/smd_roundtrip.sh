# smd save / show / check / restore round trips (issue 12, items 1-4 and 6)
# on real files: the shared example module files (the real format) under a
# real aerospike.conf (the one the 8.1 fixtures were written with), and
# generated ones (mksmd writes with jansson and asd's flags: thousands of
# items, tombstones, non-ASCII text escaped as asd escapes it, EE module
# files). The bundle is read back by GNU tar and bsdtar, its manifest's
# XXH3-128s checked with xxhsum; show's figures are computed here from the
# files with jq and date, not taken from shadowsync.
SS_OWN_PIDNS=1	# smd restore sees a fake asd of any other run (lib.sh)
. "$(dirname "$0")/../lib.sh"
need_cmd tar bsdtar xxhsum base64
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed"
MKSMD=$TOP/build/tests/tools/mksmd
[ -x "$MKSMD" ] || fail "$MKSMD not built (make unit)"
EX=$TOP/tests/fixtures/smd-example
schema() { $PY -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" "$1" "$2" ||
	fail "$1: not the schema: $(head -c 400 "$2")"; }
utc_s() { date -u -d "@$(($1 + 1262304000))" +%Y-%m-%dT%H:%M:%SZ; }
utc_ms() { printf '%s.%03dZ' "$(date -u -d "@$(($1 / 1000 + 1262304000))" +%Y-%m-%dT%H:%M:%S)" $(($1 % 1000)); }

# The node: the fixture conf with its @RUN@ paths here.
RUN=$T/run
sed -e "s#@RUN@#$RUN#g" -e "s#@LOG@#$T/log#g" -e "s#@DATA@#$T/data#g" \
	"$TOP/tests/fixtures/aerospike-8.1-clean/aerospike.conf" >"$T/aerospike.conf"
grep -q "work-directory $RUN\$" "$T/aerospike.conf" || fail "conf: no work-directory"
mkdir -p "$RUN/smd"
cp "$EX"/*.smd "$RUN/smd/"
chmod 0600 "$RUN"/smd/*
printf '[\n   [\n      1,\n' >"$RUN/smd/sindex.smd.save"	# a commit cut short
echo "not SMD" >"$RUN/smd/notes.txt"

# mksmd writes what asd writes: the example files come back byte for byte.
for f in "$EX"/*.smd; do
	"$MKSMD" --rewrite "$f" "$T/rw" || fail "mksmd --rewrite $f"
	cmp -s "$f" "$T/rw" || fail "mksmd does not write $(basename "$f") as asd did"
done

note "save from the conf's work-directory"
run_ss "$T/save.json" "$T/save.err" smd save --config "$T/aerospike.conf" -o "$T/b.tar" --json
expect_rc 0 "$(cat "$T/save.err")"
schema smd-save "$T/save.json"
expect_json "$T/save.json" .result '"saved"'
expect_json "$T/save.json" .work_directory "\"$RUN\""
expect_json "$T/save.json" '[.files[].name]' '["UDF.smd","evict.smd","sindex.smd","truncate.smd"]'
expect_json "$T/save.json" '[.files[].asd] | unique' '["loads"]'
expect_json "$T/save.json" '[.skipped[].name]' '["sindex.smd.save"]'
expect_json "$T/save.json" .errors 0
[ "$(stat -c %a "$T/b.tar")" = 600 ] || fail "the bundle is not mode 0600"
ls -a "$T" | qgrep shadowsync-tmp && fail "a temporary file was left beside the bundle"

note "the bundle is a POSIX tar that GNU tar and bsdtar read"
tar tf "$T/b.tar" >"$T/list" || fail "tar tf"
printf '%s\n' MANIFEST.json smd/UDF.smd smd/evict.smd smd/sindex.smd smd/truncate.smd \
	BUNDLE-CHECKSUM | cmp -s - "$T/list" || fail "members: $(cat "$T/list")"
tar tvf "$T/b.tar" | qgrep '^-rw------- root/root *157 .* smd/evict.smd$' ||
	fail "tar tvf: $(tar tvf "$T/b.tar")"
head -c 512 "$T/b.tar" | tail -c +258 | head -c 5 | qgrep ustar || fail "not ustar/pax"
mkdir "$T/x1" "$T/x2"
tar xf "$T/b.tar" -C "$T/x1" || fail "tar xf"
bsdtar xf "$T/b.tar" -C "$T/x2" || fail "bsdtar xf"
for f in "$EX"/*.smd; do
	n=$(basename "$f")
	cmp -s "$f" "$T/x1/smd/$n" || fail "GNU tar: $n differs"
	cmp -s "$f" "$T/x2/smd/$n" || fail "bsdtar: $n differs"
	want=$(xxhsum -H2 <"$f" | cut -d' ' -f1)
	expect_json "$T/x1/MANIFEST.json" ".files[] | select(.name == \"$n\") | .xxh3_128" "\"$want\""
	expect_json "$T/x1/MANIFEST.json" ".files[] | select(.name == \"$n\") | .size_bytes" "$(stat -c %s "$f")"
	expect_json "$T/x1/MANIFEST.json" ".files[] | select(.name == \"$n\") | [.mode, .owner, .group]" '["0600","root","root"]'
done
expect_json "$T/x1/MANIFEST.json" .host "\"$(hostname)\""
expect_json "$T/x1/MANIFEST.json" .work_directory "\"$RUN\""
expect_json "$T/x1/MANIFEST.json" '[.skipped[].name]' '["sindex.smd.save"]'
now=$(date +%s)
[ $((now - $(jq .created_unix_s "$T/x1/MANIFEST.json"))) -lt 60 ] || fail "created_unix_s is not now"
grep -qx '[0-9a-f]\{32\}' "$T/x1/BUNDLE-CHECKSUM" || fail "BUNDLE-CHECKSUM: $(cat "$T/x1/BUNDLE-CHECKSUM")"

note "show: the figures, computed here from the files"
run_ss "$T/show.json" "$T/show.err" smd show "$T/b.tar" --json
expect_rc 0 "$(cat "$T/show.err")"
schema smd-show "$T/show.json"
for f in "$EX"/*.smd; do
	n=$(basename "$f")
	sel=".modules[] | select(.file == \"$n\")"
	expect_json "$T/show.json" "$sel | .committed | [.cluster_key, .tid]" "$(jq -c '.[0]' "$f")"
	expect_json "$T/show.json" "$sel | .committed.cluster_key_hex" "\"$(printf %X "$(jq '.[0][0]' "$f")")\""
	expect_json "$T/show.json" "$sel | .items" "$(jq '.[1:] | length' "$f")"
	expect_json "$T/show.json" "$sel | .tombstones" "$(jq '[.[1:][] | select(.value == null)] | length' "$f")"
	expect_json "$T/show.json" "$sel | .newest_change_utc" "\"$(utc_ms "$(jq '[.[1:][].timestamp] | max' "$f")")\""
done
expect_json "$T/show.json" '[.sindexes[] | [.namespace, .set, .bin, .index_type, .key_type, .name]]' \
	'[["ns1","s1","i","default","numeric","idx_s1_i"],["ns1","s1","s","default","string","idx_s1_s"],["ns1",null,"tags","list","string","idx_tags"]]'
lua=$(jq -r '.[] | objects | select(.key == "example.lua") | .value | fromjson | .content64' "$EX/UDF.smd" | base64 -d | wc -c)
expect_json "$T/show.json" '.udfs' "[{\"name\":\"example.lua\",\"size_bytes\":$lua}]"
expect_json "$T/show.json" '[.truncations[] | [.namespace, .set, .threshold_utc]]' \
	"[[\"test\",null,\"$(utc_ms 495209000000)\"],[\"ns1\",\"s2\",\"$(utc_ms 495633600000)\"]]"
expect_json "$T/show.json" '[.evict[] | [.namespace, .void_time_utc]]' "[[\"ns1\",\"$(utc_s 495720000)\"]]"
expect_json "$T/show.json" .bundle.host "\"$(hostname)\""
# The directory shows the same modules.
run_ss "$T/showd.json" "$T/showd.err" smd show "$RUN" --json
expect_rc 0 "$(cat "$T/showd.err")"
schema smd-show "$T/showd.json"
expect_json "$T/showd.json" .kind '"directory"'
[ "$(jq -c '[.modules, .sindexes, .udfs, .truncations, .evict]' "$T/show.json")" = \
	"$(jq -c '[.modules, .sindexes, .udfs, .truncations, .evict]' "$T/showd.json")" ] ||
	fail "show of the directory differs from show of its bundle"
run_ss "$T/show.txt" "$T/show.err" smd show "$T/b.tar"
expect_rc 0
grep -q "sindex .*ns1 set s1 bin i (default, numeric): idx_s1_i" "$T/show.txt" || fail "text: $(cat "$T/show.txt")"
grep -q "evict .*ns1 void-time $(utc_s 495720000)" "$T/show.txt" || fail "text: no evict line"
run_ss "$T/showq.txt" "$T/show.err" smd show "$T/b.tar" --quiet
expect_rc 0
[ "$(wc -l <"$T/showq.txt")" = 2 ] || fail "--quiet: $(cat "$T/showq.txt")"

note "check: the leftover .smd.save is a difference; then exact; then changed files"
run_ss "$T/c1.json" "$T/c1.err" smd check "$T/b.tar" "$RUN" --json
expect_rc 1
schema smd-check "$T/c1.json"
expect_json "$T/c1.json" '[.same, .missing, .extra, .changed]' '[4,0,1,0]'
rm "$RUN/smd/sindex.smd.save"
run_ss "$T/c2.json" "$T/c2.err" smd check "$T/b.tar" "$RUN/smd" --json
expect_rc 0 "$(cat "$T/c2.err")"
schema smd-check "$T/c2.json"
expect_json "$T/c2.json" .result '"match"'
cp -a "$RUN/smd" "$T/smd-orig"
sed -i 's/"idx_s1_s"/"idx_s1_X"/' "$RUN/smd/sindex.smd"
rm "$RUN/smd/evict.smd"
"$MKSMD" "$RUN/smd/roster.smd" --module generic --items 3 || fail mksmd
run_ss "$T/c3.json" "$T/c3.err" smd check "$T/b.tar" "$RUN" --json
expect_rc 1
schema smd-check "$T/c3.json"
expect_json "$T/c3.json" '[.same, .missing, .extra, .changed]' '[2,1,1,1]'
expect_json "$T/c3.json" '.files[] | select(.name == "sindex.smd") | .items | [.changed_keys, .missing_keys, .extra_keys, .version_differs]' \
	'[["ns1|s1|s|.|S"],[],[],false]'
expect_json "$T/c3.json" '.files[] | select(.name == "evict.smd") | .status' '"missing"'
expect_json "$T/c3.json" '.files[] | select(.name == "roster.smd") | .status' '"extra"'
run_ss "$T/c3.txt" "$T/c3.err" smd check "$T/b.tar" "$RUN"
expect_rc 1
grep -q "changed ns1|s1|s|.|S" "$T/c3.txt" || fail "text: $(cat "$T/c3.txt")"
tail -1 "$T/c3.txt" | qgrep "^exit status 1: .*1 missing, 1 extra, 1 changed" || fail "text: $(tail -1 "$T/c3.txt")"
rm -rf "$RUN/smd"; mv "$T/smd-orig" "$RUN/smd"

note "restore onto a new node: directories made, bytes unchanged, 0600 root"
NEW=$T/new
sed "s#$RUN#$NEW#g" "$T/aerospike.conf" >"$T/new.conf"
run_ss "$T/r1.json" "$T/r1.err" smd restore "$T/b.tar" --config "$T/new.conf" --json
expect_rc 0 "$(cat "$T/r1.err")"
schema smd-restore "$T/r1.json"
expect_json "$T/r1.json" .result '"restored"'
expect_json "$T/r1.json" .created_directories "[\"$NEW\",\"$NEW/smd\",\"$NEW/udf\",\"$NEW/udf/lua\"]"
expect_json "$T/r1.json" '[.files[].action] | unique' '["installed"]'
[ -d "$NEW/udf/lua" ] || fail "the Lua user-path was not made"
for f in "$EX"/*.smd; do
	n=$(basename "$f")
	cmp -s "$f" "$NEW/smd/$n" || fail "restored $n differs"
	[ "$(stat -c '%a %U %G' "$NEW/smd/$n")" = "600 root root" ] ||
		fail "$n: $(stat -c '%a %U %G' "$NEW/smd/$n")"
done
[ "$(ls -A "$NEW/smd" | wc -l)" = 4 ] || fail "smd/ holds more: $(ls -A "$NEW/smd")"
run_ss "$T/c4.json" "$T/c4.err" smd check "$T/b.tar" "$NEW" --json
expect_rc 0 "$(cat "$T/c4.err")"
before=$(stat -c '%i %Y %Z' "$NEW"/smd/*)
run_ss "$T/r2.json" "$T/r2.err" smd restore "$T/b.tar" --config "$T/new.conf" --json
expect_rc 0 "$(cat "$T/r2.err")"
schema smd-restore "$T/r2.json"
expect_json "$T/r2.json" '[.result, .changes, .created_directories, .backup]' '["unchanged",0,[],null]'
[ "$(stat -c '%i %Y %Z' "$NEW"/smd/*)" = "$before" ] || fail "the second restore touched the files"
run_ss "$T/r2.txt" "$T/r2.err" smd restore "$T/b.tar" --config "$T/new.conf"
expect_rc 0
tail -1 "$T/r2.txt" | qgrep -x "unchanged: 0 changes" || fail "text: $(tail -1 "$T/r2.txt")"

note "generated files: many items, tombstones, non-ASCII, EE modules"
G=$T/gen
mkdir -p "$G/smd"
"$MKSMD" "$G/smd/sindex.smd" --module sindex --items 4000 --tombstones 7 --non-ascii --seed 1 || fail mksmd
"$MKSMD" "$G/smd/truncate.smd" --module truncate --items 300 --tombstones 5 --seed 2 || fail mksmd
"$MKSMD" "$G/smd/evict.smd" --module evict --items 50 --seed 3 || fail mksmd
"$MKSMD" "$G/smd/UDF.smd" --module UDF --items 200 --tombstones 9 --non-ascii --seed 4 || fail mksmd
for m in roster security XDR masking; do
	"$MKSMD" "$G/smd/$m.smd" --module generic --items 500 --tombstones 3 --non-ascii --seed 5 || fail mksmd
done
# asd's escapes: pure ASCII, \uXXXX in upper case, surrogate pairs.
LC_ALL=C grep -q '[^ -~[:space:]]' "$G"/smd/*.smd && fail "mksmd wrote non-ASCII bytes"
grep -q '\\u00E9' "$G/smd/sindex.smd" || fail "no upper-case \\u escape in sindex.smd"
grep -q '\\uD83D\\uDE00' "$G/smd/roster.smd" || fail "no surrogate pair in roster.smd"
run_ss "$T/g.json" "$T/g.err" smd save --work-dir "$G" -o "$T/g.tar" --json
expect_rc 0 "$(cat "$T/g.err")"
schema smd-save "$T/g.json"
expect_json "$T/g.json" '.files | length' 8
run_ss "$T/gs.json" "$T/gs.err" smd show "$T/g.tar" --json
expect_rc 0 "$(cat "$T/gs.err")"
schema smd-show "$T/gs.json"
for f in "$G"/smd/*.smd; do
	n=$(basename "$f")
	sel=".modules[] | select(.file == \"$n\")"
	expect_json "$T/gs.json" "$sel | [.items, .tombstones]" \
		"$(jq -c '[(.[1:] | length), ([.[1:][] | select(.value == null)] | length)]' "$f")"
done
expect_json "$T/gs.json" '[.modules[] | select(.edition == "ee") | .file]' '["XDR.smd","masking.smd","roster.smd","security.smd"]'
expect_json "$T/gs.json" '.sindexes | length' "$(jq '[.[1:][] | select(.value != null)] | length' "$G/smd/sindex.smd")"
# Non-ASCII names come out as the UTF-8 asd decodes (item 0: "café").
expect_json "$T/gs.json" '.sindexes[0] | [.set, .name]' '["scafé0","idx_café0"]'
expect_json "$T/gs.json" '.udfs | length' "$(jq '[.[1:][] | select(.value != null)] | length' "$G/smd/UDF.smd")"
expect_json "$T/gs.json" '.truncations | length' "$(jq '[.[1:][] | select(.value != null)] | length' "$G/smd/truncate.smd")"
expect_json "$T/gs.json" '.evict | length' 50
run_ss "$T/gr.json" "$T/gr.err" smd restore "$T/g.tar" --work-dir "$T/gnew" --json
expect_rc 0 "$(cat "$T/gr.err")"
schema smd-restore "$T/gr.json"
expect_json "$T/gr.json" .lua_user_path null
for f in "$G"/smd/*.smd; do
	cmp -s "$f" "$T/gnew/smd/$(basename "$f")" || fail "restored $(basename "$f") differs"
done
run_ss "$T/gc.json" "$T/gc.err" smd check "$T/g.tar" "$T/gnew" --json
expect_rc 0 "$(cat "$T/gc.err")"

note "an empty SMD directory is a valid state: an empty bundle, restored as empty"
mkdir -p "$T/empty/smd"
run_ss "$T/e.json" "$T/e.err" smd save --work-dir "$T/empty" -o "$T/e.tar" --json
expect_rc 0 "$(cat "$T/e.err")"
expect_json "$T/e.json" '.files' '[]'
cp -a "$NEW" "$T/full"
"$SS" smd restore "$T/e.tar" --work-dir "$T/full" >/dev/null 2>"$T/ef.err"
[ $? = 2 ] || fail "emptying a non-empty SMD without --force was not refused"
grep -q "give --force" "$T/ef.err" || fail "refusal: $(cat "$T/ef.err")"
run_ss "$T/ef.json" "$T/ef.err" smd restore "$T/e.tar" --work-dir "$T/full" --force --json
expect_rc 0 "$(cat "$T/ef.err")"
[ -z "$(ls -A "$T/full/smd")" ] || fail "smd/ is not empty: $(ls -A "$T/full/smd")"
exit 0
