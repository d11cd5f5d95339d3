# What a hostile review of restore found, each now refused: a target said
# to be zeroed that is not (the zero blocks skipped would keep its data,
# unchecked); --manifest-out over the file stdin is redirected from (the
# image itself); --manifest-out with an image smaller than the target,
# which used to be refused only after the header region was committed.
. "$(dirname "$0")/../lib.sh"
need_cmd zstd
M=1048576
fixtures "$T/fx"
IMG=$T/fx/ns1-a.dat
SIZE=$(stat -c %s "$IMG")

# --target-is-zeroed on a target full of data: refused, nothing written.
mkrand "$T/rnd" "$SIZE"
cp "$T/rnd" "$T/t1"
run_ss "$T/out" "$T/err" restore "$IMG" "$T/t1" --target-is-zeroed
expect_rc 2
grep -q "^shadowsync: --target-is-zeroed, but target '$T/t1' does not read as zeros" "$T/err" ||
	fail "not zeroed: $(cat "$T/err")"
cmp -s "$T/rnd" "$T/t1" || fail "a refused --target-is-zeroed wrote the target"
# A fresh sparse target is fine, and a rerun over our own mark too.
truncate -s "$SIZE" "$T/t2"
run_ss "$T/out" "$T/err" restore "$IMG" "$T/t2" --target-is-zeroed
expect_rc 0 "$(cat "$T/err")"
cmp -s "$IMG" "$T/t2" || fail "zeroed target: not the image"

# --manifest-out naming the file stdin comes from: refused, the image kept.
cp "$IMG" "$T/imgc"
truncate -s "$SIZE" "$T/t3"
"$SS" restore - "$T/t3" --manifest-out "$T/imgc" <"$T/imgc" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2
grep -q "cannot create manifest '$T/imgc'" "$T/err" || fail "stdin's file: $(cat "$T/err")"
cmp -s "$IMG" "$T/imgc" || fail "--manifest-out overwrote the image stdin came from"

# --manifest-out with an image smaller than the target: a file's size is
# known, refused before anything is written; so is a stream's when its
# manifest says it (a stream without one must fill the target: restore_stdin).
head -c $((16 * M)) "$IMG" >"$T/small.img"
mkrand "$T/t4" $((32 * M))
cp "$T/t4" "$T/t4.before"
run_ss "$T/out" "$T/err" restore "$T/small.img" "$T/t4" --manifest-out "$T/t4.man"
expect_rc 2
grep -q "larger than the image" "$T/err" || fail "coverage, file: $(cat "$T/err")"
cmp -s "$T/t4" "$T/t4.before" || fail "coverage, file: the target was written"
"$SS" hash "$T/small.img" -o "$T/small.man" >/dev/null 2>"$T/err" || fail "hash: $(cat "$T/err")"
"$SS" restore - "$T/t4" --manifest "$T/small.man" --manifest-out "$T/t4.man" --json \
	<"$T/small.img" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 2
[ -e "$T/t4.man" ] && fail "a manifest was written"
grep -q "larger than the image" "$T/err" || fail "coverage, stream: $(cat "$T/err")"
cmp -s "$T/t4" "$T/t4.before" || fail "coverage, stream: the target was written"
note "stream: $(cat "$T/err")"
exit 0
