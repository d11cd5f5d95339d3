# Randomised cross-check: random sizes (most not multiples of 4096), block
# sizes and planted differences; verify's extents must equal those derived
# independently from the planted offsets, and `cmp` must agree on whether
# the files differ at all. The seed is printed so a failure can be replayed
# (SEED=n).
. "$(dirname "$0")/../lib.sh"

SEED=${SEED:-$(od -An -tu2 -N2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
note "seed $SEED"
blocks="512 1536 4096 65536 1048576 3145728"

for i in $(seq 1 40); do
	SIZE=$(( (RANDOM * 32768 + RANDOM) % (12 * 1048576) + 1 ))
	set -- $blocks
	shift $((RANDOM % 6))
	BS=$1
	e=$(echo $ENGINES auto | tr ' ' '\n' | sed -n "$((RANDOM % 4 + 1))p")
	mkrand "$T/shadow" $SIZE
	cp "$T/shadow" "$T/local"
	n=$((RANDOM % 5))
	offs=""
	for k in $(seq 1 $n); do
		o=$(( (RANDOM * 32768 + RANDOM) % SIZE ))
		case $offs in *" $o "*) continue ;; esac
		offs="$offs $o "
		flip "$T/local" $o
	done
	qd=$((RANDOM % 64 + 1))
	run_ss "$T/out" "$T/err" verify "$T/local" "$T/shadow" --block-size $BS \
		--engine $e --queue-depth $qd --io-size $(( (RANDOM % 4 + 1) * 262144 )) --json
	if [ -z "$offs" ]; then
		expect_rc 0 "case $i: $(cat "$T/err")"
		cmp -s "$T/local" "$T/shadow" || fail "case $i: cmp says they differ"
		expect_json "$T/out" .pairs[0].extents '[]'
	else
		expect_rc 1 "case $i: $(cat "$T/err")"
		cmp -s "$T/local" "$T/shadow" && fail "case $i: cmp says identical"
		expect_json "$T/out" .pairs[0].extents "$(extents_of $offs)"
	fi
	expect_json "$T/out" .pairs[0].bytes_compared $SIZE
done
note "40 random cases agree"
exit 0
