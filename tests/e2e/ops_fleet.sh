# The fleet tools, run for real: contrib/ansible/preflight.yml with
# ansible-core against three "nodes" (localhost, ansible_connection=local,
# a conf and data files each): all clean passes with one OK line per node;
# a damaged node fails the play while every node's report still reaches
# the controller; batches of one run too; a report of an earlier run is
# never taken for this one. contrib/ssm's document is valid JSON with the
# fields Run Command needs, and its script, with the parameters put in,
# gives the gate's answer on a real conf.
. "$(dirname "$0")/../lib.sh"
need_cmd ansible-playbook zstd jq

A=$TOP/contrib/ansible
for n in 1 2 3; do
	fixtures "$T/n$n"
	sed -e "s|@DATA@|$T/n$n|g" -e "s|@RUN@|$T/n$n/run|g" -e "s|@LOG@|$T/n$n/log|g" \
		"$TOP/tests/fixtures/aerospike-8.1-clean/aerospike.conf" >"$T/n$n/aerospike.conf"
done
inventory() {	# inventory BIN3: node3's shadowsync binary
	cat >"$T/inv" <<EOF
[aerospike]
node1 shadowsync_config=$T/n1/aerospike.conf
node2 shadowsync_config=$T/n2/aerospike.conf
node3 shadowsync_config=$T/n3/aerospike.conf shadowsync_bin=$1
[aerospike:vars]
ansible_connection=local
ansible_python_interpreter=/usr/bin/python3
shadowsync_bin=$SS
EOF
}
play() {	# play ARGS...: RC, output in $T/play
	ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$T/ansible-tmp ANSIBLE_REMOTE_TEMP=$T/ansible-tmp \
		ansible-playbook -i "$T/inv" "$A/preflight.yml" \
		-e shadowsync_reports_dir="$T/reports" "$@" >"$T/play" 2>&1
	RC=$?
}
line() { grep -o "\"msg\": \"$1: [^\"]*\"" "$T/play"; }

inventory "$SS"
play
expect_rc 0 "all clean: $(tail -20 "$T/play")"
for n in 1 2 3; do
	line node$n | qgrep "node$n: OK exit 0, 2 pairs, 0 differing, cold start load-local" ||
		fail "node$n's line: $(line node$n)"
	jq -e '.exit_status == 0 and .command == "verify"' "$T/reports/node$n.json" >/dev/null ||
		fail "node$n's report on the controller"
done
grep -q "all 3 nodes will start cleanly" "$T/play" || fail "no summary"

# A damaged local on node 3 (its shadow is TRUSTED): the play fails.
flip "$T/n3/ns1-a.dat" $((8 * 1048576 + 100))
play -e batch=1
[ "$RC" != 0 ] || fail "the play passed with a damaged node"
line node3 | qgrep "node3: FAIL exit 1.*serve its" || fail "node3's line: $(line node3)"
line node1 | qgrep "node1: OK" || fail "node1's line: $(line node1)"
grep -q "asd would not start cleanly on: node3 " "$T/play" || fail "summary: $(tail -20 "$T/play")"
for n in 1 2 3; do [ -s "$T/reports/node$n.json" ] || fail "no report of node$n"; done
[ "$(grep -c '^PLAY \[Verify each node' "$T/play")" = 3 ] || fail "batch=1 did not run three batches"

# No binary on node 3; its stale (passing) report must not be used.
"$SS" sync --config "$T/n3/aerospike.conf" >/dev/null 2>&1 || fail "repairing node3"
echo '{"exit_status": 0, "exit_reason": null}' >"$T/reports/node3.json"
inventory "$T/no/such/shadowsync"
play
[ "$RC" != 0 ] || fail "the play passed without a shadowsync on node3"
line node3 | qgrep "node3: FAIL" || fail "node3 without a binary: $(line node3)"

# The SSM document: the fields Run Command needs, every parameter used
# defined, and its script run here with them.
D=$TOP/contrib/ssm/shadowsync-preflight.json
jq -e '.schemaVersion == "2.2" and (.description | length > 0)
	and (.mainSteps | length > 0)
	and all(.mainSteps[]; .action == "aws:runShellScript" and (.name | test("^[A-Za-z0-9_.-]+$"))
		and (.inputs.runCommand | type == "array" and length > 0))
	and all(.parameters[]; .type == "String" and has("default"))' "$D" >/dev/null ||
	fail "the SSM document lacks required fields"
for p in $(jq -r '.mainSteps[].inputs.runCommand[]' "$D" | grep -o '{{ *[A-Za-z]* *}}' | tr -d '{} ' | sort -u); do
	jq -e --arg p "$p" '.parameters | has($p)' "$D" >/dev/null || fail "SSM: {{ $p }} is not a parameter"
done
ssm_run() {	# ssm_run CONF: the document's script with its parameters
	jq -r '.mainSteps[0].inputs.runCommand[]' "$D" |
		sed -e "s|{{ ConfigPath }}|$1|g" -e "s|{{ ShadowsyncPath }}|$SS|g" -e "s|{{ Threads }}|2|g" \
		>"$T/ssm.sh"
	sh "$T/ssm.sh" >"$T/ssm.out" 2>"$T/ssm.err"
	RC=$?
}
ssm_run "$T/n1/aerospike.conf"
expect_rc 0 "SSM on a clean node: $(cat "$T/ssm.err")"
jq -e '.command == "verify" and .gate.safe == true' "$T/ssm.out" >/dev/null || fail "SSM report"
flip "$T/n2/ns1-a.dat" $((8 * 1048576 + 100))
ssm_run "$T/n2/aerospike.conf"
expect_rc 1 "SSM on a damaged node"
grep -q "would not start cleanly" "$T/ssm.err" || fail "SSM's line: $(cat "$T/ssm.err")"
exit 0
