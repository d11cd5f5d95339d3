# One exit-status and JSON contract for every command, in every outcome:
# with --json stdout is exactly one JSON object valid against
# docs/schema/COMMAND.schema.json, whose exit_status is the process's
# exit status and whose exit_reason is null exactly when it is 0. In text
# mode an exit 1 ends stdout with "exit status 1: REASON" and an exit 2
# says why on stderr. Statuses: 0 fine, 1 differences or an alarming
# verdict, 2 error or refused.
SS_OWN_PIDNS=1	# smd restore sees a fake asd of any other run (lib.sh)
. "$(dirname "$0")/../lib.sh"
need_cmd zstd
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed"
need_mkaero
M=1048576
fixtures "$T/fx"
L=$T/fx/ns1-a.dat S=$T/fx/ns1-a.shadow
mkrand "$T/a" $((4 * M)); cp "$T/a" "$T/b"; flip "$T/b" 1000; cp "$T/a" "$T/c"; cp "$T/b" "$T/d"
cp "$L" "$T/dmg"; flip "$T/dmg" $((8 * M + 100))
truncate -s $((128 * M)) "$T/zero"
"$MKAERO" "$T/old3.shadow" --size 64M --format 3 --flags TRUSTED --used 1 || fail mkaero
"$MKAERO" "$T/old3.local" --size 64M --format 3 --flags TRUSTED --used 2 --seed 7 || fail mkaero
"$SS" hash "$T/a" -o "$T/a.man" >/dev/null || fail "hash"
printf '0 4096\n' >"$T/ranges"
n=0

# case WANT_RC CMD ARGS...: the JSON run, then the text run.
case_() {
	local want=$1 cmd=$2 schema rc
	shift 2
	n=$((n + 1))
	schema=$cmd
	[ "$cmd" = smd ] && schema=smd-$1
	run_ss "$T/j$n" "$T/e$n" "$cmd" "$@" --json <"${CASE_STDIN:-/dev/null}"
	[ "$RC" = "$want" ] || fail "#$n $cmd $*: exit $RC, want $want: $(cat "$T/e$n")"
	$PY -W ignore "$TOP/tests/tools/jsoncheck.py" "$TOP/docs/schema" "$schema" "$T/j$n" ||
		fail "#$n $cmd $*: not the contract: $(head -c 400 "$T/j$n")"
	expect_json "$T/j$n" .exit_status "$want"
	if [ "$want" = 0 ]; then
		expect_json "$T/j$n" .exit_reason null
	else
		expect_json "$T/j$n" '.exit_reason | length > 0' true
	fi
	run_ss "$T/t$n" "$T/te$n" "$cmd" "$@" <"${CASE_STDIN:-/dev/null}"
	[ "$RC" = "$want" ] || fail "#$n text $cmd $*: exit $RC, want $want"
	case $want in
	1) tail -1 "$T/t$n" | qgrep "^exit status 1: ." || fail "#$n text $cmd $*: no reason: $(tail -2 "$T/t$n")" ;;
	2) grep -q "^shadowsync: " "$T/te$n" || fail "#$n text $cmd $*: no error line" ;;
	esac
	note "#$n $cmd $* -> $want: $(jq -r '.exit_reason // "ok"' "$T/j$n")"
}

