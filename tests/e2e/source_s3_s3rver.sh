# S3 source against s3rver (npm), a fake S3 of another hand, for
# interoperability (it does not check signatures: source_s3_sigv4 does):
# objects uploaded to it come back byte for byte through s3://, a key with
# reserved characters included, with its ETag; its NoSuchKey,
# NoSuchBucket and InvalidAccessKeyId are one clear line each.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"
M=1048576
start_s3rver P bkt
EP=http://127.0.0.1:$P
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER	# s3rver's own

put() { s3rver_put "$P" "$1" "bkt/$2"; }
mkrand "$T/img" $((20 * M + 99))
put "$T/img" img
mkrand "$T/odd" $((2 * M + 1))
put "$T/odd" 'dir/odd%20key%2B%281%29%3D.bin'
mkrand "$T/tiny" 1
put "$T/tiny" tiny

fetch_ok img "s3://bkt/img" --endpoint-url "$EP" --connections 8 --part-size $M
cmp "$T/img" "$T/img.out" || fail "img: the copy differs"
note "img: $(cat "$T/img.json")"
expect_json "$T/img.json" .etag "\"\\\"$(md5sum <"$T/img" | cut -c1-32)\\\"\""
expect_json "$T/img.json" .parts 21
fetch_ok odd "s3://bkt/dir/odd key+(1)=.bin" --endpoint-url "$EP" --part-size $M
cmp "$T/odd" "$T/odd.out" || fail "odd: the copy differs"
fetch_ok tiny "s3://bkt/tiny" --endpoint-url "$EP"
cmp "$T/tiny" "$T/tiny.out" || fail "tiny: the copy differs"
# the region comes from the environment too (S3-compatible stores take any)
AWS_REGION=eu-central-1 fetch_ok region "s3://bkt/img" --endpoint-url "$EP"
cmp "$T/img" "$T/region.out" || fail "region: the copy differs"

fetch_err nokey "^fetch: cannot read 's3://bkt/nothere': 404 Not Found: NoSuchKey$" \
	"s3://bkt/nothere" --endpoint-url "$EP"
fetch_err nobucket "^fetch: cannot read 's3://nobkt/img': 404 Not Found: NoSuchBucket$" \
	"s3://nobkt/img" --endpoint-url "$EP"
AWS_ACCESS_KEY_ID=AKIANOTS3RVER fetch_err badkey \
	"^fetch: cannot read 's3://bkt/img': 403 Forbidden: InvalidAccessKeyId \(the access key id is unknown; credentials from the environment\)$" \
	"s3://bkt/img" --endpoint-url "$EP"
no_secrets "Signature="
