#!/bin/sh
# tests/fuzz/run.sh SECONDS TARGET... - `make fuzz`: run each libFuzzer
# target for SECONDS on a scratch copy of its corpus (new inputs land in
# build-fuzz/work-NAME, never in the tree). A crash, leak or timeout
# fails the run and leaves build-fuzz/crash-NAME-*: fix it, then copy the
# input into tests/fuzz/corpus/NAME/ so test_fuzz_corpus replays it in
# every make test.
secs=$1
shift
cd "$(dirname "$0")/../.." || exit 2
failed=""
for t in "$@"; do
	name=${t##*/fuzz_}
	corpus=tests/fuzz/corpus/$name
	# fuzz_smd.c's module-file target keeps its seeds as smdfile/.
	[ "$name" = smd ] && corpus=tests/fuzz/corpus/smdfile
	[ -d "$corpus" ] || { echo "fuzz: no corpus $corpus for $t" >&2; failed="$failed $name"; continue; }
	work=build-fuzz/work-$name
	mkdir -p "$work"
	# Longest input per target: enough for what it reads.
	case $name in
	aerohdr) max_len=150000 ;;
	manifest) max_len=8192 ;;
	size) max_len=80 ;;
	records) max_len=16384 ;;
	*) max_len=4096 ;;
	esac
	dict=""
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
	echo "== fuzz_$name: ${secs}s"
	if ! "$t" -max_total_time="$secs" -max_len=$max_len -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 $dict \
		-artifact_prefix="build-fuzz/crash-$name-" "$work" "$corpus" \
		>"build-fuzz/$name.log" 2>&1; then
		failed="$failed $name"
		grep -E 'ERROR|SUMMARY|^==|Test unit written|^tests/fuzz/fuzz_[a-z_]+\.c:[0-9]+: ' "build-fuzz/$name.log" | head -20
	fi
	grep -E '^stat::number_of_executed_units|^stat::new_units_added' "build-fuzz/$name.log" |
		tr '\n' ' '
	echo
done
if [ -n "$failed" ]; then
	echo "fuzz: crashes in:$failed (inputs in build-fuzz/crash-*; logs build-fuzz/*.log)"
	exit 1
fi
echo "fuzz: no crash in $# targets, ${secs}s each"
