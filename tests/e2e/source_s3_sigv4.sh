# S3 source against tests/tools/s3sig_server.py, which checks each
# request's SigV4 signature with Debian's python3-botocore (S3SigV4Auth)
# and rejects a wrong one with 403 SignatureDoesNotMatch: objects come out
# byte for byte with credentials from the environment (with and without a
# session token), a shared credentials file and a named profile, the
# config file, and an instance role through IMDSv2 (token PUT, role,
# credentials with a session token; short-lived ones renewed before they
# expire). A key with reserved characters is encoded as botocore encodes
# it. A wrong secret, an unknown key id, half a key, no credentials, a
# missing profile, the wrong region and a missing object each give one
# clear line; no secret, token or signature appears in any output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"
$PY -c 'import botocore' 2>/dev/null || skip "python3-botocore is not installed (make deps)"

M=1048576
mkdir -p "$T/root/bkt/dir"
mkrand "$T/root/bkt/img" $((12 * M + 4321))
ODDKEY='dir/odd key+(1)=~é.bin'
mkrand "$T/root/bkt/$ODDKEY" $((3 * M))
KEY=AKIATESTKEY000000001
SECRET='s3cr3t/K+ey=Test0123456789abcdefEXAMPLE'
SKEY=ASIATESTSESSION00001
SSECRET='session-Secret/0123456789+abc'
STOKEN='SessionTokenVal/ue+with==slashes0123456789'
cat >"$T/keys.txt" <<EOF2
{"$KEY": {"secret": "$SECRET"}, "$SKEY": {"secret": "$SSECRET", "token": "$STOKEN"}}
EOF2
start_pyserver P s3 s3sig_server.py --root "$T/root" --log "$T/s3.log" \
	--keys "$T/keys.txt" --region eu-west-3
EP=http://127.0.0.1:$P

# all S3 requests of the server's log since line $1 were accepted
accepted_since() {
	local bad
	bad=$(tail -n +"$1" "$T/s3.log" | jq -c 'select(.imds == null and .error != null)')
	[ -z "$bad" ] || fail "the server rejected: $bad"
}
logline() { echo $(($(wc -l <"$T/s3.log") + 1)); }

# Environment, --region.
L=$(logline)
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET \
	fetch_ok env "s3://bkt/img" --endpoint-url "$EP" --region eu-west-3 \
	--connections 8 --part-size $M
cmp "$T/root/bkt/img" "$T/env.out" || fail "env: the copy differs"
note "env: $(cat "$T/env.json")"
expect_json "$T/env.json" .kind '"s3"'
expect_json "$T/env.json" .display '"s3://bkt/img"'
expect_json "$T/env.json" .requests 14
accepted_since $L
# the parts were signed with their Range and If-Match
[ "$(tail -n +$L "$T/s3.log" | jq -s '[.[] | select(.range != "bytes=0-0" and
	.signed_headers != "host;if-match;range;x-amz-content-sha256;x-amz-date")] | length')" = 0 ] ||
	fail "a part request was not signed with if-match and range"

# A session token, the region from AWS_REGION, a key needing encoding.
L=$(logline)
AWS_ACCESS_KEY_ID=$SKEY AWS_SECRET_ACCESS_KEY=$SSECRET AWS_SESSION_TOKEN=$STOKEN \
	AWS_REGION=eu-west-3 fetch_ok token "s3://bkt/$ODDKEY" --endpoint-url "$EP/"
cmp "$T/root/bkt/$ODDKEY" "$T/token.out" || fail "token: the copy differs"
accepted_since $L
[ "$(tail -n +$L "$T/s3.log" | jq -s '[.[] | select(.token | not)] | length')" = 0 ] ||
	fail "a request without its session token"

# The shared credentials file: a named profile, then [default] in ~/.aws.
cat >"$T/creds" <<EOF2
[default]
aws_access_key_id = $KEY
aws_secret_access_key = wrong-secret

# the one to use
[restore]
aws_access_key_id=$SKEY
aws_secret_access_key   =   $SSECRET
aws_session_token = $STOKEN
EOF2
AWS_SHARED_CREDENTIALS_FILE=$T/creds AWS_PROFILE=restore AWS_DEFAULT_REGION=eu-west-3 \
	fetch_ok profile "s3://bkt/img" --endpoint-url "$EP"
cmp "$T/root/bkt/img" "$T/profile.out" || fail "profile: the copy differs"
mkdir -p "$HOME/.aws"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$KEY" "$SECRET" \
	>"$HOME/.aws/credentials"
printf '[default]\nregion = eu-west-3\n[profile cfg]\nregion = eu-west-3\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$KEY" "$SECRET" >"$HOME/.aws/config"
fetch_ok homefile "s3://bkt/img" --endpoint-url "$EP"
cmp "$T/root/bkt/img" "$T/homefile.out" || fail "homefile: the copy differs"
rm "$HOME/.aws/credentials"
AWS_PROFILE=cfg fetch_ok config "s3://bkt/img" --endpoint-url "$EP"
cmp "$T/root/bkt/img" "$T/config.out" || fail "config: the copy differs"
rm "$HOME/.aws/config"

# Errors: one line each.
R="--endpoint-url $EP --region eu-west-3"
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=not-the-secret \
	fetch_err wrong_secret "^fetch: cannot read 's3://bkt/img': 403 Forbidden: SignatureDoesNotMatch \(the secret access key does not fit the key id; credentials from the environment\)$" \
	"s3://bkt/img" $R
