# Paths and namespaces are bytes, not always UTF-8, and may hold a
# newline. With --json stdout is always one valid JSON object with every
# fact in it (bytes that are not UTF-8 written as \xHH); text output and
# stderr keep one line per message (control characters as \xHH).
. "$(dirname "$0")/../lib.sh"
need_mkaero
M=1048576
odd=$'\xff\xfeodd'
nl=$'new\nline'

mkrand "$T/$odd.shadow" $((2 * M))
cp "$T/$odd.shadow" "$T/$nl.local"
flip "$T/$nl.local" 100

run_ss "$T/out" "$T/err" verify "$T/$nl.local" "$T/$odd.shadow" --json
expect_rc 1 "$(cat "$T/err")"
jq -e . "$T/out" >/dev/null || fail "not JSON: $(head -c 300 "$T/out")"
expect_json "$T/out" .pairs[0].local.path "$(jq -n --arg p "$T/$nl.local" '$p' -c)"
expect_json "$T/out" .pairs[0].shadow.path "\"$T/\\\\xff\\\\xfeodd.shadow\""
expect_json "$T/out" '.pairs[0].extents | length' 1

# Text: every line of the report is one line; the newline is shown as \x0a.
run_ss "$T/out" "$T/err" verify "$T/$nl.local" "$T/$odd.shadow"
expect_rc 1
grep -q "^  local   $T/new\\\\x0aline.local " "$T/out" || fail "text: $(cat "$T/out")"
grep -q "^line" "$T/out" && fail "a path broke a line: $(cat "$T/out")"

# An error naming such a path: one stderr line, and one JSON object.
run_ss "$T/out" "$T/err" verify "$T/$nl.missing" "$T/$odd.shadow"
expect_rc 2
[ "$(wc -l <"$T/err")" = 1 ] || fail "stderr: $(cat "$T/err")"
grep -q "new\\\\x0aline.missing" "$T/err" || fail "stderr: $(cat "$T/err")"
run_ss "$T/out" "$T/err" verify "$T/$nl.missing" "$T/$odd.shadow" --json
expect_rc 2
expect_json "$T/out" .exit_status 2
expect_json "$T/out" '.pairs[0].error | test("cannot be opened")' true

# A namespace that is not UTF-8, from a device header.
"$MKAERO" "$T/ns.img" --size 16M --namespace $'n\xe9\xff' --flags TRUSTED || fail mkaero
run_ss "$T/out" "$T/err" inspect "$T/ns.img" --json
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" .aerospike.namespace '"n\\xe9\\xff"'
run_ss "$T/out" "$T/err" inspect "$T/ns.img"
expect_rc 0
grep -q 'namespace         n\\xe9\\xff$' "$T/out" || fail "text: $(cat "$T/out")"
exit 0
