# Hostile input, one table: bad paths (symlink loops, FIFOs, /dev/null,
# /dev/zero as a shadow, directories, sockets, character devices, paths
# with a newline) for every command, bad arguments, malformed
# aerospike.conf files (unbalanced braces, 10,000 nested contexts, a 1 MB
# line, NUL bytes, `device` with one path, 200 devices in a namespace,
# FIFOs, /dev/zero, a 10 GiB file), bad --ranges files, truncated,
# garbage and oversized manifests, device headers with every field at its
# extremes, and record streams with every length field at its extremes.
# Each row gives the exit status and the one stderr line (a regular
# expression) it must produce, within SS_TIMEOUT (a hang is a
# failure), with nothing else on stderr; --json rows also give exactly one
# JSON object with that exit_status. make check-asan runs the same table
# against the ASan/UBSan build: nothing may crash or read out of bounds.
# Other tables of bad input: input_conf_sizes (conf size values),
# input_forged_manifest and manifest_damaged (manifest fields, one by
# one), verify_errors (unreadable files, unattached loop devices).
#
# Adding a command's rows: write them with `row` below; record streams
# are the RECORDS section at the end (rec_row: inspect --records and
# verify of each).
. "$(dirname "$0")/../lib.sh"
need_mkaero
need_cmd python3
export SS_TIMEOUT=20
M=1048576

mkrand "$T/s" $((16 * M))
cp "$T/s" "$T/l"
sum_before=$(cat "$T/l" "$T/s" | md5sum)
ln -s "$T/loop2" "$T/loop1"
ln -s "$T/loop1" "$T/loop2"
mkfifo "$T/fifo"
mkdir "$T/dir"
python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$T/sock" ||
	fail "cannot make a socket"
NL="$T/new
line"
: >"$NL"
NLMISSING="$T/no
such"
"$SS" hash "$T/s" -o "$T/good.man" >/dev/null || fail "hash"

rows=0
# row WANT PATTERN ARGS...: shadowsync ARGS exits WANT with exactly one
# stderr line matching PATTERN (an ERE; "" for rows that must print
# nothing on stderr), and with --json one object with that exit_status.
row() {
	local want=$1 pat=$2
	shift 2
	rows=$((rows + 1))
	run_ss "$T/out" "$T/err" "$@"
	[ $RC = 124 ] && fail "hangs: shadowsync $*"
	[ $RC -ge 128 ] && fail "killed by signal $((RC - 128)): shadowsync $*: $(tail -3 "$T/err")"
	expect_rc "$want" "shadowsync $*: $(head -3 "$T/err")"
	if [ -z "$pat" ]; then
		[ -s "$T/err" ] && fail "shadowsync $*: printed on stderr: $(head -3 "$T/err")"
	else
		[ "$(wc -l <"$T/err")" = 1 ] ||
			fail "shadowsync $*: not one line on stderr: $(head -5 "$T/err")"
		grep -Eq -- "$pat" "$T/err" ||
			fail "shadowsync $*: stderr '$(cat "$T/err")' does not match '$pat'"
	fi
	case " $* " in *" --help "*) return ;; esac
	run_ss "$T/out" "$T/err" "$@" --json
	expect_rc "$want" "shadowsync $* --json: $(head -3 "$T/err")"
	[ "$(jq -s length "$T/out")" = 1 ] || fail "shadowsync $* --json: not one JSON object"
	expect_json "$T/out" .exit_status "$want"
}

