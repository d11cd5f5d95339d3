#!/bin/sh
# tests/run.sh - run every test: the cmocka unit programs in build/tests/
# and the end-to-end scripts in tests/e2e/, each under a timeout.
# Exit status of a test: 0 pass, 77 skip (it printed why), else fail.
# T=PATTERN runs only the tests whose name contains PATTERN, TX=PATTERN
# leaves out those whose name contains it (e.g. TX=engine_fallback, which
# flips the host-wide kernel.io_uring_disabled, while another suite runs on
# the same host); UNIT_DIR says where the unit programs are (default
# build/tests).
cd "$(dirname "$0")/.." || exit 2
logs=build/test-logs
mkdir -p "$logs"
rm -f "$logs"/*.failed.log
pass=0 fail=0 skip=0 failed=""
# Every unit program must have been built: a missing one is a failure,
# not a test that silently did not run.
for src in tests/unit/test_*.c; do
	name=$(basename "$src" .c)
	case "$name" in *"${T:-}"*) ;; *) continue ;; esac
	[ -x "${UNIT_DIR:-build/tests}/$name" ] && continue
	fail=$((fail + 1)); failed="$failed $name"
	echo "FAIL  $name (not built: make unit)"
done
for t in ${UNIT_DIR:-build/tests}/test_* tests/e2e/*.sh; do
	[ -e "$t" ] || continue
	case "$t" in *.d) continue ;; esac
	name=$(basename "$t" .sh)
	case "$name" in *"${T:-}"*) ;; *) continue ;; esac
	[ -n "${TX:-}" ] && case "$name" in *"$TX"*) continue ;; esac
	start=$(date +%s)
	if [ "${t%.sh}" != "$t" ]; then
		timeout -k 10 "${TEST_TIMEOUT:-300}" bash "$t" >"$logs/$name.log" 2>&1
	else
		timeout -k 10 "${TEST_TIMEOUT:-300}" "$t" >"$logs/$name.log" 2>&1
	fi
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0)  pass=$((pass + 1)); echo "PASS  $name (${secs}s)" ;;
	77) skip=$((skip + 1))
	    echo "SKIP  $name: $(grep -m1 '^SKIP' "$logs/$name.log" | cut -c7-)" ;;
	*)  fail=$((fail + 1)); failed="$failed $name"
	    cp "$logs/$name.log" "$logs/$name.failed.log"
	    [ $rc = 124 ] && echo "FAIL  $name (timed out after ${secs}s)" ||
		echo "FAIL  $name (exit $rc, ${secs}s)"
	    tail -n 15 "$logs/$name.log" | sed 's/^/      | /' ;;
	esac
done
[ -n "$failed" ] && echo "failed:$failed (logs in $logs/)"
echo "$pass passed, $fail failed, $skip skipped"
if [ $((pass + fail)) = 0 ]; then
	echo "no test ran${T:+ (T=$T matches none)}"
	exit 1
fi
[ $fail -eq 0 ]
