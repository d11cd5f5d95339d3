# inspect decodes device headers: the real 8.1 images (values from the
# fixture README), generated formats 2, 3 and 4, zeroed and foreign
# devices; a device shorter than the header region is a clear error.
. "$(dirname "$0")/../lib.sh"
need_mkaero
fixtures "$T/fx"

M=1048576
ins() { run_ss "$T/out" "$T/err" inspect "$@" --json; expect_rc 0 "inspect $*: $(cat "$T/err")"; }

# The real server's images: namespace ns1, 2 devices, format 4, 8 MiB
# write-blocks, one random; TRUSTED; pristine_offset 16 MiB on locals only.
for f in a b; do
	id=$([ $f = a ] && echo 0 || echo 1)
	for side in dat shadow; do
		ins "$T/fx/ns1-$f.$side"
		expect_json "$T/out" .state '"aerospike"'
		expect_json "$T/out" .aerospike.format 4
		expect_json "$T/out" .aerospike.namespace '"ns1"'
		expect_json "$T/out" .aerospike.n_devices 2
		expect_json "$T/out" .aerospike.device_id $id
		expect_json "$T/out" .aerospike.random '"12f524141f699685"'
		expect_json "$T/out" .aerospike.flags '["TRUSTED"]'
		expect_json "$T/out" .aerospike.write_block_size_bytes 8388608
		expect_json "$T/out" .aerospike.pristine_offset_bytes \
			$([ $side = dat ] && echo 16777216 || echo 0)
		expect_json "$T/out" '.aerospike.partitions_with_pmeta > 0' true
	done
done

# Generated images, every field round-trips.
"$MKAERO" "$T/g4" --size 64M --namespace bar --n-devices 3 --device-id 2 \
	--random 0123456789abcdef --flags TRUSTED,SINGLE_BIN,CP,COMMIT_TO_DEVICE \
	--pristine 24M --pmeta 17 || fail mkaero
ins "$T/g4"
expect_json "$T/out" .aerospike \
	'{"format":4,"namespace":"bar","n_devices":3,"random":"0123456789abcdef","flags":["TRUSTED","SINGLE_BIN","CP","COMMIT_TO_DEVICE"],"write_block_size_bytes":8388608,"device_id":2,"pristine_offset_bytes":25165824,"partitions_with_pmeta":17}'
"$MKAERO" "$T/g3" --size 16M --format 3 --wbs 1M --flags ENCRYPTED --namespace older || fail mkaero
ins "$T/g3"
expect_json "$T/out" '.aerospike | [.format, .namespace, .flags, .write_block_size_bytes]' '[3,"older",["ENCRYPTED"],1048576]'
"$MKAERO" "$T/g2" --size 16M --format 2 --wbs 128K --flags TRUSTED,CP --n-devices 4 --namespace v2 || fail mkaero
ins "$T/g2"
expect_json "$T/out" .aerospike \
	'{"format":2,"namespace":"v2","n_devices":4,"random":"1234abcd5678ef01","flags":["TRUSTED","CP"],"write_block_size_bytes":131072,"device_id":null,"pristine_offset_bytes":null,"partitions_with_pmeta":null}'

# No magic: zeroed or something else.
"$MKAERO" "$T/zero" --size 9M --zero || fail mkaero
ins "$T/zero"
expect_json "$T/out" '[.state, .aerospike]' '["zeroed",null]'
"$MKAERO" "$T/junk" --size 9M --garbage || fail mkaero
ins "$T/junk"
expect_json "$T/out" '[.state, .aerospike]' '["not-aerospike",null]'
# Zero header struct but a stray byte later in the region: not zeroed.
cp "$T/zero" "$T/late"; put_byte "$T/late" $((8 * M - 1)) 01
ins "$T/late"
expect_json "$T/out" .state '"not-aerospike"'

# Text form.
run_ss "$T/out" "$T/err" inspect "$T/fx/ns1-b.dat"
expect_rc 0
grep -q '^  flags             TRUSTED$' "$T/out" || fail "text flags: $(cat "$T/out")"
grep -q '^  device_id         1$' "$T/out" || fail "text device_id"

# Short devices: one clear line, exit 2, nothing read past the end.
head -c $((8 * M - 1)) "$T/fx/ns1-a.dat" >"$T/short"
run_ss "$T/out" "$T/err" inspect "$T/short"
expect_rc 2
grep -q "'$T/short' is 8388607 bytes, shorter than the 8 MiB Aerospike header region" "$T/err" || fail "$(cat "$T/err")"
[ -s "$T/out" ] && fail "short: stdout not empty"
head -c $((8 * M)) "$T/fx/ns1-a.dat" >"$T/exact"
ins "$T/exact"
expect_json "$T/out" .aerospike.namespace '"ns1"'
run_ss "$T/out" "$T/err" inspect "$T/nope"
expect_rc 2
run_ss "$T/out" "$T/err" inspect
expect_rc 2
run_ss "$T/out" "$T/err" inspect "$T/g4" "$T/g3"
expect_rc 2
exit 0