# -- Paths, for every command that takes one.
# bad_path PATTERN PATH: refused by every command, wherever the path goes.
bad_path() {
	local pat=$1 p=$2
	row 2 "local '.*' $pat" verify "$p" "$T/s"
	row 2 "shadow '.*' $pat" verify "$T/l" "$p"
	row 2 "local '.*' $pat" sync "$p" "$T/s"
	row 2 "shadow '.*' $pat" sync "$T/l" "$p"
	row 2 "'.*' $pat" hash "$p" -o "$T/x.man"
	row 2 "'.*' $pat" check "$p" "$T/good.man"
	row 2 "'.*' $pat" warm "$p"
	row 2 "'.*' $pat" inspect "$p"
}
bad_path "cannot be opened: Too many levels of symbolic links" "$T/loop1"
bad_path "is not a regular file or block device" "$T/fifo"
bad_path "is not a regular file or block device" /dev/null
bad_path "is not a regular file or block device" /dev/zero
bad_path "is not a regular file or block device" /dev/urandom
bad_path "is not a regular file or block device" "$T/sock"
bad_path "is a directory" "$T/dir"
bad_path "is empty \(0 bytes\)" "$NL"
bad_path "cannot be opened: No such file or directory" "$NLMISSING"
# A newline in a path is written as \x0a: the message stays one line.
row 2 "'$T/new\\\\x0aline' is empty" inspect "$NL"

# Manifests as inputs and outputs.
for p in "$T/fifo" /dev/zero /dev/null "$T/dir" "$T/sock" /dev/urandom; do
	row 2 "manifest '.*' is unusable: not a regular file" check "$T/l" "$p"
	row 2 "manifest '.*' is unusable: not a regular file" manifest show "$p"
done
row 2 "manifest '.*' is unusable: Too many levels of symbolic links" check "$T/l" "$T/loop1"
for p in "$T/fifo" /dev/null /dev/zero "$T/dir" "$T/sock"; do
	row 2 "cannot create manifest '.*': it is a" hash "$T/s" -o "$p"
	row 2 "cannot create manifest '.*': it is a" verify "$T/l" "$T/s" --manifest-out "$p"
done
head -c 300 "$T/good.man" >"$T/trunc.man"
row 2 "is unusable: truncated" check "$T/l" "$T/trunc.man"
mkrand "$T/garbage.man" 5000
row 2 "is unusable: not a shadowsync manifest" check "$T/l" "$T/garbage.man"
cp "$T/good.man" "$T/over.man"
head -c 100 /dev/urandom >>"$T/over.man"
row 2 "is unusable: truncated or overlong" check "$T/l" "$T/over.man"
cp "$T/good.man" "$T/huge.man"
truncate -s 50G "$T/huge.man"
row 2 "is unusable: truncated or overlong" check "$T/l" "$T/huge.man"
row 2 "is unusable: truncated or overlong" manifest show "$T/huge.man"
: >"$T/empty.man"
row 2 "is unusable: truncated" check "$T/l" "$T/empty.man"

# -- Arguments.
row 2 "--block-size '0': must be a multiple of 512" verify "$T/l" "$T/s" --block-size 0
row 2 "--block-size '1x': not a size" verify "$T/l" "$T/s" --block-size 1x
row 2 "--block-size '9{23}': too large" verify "$T/l" "$T/s" --block-size 99999999999999999999999
row 2 "--block-size '513': must be a multiple of 512" hash "$T/l" -o "$T/x.man" --block-size 513
row 2 "--memory '1': at least 1M" verify "$T/l" "$T/s" --memory 1
row 2 "--io-size '3': must be a multiple of 4K" check "$T/l" "$T/good.man" --io-size 3
row 2 "--queue-depth '0': expected 1 to 1024" warm "$T/l" --queue-depth 0
row 2 "--queue-depth '99999999999': expected 1 to 1024" sync "$T/l" "$T/s" --queue-depth 99999999999
row 2 "--threads '0': expected 1 to 64" verify "$T/l" "$T/s" --threads 0
row 2 "--engine 'bogus': expected auto" inspect "$T/l" --engine bogus
row 2 "--progress-interval '-1'" verify "$T/l" "$T/s" --progress-interval -1
row 2 "--server-version '99.1'" verify "$T/l" "$T/s" --server-version 99.1
row 2 "unknown option '--bogus'" sync "$T/l" "$T/s" --bogus
row 2 "expected LOCAL and SHADOW, got 1 path" verify "$T/l"
row 2 "expected LOCAL and SHADOW, got 3 paths" sync "$T/l" "$T/s" "$T/s"
row 2 "cannot create manifest '': the path is empty" hash "$T/l" -o ''