AWS_SHARED_CREDENTIALS_FILE=$T/creds \
	fetch_err wrong_profile_secret "^fetch: cannot read 's3://bkt/img': 403 Forbidden: SignatureDoesNotMatch \(.*credentials from profile 'default' of $T/creds\)$" \
	"s3://bkt/img" $R
AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000 AWS_SECRET_ACCESS_KEY=$SECRET \
	fetch_err unknown_key "^fetch: cannot read 's3://bkt/img': 403 Forbidden: InvalidAccessKeyId \(the access key id is unknown; credentials from the environment\)$" \
	"s3://bkt/img" $R
AWS_ACCESS_KEY_ID=$KEY \
	fetch_err half_key "^fetch: cannot read 's3://bkt/img': AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not$" \
	"s3://bkt/img" $R
fetch_err no_creds "^fetch: cannot read 's3://bkt/img': no AWS credentials: none in the environment \(AWS_ACCESS_KEY_ID\), no profile 'default' in the shared files, instance metadata at http://127.0.0.1:9: .*$" \
	"s3://bkt/img" $R
AWS_PROFILE=nosuch AWS_SHARED_CREDENTIALS_FILE=$T/creds \
	fetch_err no_profile "^fetch: cannot read 's3://bkt/img': AWS profile 'nosuch' is in neither $T/creds nor $HOME/.aws/config$" \
	"s3://bkt/img" $R
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET \
	fetch_err wrong_region "^fetch: cannot read 's3://bkt/img': 400 Bad Request: AuthorizationHeaderMalformed: the bucket is in region eu-west-3, not us-west-2 \(give --region eu-west-3\)$" \
	"s3://bkt/img" --endpoint-url "$EP" --region us-west-2
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET \
	fetch_err no_such_key "^fetch: cannot read 's3://bkt/nothere': 404 Not Found: NoSuchKey$" \
	"s3://bkt/nothere" $R
# a key holding a newline still makes one line
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET \
	fetch_err newline_key "^fetch: cannot read 's3://bkt/a\?b': 404 Not Found: NoSuchKey$" \
	"s3://bkt/a
b" $R
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET \
	fetch_err not_s3_url "^fetch: 's3://bkt' is not s3://BUCKET/KEY$" "s3://bkt" $R
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET \
	fetch_err no_region "^fetch: cannot read 's3://bkt/img': no AWS region: give --region, or set AWS_REGION$" \
	"s3://bkt/img"

# The instance role through IMDSv2 (the same server answers it); the
# region from IMDS too when nothing else gives one... but an endpoint
# needs none, so here it is given.
L=$(logline)
AWS_EC2_METADATA_SERVICE_ENDPOINT=$EP fetch_ok imds "s3://bkt/img" $R --part-size $((4 * M))
cmp "$T/root/bkt/img" "$T/imds.out" || fail "imds: the copy differs"
accepted_since $L
tail -n +$L "$T/s3.log" | jq -s -e 'map(.imds) | index("token") != null and index("role") != null
	and index("credentials") != null' >/dev/null || fail "imds: no token PUT, role or credentials"
[ "$(tail -n +$L "$T/s3.log" | jq -s '[.[] | select(.imds == null and (.akid | test("^ASIAIMDSTEST")) and .token)] | length')" = 5 ] ||
	fail "imds: the requests were not signed with the role's credentials and token"
AWS_EC2_METADATA_SERVICE_ENDPOINT=$EP AWS_EC2_METADATA_DISABLED=true \
	fetch_err imds_off "^fetch: cannot read 's3://bkt/img': no AWS credentials: .*instance metadata disabled$" \
	"s3://bkt/img" $R

# Short-lived role credentials (5 min + 1 s) are renewed before they run
# out, mid-download: a slow server makes it last a few seconds.
start_pyserver P2 s3slow s3sig_server.py --root "$T/root" --log "$T/s3slow.log" \
	--keys "$T/keys.txt" --region eu-west-3 --imds-lifetime 301 --delay-ms 250
AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$P2 fetch_ok refresh "s3://bkt/img" \
	--endpoint-url "http://127.0.0.1:$P2" --region eu-west-3 --part-size $M --connections 2
cmp "$T/root/bkt/img" "$T/refresh.out" || fail "refresh: the copy differs"
note "refresh: $(jq -c -s '[.[] | .akid // .imds] | group_by(.) | map({(.[0]): length}) | add' "$T/s3slow.log")"
[ "$(jq -s '[.[] | select(.imds == null and .error != null)] | length' "$T/s3slow.log")" = 0 ] ||
	fail "refresh: a request was rejected: $(jq -c 'select(.error != null)' "$T/s3slow.log" | head -3)"
[ "$(jq -s '[.[] | select(.imds == "credentials")] | length' "$T/s3slow.log")" -ge 2 ] ||
	fail "refresh: the credentials were never renewed"
[ "$(jq -s '[.[] | select(.imds == null) | .akid] | unique | length' "$T/s3slow.log")" -ge 2 ] ||
	fail "refresh: every request was signed with the first credentials"

no_secrets "$SECRET" "$SSECRET" "$STOKEN" not-the-secret wrong-secret imds-secret- \
	imds-session-token- "Signature=" "X-Amz-Security-Token" "x-amz-security-token"
