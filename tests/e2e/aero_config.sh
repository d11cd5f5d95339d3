# verify and sync --config: every `device`/`file` pair of aerospike.conf
# (comments, nested braces, odd spacing, several namespaces), pairs in
# parallel; the namespace-wide checks asd makes; a malformed conf is one
# line naming file:line and what was expected.
. "$(dirname "$0")/../lib.sh"
need_mkaero
fixtures "$T/fx"
M=1048576

# The real server's conf, pointed at the unpacked images.
sed -e "s|@DATA@|$T/fx|g" -e "s|@RUN@|$T/run|g" -e "s|@LOG@|$T/log|g" \
	"$TOP/tests/fixtures/aerospike-8.1-clean/aerospike.conf" >"$T/real.conf"
for th in 1 2; do
	run_ss "$T/out" "$T/err" verify --config "$T/real.conf" --threads $th --json
	expect_rc 0 "real conf, $th threads: $(cat "$T/err")"
	expect_json "$T/out" '[.pairs[] | [.namespace, .local.path, .shadow.path, .result, .cold_start.verdict]]' \
		"[[\"ns1\",\"$T/fx/ns1-a.dat\",\"$T/fx/ns1-a.shadow\",\"match\",\"load-local\"],[\"ns1\",\"$T/fx/ns1-b.dat\",\"$T/fx/ns1-b.shadow\",\"match\",\"load-local\"]]"
done
run_ss "$T/out" "$T/err" verify --config "$T/real.conf" --namespace ns1
expect_rc 0
grep -q '^verify: MATCH, 2 pairs: 2 identical, 0 differ, 0 failed' "$T/out" || fail "text: $(head -3 "$T/out")"

# Two namespaces, comments, tabs, braces without spaces, nested contexts,
# settings to skip, a namespace without shadows and one in memory.
for n in 1 2 3 4; do
	"$MKAERO" "$T/s$n" --size 64M --namespace $([ $n -le 2 ] && echo alpha || echo beta) \
		--n-devices 2 --device-id $(( (n - 1) % 2 )) --random $([ $n -le 2 ] && echo aa || echo bb) \
		--flags TRUSTED --used 1 || fail mkaero
	cp "$T/s$n" "$T/l$n"
done
flip "$T/l4" $((8 * M + 5))
cat >"$T/two.conf" <<CONF
# two namespaces with shadows
service {
	proto-fd-max 1024   # trailing comment
}
logging {
	file /var/log/aerospike.log {
		context any info
	}
}
namespace alpha {
	replication-factor 2
	storage-engine device {
		device $T/l1 $T/s1
		device	$T/l2	$T/s2   # tab separated
		write-block-size 8M
		flush-size 1M
	}
}
namespace   plain{
	storage-engine device{
		file /nonexistent/plain.dat
		filesize 128M
	}
}
namespace beta{
	storage-engine device {
		file $T/l3 $T/s3
		file $T/l4 $T/s4}
	# a comment with { braces } in it
}
namespace mem {
	storage-engine memory
}
CONF
run_ss "$T/out" "$T/err" verify --config "$T/two.conf" --json
expect_rc 1 "$(cat "$T/err")"
expect_json "$T/out" '[.pairs[] | [.namespace, .result]]' '[["alpha","match"],["alpha","match"],["beta","match"],["beta","differ"]]'
expect_json "$T/out" '.pairs[3].extents' "[{\"offset_bytes\":$((8 * M)),\"length_bytes\":$((8 * M)),\"region\":\"data\"}]"
expect_json "$T/out" '.pairs[3].cold_start.data_matches' false
run_ss "$T/out" "$T/err" verify --config "$T/two.conf" --namespace alpha --json
expect_rc 0
expect_json "$T/out" '.pairs | length' 2

# sync --config repairs every pair; then everything matches.
run_ss "$T/out" "$T/err" sync --config "$T/two.conf" --json
expect_rc 0 "$(cat "$T/err")"
expect_json "$T/out" .result '"synced"'
expect_json "$T/out" '[.pairs[].bytes_written]' "[0,0,0,$((8 * M))]"
run_ss "$T/out" "$T/err" verify --config "$T/two.conf"
expect_rc 0

# The config's namespace must be the shadow header's.
sed 's/namespace beta{/namespace gamma{/' "$T/two.conf" >"$T/renamed.conf"
run_ss "$T/out" "$T/err" verify --config "$T/renamed.conf" --namespace gamma --json
expect_rc 1
expect_json "$T/out" '[.pairs[].cold_start.message]' \
	"[\"$T/s3: previous namespace beta now gamma - check config or erase device\",\"$T/s3: previous namespace beta now gamma - check config or erase device\"]"