# -- warm --ranges files.
row 2 "no ranges in '.*fifo'" warm "$T/l" --ranges "$T/fifo"
row 2 "/dev/zero:1: a line longer than 255 bytes" warm "$T/l" --ranges /dev/zero
row 2 "/dev/urandom:[0-9]+: " warm "$T/l" --ranges /dev/urandom
row 2 "cannot read ranges '.*': it is a directory" warm "$T/l" --ranges "$T/dir"
row 2 "cannot read ranges '.*': Too many levels" warm "$T/l" --ranges "$T/loop1"
printf '0 99999999999999999999\n' >"$T/r"
row 2 "r:1: expected 'OFFSET LENGTH'" warm "$T/l" --ranges "$T/r"
printf '4096 %d\n' $((16 * M)) >"$T/r"
row 2 "r:1: range 4096\+16777216 is beyond the end" warm "$T/l" --ranges "$T/r"
printf '0 4096\n4096 4096 extra\n' >"$T/r"
row 2 "r:2: expected 'OFFSET LENGTH'" warm "$T/l" --ranges "$T/r"

# -- aerospike.conf. conf_row WANT PATTERN: verify and sync --config.
conf_row() {
	row "$1" "$2" verify --config "$T/a.conf"
	row "$1" "$2" sync --config "$T/a.conf" --dry-run
}
printf 'namespace ns {\n storage-engine device {\n  file %s %s\n }\n' "$T/l" "$T/s" >"$T/a.conf"
conf_row 2 "a.conf:2: 'storage-engine device \{' is never closed|a.conf:1: 'namespace ns \{' is never closed"
printf 'namespace ns {\n storage-engine device {\n  file %s %s\n }\n}\n}\n' "$T/l" "$T/s" >"$T/a.conf"
conf_row 2 "a.conf:6: unexpected '\}'"
python3 - "$T/a.conf" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("namespace ns {\n" + "a {\n" * 10000 + "}\n" * 10000 + "}\n")
PY
conf_row 2 "a.conf:17: contexts nested more than 16 deep"
python3 - "$T/a.conf" "$T/l" "$T/s" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("namespace ns {\n storage-engine device {\n  file %s %s\n" % (sys.argv[2], sys.argv[3]))
    f.write("  " + "x" * 1000000 + "\n }\n}\n")
PY
conf_row 2 "a.conf:4: a line of 1000003 bytes \(at most 4096\)"
printf 'namespace ns {\n storage-engine device {\n  file %s\0%s\n }\n}\n' "$T/l" "$T/s" >"$T/a.conf"
conf_row 2 "a.conf:3: a NUL byte"
printf 'namespace ns {\n storage-engine device {\n  device %s\n }\n}\n' "$T/l" >"$T/a.conf"
conf_row 2 "no 'device LOCAL SHADOW' or 'file LOCAL SHADOW' line"
python3 - "$T/a.conf" "$T" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("namespace ns {\n storage-engine device {\n")
    for i in range(200):
        f.write("  file %s/l%d %s/s%d\n" % (sys.argv[2], i, sys.argv[2], i))
    f.write(" }\n}\n")
PY
conf_row 2 "a.conf:1: namespace 'ns' has 200 devices, at most 128"
for p in "$T/fifo" /dev/zero /dev/urandom "$T/sock"; do
	row 2 "config '$p' is not a regular file" verify --config "$p"
done
row 2 "config '$T/dir' is a directory" sync --config "$T/dir"
row 2 "cannot read config '.*': Too many levels" verify --config "$T/loop1"
truncate -s 10G "$T/big.conf"
row 2 "config '.*' is larger than 1 MiB" verify --config "$T/big.conf"

