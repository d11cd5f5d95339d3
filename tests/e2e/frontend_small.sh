# The small things an operator expects: -V/--version; "did you mean" for a
# mistyped command; --server-version limited to the servers the
# predictions know; --quiet prints errors, warnings and the result line
# only; manifest show reports the header's partitions as inspect does;
# the progress line (on a terminal) sums a --config run with rate and ETA;
# an unreadable mount table is an error, not "not mounted".
. "$(dirname "$0")/../lib.sh"
need_cmd zstd script
fixtures "$T/fx"
M=1048576
L=$T/fx/ns1-a.dat S=$T/fx/ns1-a.shadow

for v in -V --version; do
	run_ss "$T/out" "$T/err" $v
	expect_rc 0
	grep -q "^shadowsync [0-9]" "$T/out" || fail "$v: $(cat "$T/out")"
done
run_ss "$T/out" "$T/err" verfy "$L" "$S"
expect_rc 2
grep -q "unknown command 'verfy'; did you mean 'verify'?" "$T/err" || fail "$(cat "$T/err")"

for bad in 9.0 3.9 8.2; do
	run_ss "$T/out" "$T/err" verify "$L" "$S" --server-version $bad
	expect_rc 2 "--server-version $bad"
	grep -q "the cold-start predictions know servers 4.0 to 8.1" "$T/err" || fail "$(cat "$T/err")"
done
run_ss "$T/out" "$T/err" verify "$L" "$S" --server-version 8.1.0.3
expect_rc 0

# --quiet: the result line, and the reason of an exit 1.
mkrand "$T/a" $((2 * M)); cp "$T/a" "$T/b"; flip "$T/b" 5
run_ss "$T/out" "$T/err" verify "$T/a" "$T/b" --quiet
expect_rc 1
[ "$(wc -l <"$T/out")" = 2 ] || fail "--quiet: $(cat "$T/out")"
grep -q "^verify: DIFFER" "$T/out" && tail -1 "$T/out" | grep -q "^exit status 1: " || fail "--quiet: $(cat "$T/out")"
run_ss "$T/out" "$T/err" -q check "$T/a" "$T/nope"
expect_rc 2
[ -s "$T/out" ] && fail "-q error: stdout $(cat "$T/out")"

# manifest show: partitions with metadata, as inspect.
"$SS" hash "$L" -o "$T/l.man" >/dev/null || fail hash
want=$("$SS" inspect "$L" --json | jq .aerospike.partitions_with_pmeta)
[ "$want" -gt 0 ] || fail "fixture has no partitions with metadata"
run_ss "$T/out" "$T/err" manifest show "$T/l.man" --json
expect_rc 0
expect_json "$T/out" .manifest.aerospike.partitions_with_pmeta "$want"
run_ss "$T/out" "$T/err" manifest show "$T/l.man"
expect_rc 0
grep -q "^  partitions with metadata  $want of 4096$" "$T/out" || fail "$(head -8 "$T/out")"

# The progress line: on a terminal only, summed over the pairs of --config.
mkrand "$T/p1" $((256 * M)); cp "$T/p1" "$T/p2"; cp "$T/p1" "$T/p3"; cp "$T/p1" "$T/p4"
printf 'namespace ns {\n storage-engine device {\n  file %s %s\n  file %s %s\n }\n}\n' \
	"$T/p1" "$T/p2" "$T/p3" "$T/p4" >"$T/c.conf"
script -qec "'$SS' verify --config '$T/c.conf' --queue-depth 1 --io-size 4K --engine psync" /dev/null >"$T/tty" 2>&1
tr '\r' '\n' <"$T/tty" | grep -aqE "^verify: +[0-9]+%  [0-9.]+ [KMG]iB of 512.0 MiB  [0-9.]+ [KMG]?i?B/s  ETA [0-9]+:[0-9][0-9]  \(2 pairs\)" ||
	fail "no progress line: $(tr '\r' '\n' <"$T/tty" | head -5)"
"$SS" verify --config "$T/c.conf" >"$T/out" 2>"$T/err"
grep -q "ETA" "$T/err" && fail "progress on a pipe"

# An unreadable mount table: cannot tell, so refuse. (Not under ASan: its
# runtime reads its options and maps from /proc, which this hides.)
need_root "mount namespaces"
if [ -z "${ASAN_OPTIONS:-}" ]; then
	unshare -m sh -c "mount -t tmpfs tmpfs /proc && '$SS' sync '$T/a' '$T/b'" >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 2 "no mount table: $(cat "$T/err")"
	grep -q "cannot tell whether local '$T/a' is mounted" "$T/err" || fail "$(cat "$T/err")"
	cmp -s "$T/a" "$T/b" && fail "synced without a mount table"
fi
exit 0
