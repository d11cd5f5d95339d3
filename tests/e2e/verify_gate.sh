# verify --gate exits by what asd's own cold start will do: 0 when it is
# safe (load-local with matching data, copy-from-shadow after a crash or
# with a wiped local, reinit with the shadow's data), 1 only when asd
# would serve damaged data, drop data or crash, or the pair looks swapped;
# 2 on errors. Plain verify exits 1 for any difference. The systemd
# drop-in uses the gate, in text mode. WARNINGs reach stderr too, so
# neither >/dev/null nor --json hides them.
. "$(dirname "$0")/../lib.sh"
need_cmd zstd
need_mkaero
fixtures "$T/fx"
M=1048576
L=$T/fx/ns1-a.dat S=$T/fx/ns1-a.shadow

gate() {	# gate WANT_GATE WANT_VERIFY NAME LOCAL SHADOW
	run_ss "$T/out" "$T/err" verify --gate "$4" "$5"
	expect_rc "$1" "$3 --gate: $(cat "$T/out" "$T/err")"
	run_ss "$T/out2" "$T/err2" verify "$4" "$5"
	expect_rc "$2" "$3 verify"
	note "$3: gate $1, verify $2: $(head -1 "$T/out")"
}

gate 0 0 clean "$L" "$S"
truncate -s $((128 * M)) "$T/wiped"			# a replacement's blank NVMe
gate 0 1 wiped-local "$T/wiped" "$S"
grep -q "^verify --gate: SAFE" "$T/out" || fail "wiped: $(head -2 "$T/out")"
"$MKAERO" "$T/crashed.shadow" --size 128M --namespace ns1 --used 3 || fail mkaero
"$MKAERO" "$T/crashed.local" --size 128M --namespace ns1 --used 1 --seed 5 || fail mkaero
gate 0 1 after-a-crash "$T/crashed.local" "$T/crashed.shadow"	# not TRUSTED
cp "$L" "$T/dmg"; flip "$T/dmg" $((8 * M + 100))
gate 1 1 damaged-local "$T/dmg" "$S"
grep -q "^verify --gate: UNSAFE, do not start asd" "$T/out" || fail "damaged: $(head -3 "$T/out")"
truncate -s $((128 * M)) "$T/blank.shadow"
gate 1 1 blank-shadow "$L" "$T/blank.shadow"
"$MKAERO" "$T/reinit.shadow" --size 128M --zero --used 3 || fail mkaero
gate 0 1 reinit-with-data "$L" "$T/reinit.shadow"
"$MKAERO" "$T/other.shadow" --size 128M --namespace ns1 --format 3 --flags TRUSTED || fail mkaero
gate 1 1 old-format "$L" "$T/other.shadow"
gate 1 1 swapped "$S" "$L"
# A shadow larger than local: asd sizes the device by local, so used
# write-blocks of the shadow past local's end are never read (a restore
# onto a smaller instance). Unused ones past the end are no matter.
"$MKAERO" "$T/big.shadow" --size 64M --used 40 --flags TRUSTED --seed 5 --wbs 1M || fail mkaero
cp "$T/big.shadow" "$T/small.local" && truncate -s 32M "$T/small.local"
gate 1 1 shadow-used-past-local "$T/small.local" "$T/big.shadow"
grep -q "^WARNING: the shadow '$T/big.shadow' holds 2 used write-blocks past the end of local '$T/small.local' (the first at offset 33554432)" "$T/err" ||
	fail "no warning: $(cat "$T/err")"
"$MKAERO" "$T/big2.shadow" --size 64M --used 2 --flags TRUSTED --seed 5 --wbs 1M || fail mkaero
cp "$T/big2.shadow" "$T/small2.local" && truncate -s 32M "$T/small2.local"
gate 0 0 shadow-unused-past-local "$T/small2.local" "$T/big2.shadow"
run_ss "$T/out" "$T/err" verify --gate "$L" "$T/nope"
expect_rc 2

# WARNINGs reach stderr with the next command, whatever stdout is.
"$SS" verify "$T/dmg" "$S" >/dev/null 2>"$T/err"
grep -q "^WARNING: asd will load '$T/dmg' as it is .*; next: shadowsync sync $T/dmg $S$" "$T/err" ||
	fail "stderr: $(cat "$T/err")"
"$SS" verify "$T/dmg" "$S" --json >"$T/out" 2>"$T/err"
grep -q "^WARNING: asd will load" "$T/err" || fail "--json hid the warning"
expect_json "$T/out" '.alarms[0].code' '"serves-damaged-data"'
expect_json "$T/out" '.alarms[0].next_command' "\"shadowsync sync $T/dmg $S\""

# The drop-in gates asd with the text report (ops_systemd runs it).
grep -q '^	exec "$SS" verify --gate --config "$conf" --progress=plain' \
	"$TOP/contrib/systemd/aerospike-prestart" || fail "the drop-in does not use the gate in text mode"
grep -q -- '--json' "$TOP/contrib/systemd/aerospike-prestart" && fail "the drop-in's gate is not in text mode"
exit 0