# -- Device headers with every field at its extremes: inspect decodes
# them (exit 0, nothing on stderr); verify says what asd would do: start
# (0), or not (1, asd's own message, one WARNING line on stderr).
hdr_row() {
	local want=$1 pat=$2
	shift 2
	"$MKAERO" "$T/h_s" --size 16M --flags TRUSTED --seed 3 "$@" || fail "mkaero $*"
	cp "$T/h_s" "$T/h_l"
	row 0 "" inspect "$T/h_s"
	row "$want" "$pat" verify "$T/h_l" "$T/h_s"
}
hdr_row 0 "" --n-devices 0
hdr_row 1 "bad n-devices 4294967295" --n-devices 4294967295
hdr_row 1 "bad device-id 4294967295" --device-id 4294967295
hdr_row 1 "can't change write-block-size from 0 to" --wbs 0
hdr_row 1 "can't change write-block-size from 4294967295 to" --wbs 4294967295
hdr_row 0 "" --wbs 1
hdr_row 1 "bad pristine offset 18446744073709551615" --pristine 18446744073709551615
hdr_row 1 "random signature is 0" --random 0
hdr_row 0 "" --random ffffffffffffffff
hdr_row 0 "" --namespace "$(printf 'n%.0s' $(seq 40))"
hdr_row 0 "" --namespace "$(printf '\xff\xfe\x01\x1b[2J')"
hdr_row 0 "" --pmeta 4096
hdr_row 1 "unknown version 99" --format 99
hdr_row 1 "has old format" --format 3 --flags 0xffffffff
hdr_row 1 "not an Aerospike device but not erased" --format 2 --n-devices 65535
hdr_row 1 "not an Aerospike device but not erased" --format 2 --wbs 4294967295 --flags 0xff
hdr_row 0 "" --garbage
hdr_row 0 "" --zero

# -- RECORDS: record streams with every length field at its extremes
# (tests/tools/badrecords.py plants each in write-block 1 of the real 8.1
# image ns1-a.dat, cut to its first 24 MiB: the header region, the
# write-block of its records and an empty one; its shadow, cut the same,
# is the pair's). inspect --records gives
# its documented answer: exit 1 and one WARNING line a warning, in the
# order of its alarms (JSON: exactly those codes), or exit 0 and nothing
# on stderr; verify of the pair (the records differ): exit 1, asd would
# load the damaged local, one WARNING line.
fixtures "$T/fx"
RL=$T/rec.dat RS=$T/rec.s RA=$T/rec.a
head -c $((24 * M)) "$T/fx/ns1-a.dat" >"$RA"
head -c $((24 * M)) "$T/fx/ns1-a.shadow" >"$RS"
# rec_row WANT CODES PATTERN CASE: CODES the alarms' codes, comma-separated
# ("" none), PATTERN (ERE) the first WARNING line.
rec_row() {
	local want=$1 codes=$2 pat=$3 case=$4 n
	rows=$((rows + 1))
	cp "$RA" "$RL"
	python3 "$TOP/tests/tools/badrecords.py" "$RL" "$case" || fail "badrecords $case"
	n=$(awk -F, '{ print NF }' <<<"$codes")
	run_ss "$T/out" "$T/err" inspect "$RL" --records --json
	[ $RC = 124 ] && fail "records $case: inspect hangs"
	[ $RC -ge 128 ] && fail "records $case: inspect killed by signal $((RC - 128)): $(tail -3 "$T/err")"
	expect_rc "$want" "records $case: $(head -3 "$T/err")"
	[ "$(jq -s length "$T/out")" = 1 ] || fail "records $case: not one JSON object"
	expect_json "$T/out" '[.alarms[].code] | join(",")' "\"$codes\""
	[ "$(wc -l <"$T/err")" = "$n" ] || fail "records $case: not $n lines on stderr: $(cat "$T/err")"
	[ -z "$pat" ] || head -n 1 "$T/err" | qgrep -E -- "^WARNING: $pat" ||
		fail "records $case: '$(head -n 1 "$T/err")' does not match '$pat'"
	run_ss "$T/out" "$T/err" inspect "$RL" --records
	expect_rc "$want" "records $case, text: $(head -3 "$T/err")"
	run_ss "$T/out" "$T/err" verify "$RL" "$RS" --json
	[ $RC -ge 124 ] && fail "records $case: verify exit $RC: $(tail -3 "$T/err")"
	expect_rc 1 "records $case: verify: $(head -3 "$T/err")"
	[ "$(wc -l <"$T/err")" = 1 ] && grep -q "^WARNING: asd will load '$RL' as it is" "$T/err" ||
		fail "records $case: verify: $(cat "$T/err")"
}
bad_size() { echo "asd will log 'bad record size' $1 times for '.*', each time losing the record that starts there \(the first at offset $2: bad record size $3\)"; }
unparsable() { echo "asd will skip 1 records of '.*' as unparsable \\(the first at offset $((8 * M)): $1"; }
rec_row 1 records-bad-size "$(bad_size 1 $((8 * M)) 16)" nrb-0
rec_row 1 records-bad-size "$(bad_size 1 $((8 * M)) 32)" nrb-1
rec_row 1 records-unparsable "$(unparsable "incomplete flat bin")" nrb-2
rec_row 1 records-unparsable,records-hidden "$(unparsable "extra rblocks follow flat record")" nrb-max
rec_row 1 records-unparsable "$(unparsable "bad end marker for [0-9a-f]{40}")" nrb-max-at-16
rec_row 1 records-bad-size "$(bad_size 1 10797840 8388608)" tail-nrb-max
rec_row 1 records-bad-size "$(bad_size 1 $((16 * M - 16)) 48)" last-slot-past-end
rec_row 1 records-bad-size "$(bad_size 1 $((16 * M - 16)) 16)" last-slot-small
rec_row 1 records-bad-size "$(bad_size 524288 $((8 * M)) 16)" all-magic
rec_row 0 "" "" all-ff
rec_row 1 records-hidden "10062 well-formed records of '.*' are hidden from asd: 0 behind a damaged record size, 10062 in 1 write-blocks" dirty-magic
rec_row 1 records-unparsable "$(unparsable "generation 0")" gen-0
for n in 0 64 255; do
	rec_row 1 records-unparsable "$(unparsable "bad set name len $n")" set-len-$n
