# aerospike.conf sizes are read strictly, as asd reads them: a negative,
# 20-digit or out-of-range filesize or write-block-size makes verify and
# sync --config print exactly one line FILE:LINE: ... and exit 2, before
# any device is opened. Good sizes in either case still work.
. "$(dirname "$0")/../lib.sh"
need_mkaero
M=1048576

"$MKAERO" "$T/s" --size 16M --namespace ns1 --flags TRUSTED --used 1 || fail mkaero
cp "$T/s" "$T/l"
sum_before=$(cat "$T/l" "$T/s" | md5sum)

conf() {
	cat >"$T/a.conf" <<CONF
namespace ns1 {
	storage-engine device {
		file $T/l $T/s
		$1 $2
	}
}
CONF
}

# bad KEY VALUE WHY: exactly "shadowsync: FILE:4: KEY 'VALUE': expected a
# size like X (WHY)", exit 2, for verify and sync.
bad() {
	local key=$1 value=$2 why=$3 like=128M cmd want
	[ "$key" = write-block-size ] && like=1M
	conf "$key" "$value"
	want="shadowsync: $T/a.conf:4: $key '$value': expected a size like $like ($why)"
	for cmd in verify sync; do
		run_ss "$T/out" "$T/err" $cmd --config "$T/a.conf"
		expect_rc 2 "$cmd $key $value: $(cat "$T/err")"
		[ "$(cat "$T/err")" = "$want" ] ||
			fail "$cmd $key $value: want '$want', got '$(cat "$T/err")'"
		[ -s "$T/out" ] && fail "$cmd $key $value: printed a report"
	done
	note "$key $value: $(cat "$T/err")"
}
syntax="digits, then K, M, G, T or P for powers of 1024"
bad filesize -1 "$syntax"
bad filesize +128M "$syntax"
bad filesize 1.5G "$syntax"
bad filesize 128MB "$syntax"
bad filesize 99999999999999999999 "this one does not fit in 64 bits"
bad filesize 20000000000000000T "this one does not fit in 64 bits"
bad filesize 18446744073709551615 "from 1M to 2T, as asd requires"
bad filesize 512K "from 1M to 2T, as asd requires"
bad filesize 3T "from 1M to 2T, as asd requires"
bad write-block-size 4G "a power of two from 1K to 8M, as asd requires"
bad write-block-size 3M "a power of two from 1K to 8M, as asd requires"
bad write-block-size -1 "$syntax"
[ "$(cat "$T/l" "$T/s" | md5sum)" = "$sum_before" ] || fail "a device changed"

# Good sizes, any case of the suffix.
for kv in "filesize 128M" "filesize 16m" "filesize 2t" "write-block-size 1m" \
	"write-block-size 128k" "write-block-size 8388608"; do
	conf $kv
	run_ss "$T/out" "$T/err" verify --config "$T/a.conf" --json
	expect_rc 0 "$kv: $(cat "$T/err")"
	expect_json "$T/out" '[.pairs[].result]' '["match"]'
done
exit 0
