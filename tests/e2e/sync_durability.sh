# The order of sync's writes, as the kernel sees them (strace, psync
# engine, so every write is a pwrite): on an Aerospike local that asd
# would load as it is, the guard (local's header page, TRUSTED cleared)
# is written and fdatasync'd before any data block; the data is
# fdatasync'd before the header region is written; the header region past
# its first 4 KiB is written and fdatasync'd before that first page
# (magic, TRUSTED) goes back on, and that page is fdatasync'd; and the
# read-back of the data comes after the data's fdatasync. Without these
# flushes a power cut could leave the header saying "complete" over
# half-written data, or over a stale rest of the header region.
# Per descriptor (local has an O_DIRECT one and a buffered one for the
# writes O_DIRECT cannot do): every write is fdatasync'd on the
# descriptor it went through, and the buffered one is fdatasync'd only
# when it was written.
. "$(dirname "$0")/../lib.sh"
need_cmd strace zstd
fixtures "$T/fx"
M=1048576
L=$T/fx/ns1-a.dat S=$T/fx/ns1-a.shadow
cp "$L" "$T/local"
flip "$T/local" $((8 * M + 100))		# a damaged record: load-local
flip "$T/local" 400000		# and a header-region byte past the struct
traced -f -e trace=openat,close,pwrite64,pread64,fdatasync,fsync -o "$T/trace" \
	"$SS" sync "$T/local" "$S" --engine psync >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "$(cat "$T/err")"
# Repaired: the shadow's bytes, with local's own pristine_offset.
cmp -s "$T/local" "$L" || fail "local is not the repaired image"

# Local's events in order, one a line: W offset, F (a flush), R offset.
awk -v local="$T/local" '
	/openat\(/ && index($0, "\"" local "\"") && / = [0-9]+$/ { fd[$NF] = 1; next }
	/close\(/ { c = $0; sub(/.*close\(/, "", c); sub(/\).*/, "", c); delete fd[c]; next }
	{ f = $0; sub(/^[0-9]+ +/, "", f); sub(/^[a-z0-9]+\(/, "", f); sub(/[,)].*/, "", f) }
	!(f in fd) { next }
	/pwrite64\(/ { n = split($0, a, ", "); o = a[n]; sub(/\).*/, "", o); print "W", o; next }
	/pread64\(/ { n = split($0, a, ", "); o = a[n]; sub(/\).*/, "", o); print "R", o; next }
	/fdatasync\(|fsync\(/ { print "F" }' "$T/trace" >"$T/events"
note "events: $(tr '\n' ' ' <"$T/events" | cut -c1-400)"
awk -v hdr=$((8 * M)) '
	$1 == "F" { lastF = NR
		    if (rest && !page0) restF = NR
		    if (guard && !guardF) guardF = NR
		    if (lastdata && !dataF) dataF = NR
		    if (hwrite) hdrF = NR; next }
	$1 == "W" && $2 == 0 && !guard && !lastdata { guard = NR; next }
	$1 == "W" && $2 >= hdr { if (!guardF) bad = bad " data-before-guard-flush"
				 if (hwrite) bad = bad " data-after-header"
				 lastdata = NR; wpos[$2] = NR; next }
	$1 == "W" && $2 < hdr { hwrite = NR
				if (!dataF || dataF < lastdata) bad = bad " header-before-data-flush"
				if ($2 == 0) { page0 = NR; if (rest && restF <= rest) bad = bad " page0-before-rest-flush" }
				else { rest = NR; if (page0) bad = bad " header-rest-after-page0" }
				next }
	$1 == "R" && ($2 in wpos) && NR > wpos[$2] {
				rb = 1
				if (lastF < wpos[$2]) bad = bad " readback-before-flush" }
	END {
		if (!guard) bad = bad " no-guard"
		if (!lastdata) bad = bad " no-data"
		if (!hwrite) bad = bad " no-header-write"
		if (!hdrF || hdrF < page0) bad = bad " header-not-flushed"
		if (!page0) bad = bad " no-page0-write"
		if (!rest) bad = bad " no-header-rest-write"
		if (!rb) bad = bad " no-readback"
		print bad
	}' "$T/events" >"$T/verdict"
[ -z "$(tr -d ' \n' <"$T/verdict")" ] || fail "write order:$(cat "$T/verdict")"
# fd_flushes TRACE: local's descriptors, each write followed by an
# fdatasync of the same descriptor before it closes? Prints what is wrong
# ("unflushed-buffered", "idle-flush-buffered", ...), and "buffered-written"
# when a write went through the buffered descriptor.
fd_flushes() {
	awk -v local="$T/local" '
	function kind(d) { return direct[d] ? "direct" : "buffered" }
	/openat\(/ && index($0, "\"" local "\"") && /O_RDWR/ && / = [0-9]+$/ {
		fd[$NF] = 1; direct[$NF] = /O_DIRECT/; next }
	{ f = $0; sub(/^[0-9]+ +/, "", f); sub(/^[a-z0-9]+\(/, "", f); sub(/[,)].*/, "", f) }
	!(f in fd) { next }
	/pwrite64\(/ { dirty[f] = 1; if (!direct[f]) print "buffered-written"; next }
	/fdatasync\(|fsync\(/ { if (!dirty[f] && !direct[f]) print "idle-flush-" kind(f)
				 dirty[f] = 0; next }
	/close\(/ { if (dirty[f]) print "unflushed-" kind(f); delete fd[f]; delete dirty[f] }
	END { for (d in dirty) if (dirty[d]) print "unflushed-" kind(d) }' "$1" | sort -u
}
bad=$(fd_flushes "$T/trace" | grep -v '^buffered-written$' | tr '\n' ' ')
[ -z "$bad" ] || fail "aerospike local, per descriptor: $bad"

# A file whose last block is short: that block cannot go O_DIRECT, so it
# goes through the buffered descriptor, which must then be flushed.
mkrand "$T/shadow" $((M + 1000))
cp "$T/shadow" "$T/local"
flip "$T/local" 5
flip "$T/local" $((M + 999))
traced -f -e trace=openat,close,pwrite64,fdatasync,fsync -o "$T/trace2" \
	"$SS" sync "$T/local" "$T/shadow" --engine psync >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "$(cat "$T/err")"
cmp -s "$T/local" "$T/shadow" || fail "local is not the shadow's copy"
fd_flushes "$T/trace2" >"$T/verdict2"
qgrep -x buffered-written "$T/verdict2" ||
	fail "no write went through the buffered descriptor: the case tests nothing"
bad=$(grep -vx buffered-written "$T/verdict2" | tr '\n' ' ')
[ -z "$bad" ] || fail "short last block, per descriptor: $bad"
exit 0