# Drive set checks across the namespace: different random, different
# n_devices; asd names the local devices and the whole namespace stops.
"$MKAERO" "$T/s2" --size 64M --namespace alpha --n-devices 2 --device-id 1 --random cc --flags TRUSTED --used 1
cp "$T/s2" "$T/l2"
run_ss "$T/out" "$T/err" verify --config "$T/two.conf" --namespace alpha --json
expect_rc 1
expect_json "$T/out" '[.pairs[].cold_start.verdict]' '["crash","crash"]'
expect_json "$T/out" '.pairs[0].cold_start.message' \
	"\"{alpha} drive set with unmatched headers - devices $T/l1 & $T/l2 have different signatures\""
"$MKAERO" "$T/s2" --size 64M --namespace alpha --n-devices 3 --device-id 1 --random aa --flags TRUSTED --used 1
cp "$T/s2" "$T/l2"
run_ss "$T/out" "$T/err" verify --config "$T/two.conf" --namespace alpha --json
expect_rc 1
expect_json "$T/out" '.pairs[1].cold_start.message' \
	"\"{alpha} drive set with unmatched headers - devices $T/l1 & $T/l2 have different device counts\""
# A fresh (zero) shadow in the set is skipped by that check, as asd does.
"$MKAERO" "$T/s2" --size 64M --zero
cp "$T/s2" "$T/l2"
run_ss "$T/out" "$T/err" verify --config "$T/two.conf" --namespace alpha --json
expect_rc 0 "--namespace alpha: $(cat "$T/err")"
expect_json "$T/out" '[.pairs[].cold_start.verdict]' '["load-local","reinit-from-shadow"]'

# Malformed and unusable confs: exit 2, one line FILE:LINE: what.
bad() {
	local name=$1 pattern=$2
	printf '%b' "$3" >"$T/bad.conf"
	shift 3
	run_ss "$T/out" "$T/err" verify --config "$T/bad.conf" "$@"
	expect_rc 2 "$name"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$name: want one line: $(cat "$T/err")"
	grep -qE -e "$pattern" "$T/err" || fail "$name: '$pattern' not in: $(cat "$T/err")"
	note "$name: $(cat "$T/err")"
}
bad unclosed "^shadowsync: $T/bad.conf:1: 'namespace a \\{' is never closed \\(expected '\\}'\\)$" \
	'namespace a {\n storage-engine device {\n device /x /y\n }\n'
bad stray-brace "^shadowsync: $T/bad.conf:3: unexpected '\\}' \\(no context is open\\)$" \
	'namespace a {\n}\n}\n'
bad three-paths "$T/bad.conf:3: expected 'device PATH \\[SHADOW-PATH\\]', got 3 paths" \
	'namespace a {\nstorage-engine device {\ndevice /a /b /c\n}\n}\n'
bad no-paths "$T/bad.conf:3: expected 'file PATH \\[SHADOW-PATH\\]', got 0 paths" \
	'namespace a {\nstorage-engine device {\nfile\n}\n}\n'
bad some-shadows "$T/bad.conf:4: namespace 'a': '/b' has no shadow but other devices do \\(all or none\\)" \
	'namespace a {\nstorage-engine device {\ndevice /a /as\ndevice /b\n}\n}\n'
bad namespace-name "$T/bad.conf:1: expected 'namespace NAME \\{'" \
	'namespace {\n}\n'
bad top-level-word "$T/bad.conf:1: expected 'NAME \\{' at top level, got 'device'" \
	'device /a /b\n'
bad bad-filesize "$T/bad.conf:3: filesize 'lots': expected a size like 128M \\(" \
	'namespace a {\nstorage-engine device {\nfilesize lots\n}\n}\n'
bad no-pairs "no 'device LOCAL SHADOW' or 'file LOCAL SHADOW' line in '$T/bad.conf'" \
	'namespace a {\nstorage-engine memory\n}\n'
bad unknown-ns "namespace 'zz' is not in '$T/bad.conf'" \
	'namespace a {\nstorage-engine device {\ndevice /a /b\n}\n}\n' --namespace zz
run_ss "$T/out" "$T/err" verify --config "$T/missing.conf"
expect_rc 2
grep -q "cannot read config '$T/missing.conf': No such file or directory" "$T/err" || fail "$(cat "$T/err")"
run_ss "$T/out" "$T/err" verify --config "$T/two.conf" "$T/l1" "$T/s1"
expect_rc 2
grep -q "give --config or LOCAL SHADOW, not both" "$T/err" || fail "$(cat "$T/err")"
run_ss "$T/out" "$T/err" verify "$T/l1" "$T/s1" --namespace alpha
expect_rc 2
grep -q "\\-\\-namespace needs --config" "$T/err" || fail "$(cat "$T/err")"

# A pair that fails (missing device) does not hide the others' results.
cat >"$T/partial.conf" <<CONF
namespace alpha {
	storage-engine device {
		device $T/l1 $T/s1
		device $T/gone $T/s2
	}
}
CONF
run_ss "$T/out" "$T/err" verify --config "$T/partial.conf" --json
expect_rc 2
expect_json "$T/out" '[.pairs[].result]' '["match","error"]'
grep -q "local '$T/gone' cannot be opened: No such file or directory" "$T/err" || fail "$(cat "$T/err")"
exit 0