case_ 0 verify "$T/a" "$T/c"
case_ 1 verify "$T/a" "$T/b"
case_ 2 verify "$T/a" "$T/nope"
case_ 2 verify "$T/a" "$T/a"
case_ 2 verify "$T/a" "$T/b" --block-size 3
case_ 2 verify "$T/a"
case_ 1 verify "$T/dmg" "$S"
case_ 0 verify "$L" "$S"
case_ 1 verify "$S" "$L"
case_ 0 verify --gate "$T/zero" "$S"
case_ 1 verify --gate "$T/dmg" "$S"
case_ 1 verify "$L" "$T/zero"
case_ 2 verify --config "$T/nope.conf"
case_ 1 sync "$T/b" "$T/a" --dry-run
case_ 0 sync "$T/b" "$T/a"
case_ 0 sync "$T/b" "$T/a"
case_ 2 sync "$L" "$T/zero"
case_ 2 sync "$S" "$L"
case_ 2 sync "$T/a" --memory 1
case_ 1 sync "$T/old3.local" "$T/old3.shadow"
case_ 0 inspect "$L"
case_ 0 inspect "$T/zero"
case_ 2 inspect "$T/a"
case_ 0 hash "$T/c" -o "$T/c.man"
case_ 2 hash "$T/c" -o "$T/c"
case_ 0 check "$T/a" "$T/a.man"
case_ 1 check "$T/d" "$T/a.man"
case_ 2 check "$T/a" "$T/a"
case_ 0 warm "$T/a"
case_ 0 warm "$T/a" --ranges "$T/ranges"
case_ 2 warm "$T/nope"
case_ 0 bench "$T/a" --seconds 0.02 --queue-depths 1 --io-sizes 64K
case_ 2 bench "$T/a" --queue-depths 0
case_ 2 bench "$T/nope" --seconds 0.02
cp "$T/a" "$T/a.copy"
case_ 0 verify "$T/a" "$T/a.copy" --prom "$T/v.prom"
case_ 2 hash "$T/a" -o "$T/x.man" --prom "$T/h.prom"
case_ 0 manifest show "$T/a.man"
case_ 2 manifest show "$T/a"
mkdir -p "$T/smdw/smd" "$T/smdbad/smd"
cp "$TOP"/tests/fixtures/smd-example/*.smd "$T/smdw/smd/"
cp "$TOP"/tests/fixtures/smd-example/*.smd "$T/smdbad/smd/"
printf '[\n   [1, 1],\n   {"key": "x"}\n]' >"$T/smdbad/smd/sindex.smd"
case_ 0 smd save --work-dir "$T/smdw" -o "$T/smd.tar"
case_ 1 smd save --work-dir "$T/smdbad" -o "$T/smdbad.tar"
case_ 2 smd save --work-dir "$T/nope" -o "$T/smdx.tar"
case_ 0 smd show "$T/smd.tar"
case_ 1 smd show "$T/smdbad"
case_ 2 smd show "$T/a"
case_ 0 smd check "$T/smd.tar" "$T/smdw"
case_ 1 smd check "$T/smd.tar" "$T/smdbad"
case_ 2 smd check "$T/a" "$T/smdw"
case_ 0 smd restore "$T/smd.tar" --work-dir "$T/smdr"
case_ 2 smd restore "$T/smdbad.tar" --work-dir "$T/smdr2"
case_ 2 smd restore "$T/a" --work-dir "$T/smdr3"
truncate -s $((4 * M)) "$T/r1"
truncate -s $((2 * M)) "$T/r2"
head -c $M "$T/a" >"$T/short"
"$SS" hash "$T/short" -o "$T/short.man" >/dev/null || fail "hash"
case_ 0 restore "$T/a" "$T/r1"
case_ 0 restore "$T/a" "$T/r1" --manifest "$T/a.man" --manifest-out "$T/r1.man"
CASE_STDIN="$T/a" case_ 0 restore - "$T/r1" --no-verify
CASE_STDIN="$T/a" case_ 2 restore - "$T/r2"
case_ 2 restore "$T/a" "$T/r2"
case_ 2 restore "$T/a" "$T/nope"
case_ 2 restore "$T/a" "$T/r1" --manifest "$T/short.man"
case_ 2 restore "$T/a" "$T/a"
# a URL with credentials and a presigned query, answered 403 by a test
# server on 127.0.0.1 (tests/tools/faulty_http.py)
. "$TOP/tests/lib_remote.sh"
start_pyserver P srv faulty_http.py --file "$T/a" --log "$T/req.log"
case_ 2 restore "http://user:pw@127.0.0.1:$P/forbidden?X-Amz-Signature=SECRET" "$T/r1"
grep -l "SECRET\|user:pw" "$T"/j$n "$T"/e$n "$T"/te$n && fail "a URL's query or credentials were printed"
note "$n cases"
exit 0
