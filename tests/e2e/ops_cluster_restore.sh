# contrib/ansible/cluster-restore.yml for real, with ansible-core against
# three "nodes" (localhost, ansible_connection=local, a conf, blank device
# files and a work directory each): every device restored from its image
# (checked against the image's manifest), the SMD bundle restored, verify
# --gate, and only then asd "started" on every node (a marker file). When
# one node's restore fails, nothing is started anywhere and the play says
# which node.
. "$(dirname "$0")/../lib.sh"
need_cmd ansible-playbook zstd jq

A=$TOP/contrib/ansible
fixtures "$T/img"
for f in "$T"/img/*; do
	"$SS" hash "$f" -o "$f.man" >/dev/null 2>"$T/err" || fail "hash $f: $(cat "$T/err")"
done
mkdir -p "$T/smdsrc/smd"
cp "$TOP"/tests/fixtures/smd-example/*.smd "$T/smdsrc/smd/"
run_ss "$T/out" "$T/err" smd save --work-dir "$T/smdsrc" -o "$T/smd.tar"
expect_rc 0 "$(cat "$T/err")"

nodes() {	# nodes MANIFEST-OF-NODE2-NS1-B: write the inventory, blank devices
	local n f
	{
		echo "all:"
		echo "  children:"
		echo "    aerospike:"
		echo "      vars:"
		echo "        ansible_connection: local"
		echo "        ansible_python_interpreter: /usr/bin/python3"
		echo "        shadowsync_bin: $SS"
		echo "        shadowsync_smd_bundle: $T/smd.tar"
		echo "        shadowsync_tmp: $T"
		echo "      hosts:"
		for n in 1 2 3; do
			rm -rf "$T/n$n" && mkdir -p "$T/n$n"
			sed -e "s|@DATA@|$T/n$n|g" -e "s|@RUN@|$T/n$n/run|g" -e "s|@LOG@|$T/n$n/log|g" \
				"$TOP/tests/fixtures/aerospike-8.1-clean/aerospike.conf" >"$T/n$n/aerospike.conf"
			echo "        node$n:"
			echo "          shadowsync_config: $T/n$n/aerospike.conf"
			echo "          shadowsync_work_dir: $T/n$n/work"
			echo "          shadowsync_start_command: [touch, $T/n$n/started]"
			echo "          shadowsync_restores:"
			for f in ns1-a.dat ns1-a.shadow ns1-b.dat ns1-b.shadow; do
				truncate -s "$(stat -c %s "$T/img/$f")" "$T/n$n/$f"
				man=$T/img/$f.man
				[ $n = 2 ] && [ $f = ns1-b.dat ] && man=$1
				echo "            - {source: $T/img/$f, target: $T/n$n/$f, manifest: $man}"
			done
		done
	} >"$T/inv.yml"
}
play() {
	ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$T/ansible-tmp ANSIBLE_REMOTE_TEMP=$T/ansible-tmp \
		ansible-playbook -i "$T/inv.yml" "$A/cluster-restore.yml" \
		-e shadowsync_reports_dir="$T/reports" "$@" >"$T/play" 2>&1
	RC=$?
}

# All good: every node restored, SMD in place, verified, then started.
nodes "$T/img/ns1-b.dat.man"
play -e batch=2
expect_rc 0 "the play: $(tail -25 "$T/play")"
for n in 1 2 3; do
	for f in ns1-a.dat ns1-a.shadow ns1-b.dat ns1-b.shadow; do
		cmp -s "$T/img/$f" "$T/n$n/$f" || fail "node$n: $f is not the image"
	done
	run_ss "$T/out" "$T/err" smd check "$T/smd.tar" "$T/n$n/work"
	expect_rc 0 "node$n's SMD: $(cat "$T/out" "$T/err")"
	[ -e "$T/n$n/started" ] || fail "node$n was not started"
	jq -e '.exit_status == 0 and .command == "verify"' "$T/reports/node$n.json" >/dev/null ||
		fail "node$n's verify report"
	for i in 0 1 2 3; do
		jq -e '.command == "restore" and .exit_status == 0' "$T/reports/node$n.restore$i.json" >/dev/null ||
			fail "node$n's restore report $i"
	done
done
grep -q "all 3 nodes restored and verified" "$T/play" || fail "no summary: $(tail -20 "$T/play")"

# Node 2's image does not match its manifest (another image's): its
# restore fails, and no node is started, not even the ones that passed.
nodes "$T/img/ns1-a.dat.man"
play
[ "$RC" != 0 ] || fail "the play passed with a failed restore on node2"
for n in 1 2 3; do
	[ -e "$T/n$n/started" ] && fail "node$n was started though node2 failed"
done
grep -q "not starting asd anywhere: node2 did not pass" "$T/play" ||
	fail "summary: $(grep -i 'fail\|msg' "$T/play" | tail -10)"
jq -e '.exit_status == 2' "$T/reports/node2.restore2.json" >/dev/null ||
	fail "node2's failed restore report: $(cat "$T/reports/node2.restore2.json")"
exit 0
