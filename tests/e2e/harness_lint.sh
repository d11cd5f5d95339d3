# The end-to-end tests check what they claim: every shadowsync run's exit
# status is checked, pipefail stays on, no "|| true" swallows a run
# (tests/tools/lint_tests.py). And the layers stay apart (DESIGN.md):
# nothing in engine/, source/ or verify/ includes aerospike/ or cli/, and
# nothing in aerospike/ includes cli/.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip "python3 is not installed"
$PY "$TOP/tests/tools/lint_tests.py" "$TOP/tests/e2e" >"$T/out" 2>&1 ||
	fail "tests that can pass by accident:$(printf '\n'; cat "$T/out")"
cd "$TOP" || fail "cannot cd to $TOP"
bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]*/)?(aerospike|cli)/' \
	engine/*.[ch] source/*.[ch] verify/*.[ch]
      grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]*/)?cli/' aerospike/*.[ch])
[ -z "$bad" ] || fail "a lower layer includes a higher one:$(printf '\n%s' "$bad")"
exit 0