done
rec_row 1 records-unparsable "$(unparsable "bad n-bins 0")" bins-0
rec_row 1 records-unparsable "$(unparsable "bad n-bins 32768")" bins-32768
rec_row 1 records-unparsable "$(unparsable "bad n-bins 0")" bins-2^32
rec_row 1 records-unparsable "$(unparsable "bad n-bins 0")" bins-lead-80
rec_row 1 records-unparsable "$(unparsable "encountered bad particle type 0")" bins-32767
rec_row 1 records-unparsable "$(unparsable "bad flat bin name")" name-16
rec_row 1 records-unparsable "$(unparsable "bad flat bin name")" name-255
rec_row 1 records-unparsable "$(unparsable "encountered bad particle type 0")" particle-0
for c in particle-255 int-size-255 string-size-max string-size-2^31; do
	rec_row 1 records-unparsable "$(unparsable "incomplete flat bin")" $c
done
rec_row 1 records-unparsable "$(unparsable "bad n-bins 0")" key-size-max
rec_row 1 records-unparsable "$(unparsable "bad key size")" key-size-0
rec_row 1 records-unparsable "$(unparsable "bad void-time for [0-9a-f]{40}")" void-time-max
rec_row 1 records-unparsable "$(unparsable "unsupported extra storage fields")" extra-flags
rec_row 1 records-unparsable "$(unparsable "community edition skipped compressed record")" compressed
# A device whose size is not a whole number of write-blocks: asd sweeps
# only the whole ones (drv_ssd.c check_file_size); records in the part
# cut off, one with a size past the device's end, are never read: no
# WARNING from inspect; verify sees the bytes differ.
cp "$RA" "$RL"
cp "$RS" "$T/rec.shadow"
truncate -s $((28 * M)) "$RL" "$T/rec.shadow"
dd if="$RA" of="$RL" bs=1M skip=8 seek=24 count=4 conv=notrunc status=none
printf '\x01\xf2\x7a\x03\xff\xff\x47\x00' | dd of="$RL" bs=1 seek=$((28 * M - 16)) conv=notrunc status=none
row 0 "" inspect "$RL" --records
row 1 "^WARNING: asd will load '$RL' as it is and serve its 4.0 MiB of data that differ" verify "$RL" "$T/rec.shadow"

[ "$(cat "$T/l" "$T/s" | md5sum)" = "$sum_before" ] || fail "an input changed"
note "$rows rows"
exit 0
