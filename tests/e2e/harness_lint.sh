# The end-to-end tests check what they claim: every shadowsync run's exit
# status is checked, pipefail stays on, no "|| true" swallows a run
# (tests/tools/lint_tests.py).
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip "python3 is not installed"
$PY "$TOP/tests/tools/lint_tests.py" "$TOP/tests/e2e" >"$T/out" 2>&1 ||
	fail "tests that can pass by accident:$(printf '\n'; cat "$T/out")"
exit 0
