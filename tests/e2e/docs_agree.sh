# Every command's --help, the man page and the README agree: the same
# options (both ways), defaults, exit statuses, cold-start verdicts, and
# every JSON key of docs/schema described in the man page.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip "python3 is not installed"
$PY "$TOP/tests/tools/docs_agree.py" "$SS" "$TOP" >"$T/out" 2>&1 ||
	fail "the docs disagree:$(printf '\n'; cat "$T/out")"
exit 0
