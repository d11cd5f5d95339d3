# restore from S3. Against tests/tools/s3sig_server.py on 127.0.0.1, which
# checks every request's SigV4 signature with Debian's python3-botocore
# (not our code) and rejects a wrong one: the image comes out byte for
# byte onto a file and a loop device with credentials from the
# environment, from a shared credentials file and a named profile (with a
# session token), and from an instance role through IMDSv2 (token PUT,
# role, credentials with a session token). The report gives the source
# (kind s3, s3://BUCKET/KEY, size, ETag), requests and retries. A wrong
# secret, a missing secret key, no credentials at all and a missing
# object each give one clear line, exit 2, the target untouched. Against
# s3rver (npm), a fake S3 of another hand, for interoperability. No
# secret, session token or signature appears in any output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_remote.sh"
need_root "loop devices"
$PY -c 'import botocore' 2>/dev/null || skip "python3-botocore is not installed (make deps)"

M=1048576
SIZE=$((20 * M + 99))
mkdir -p "$T/root/bkt"
mkrand "$T/root/bkt/img" $SIZE
ETAG="\"$(md5sum <"$T/root/bkt/img" | cut -c1-32)\""
KEY=AKIATESTKEY000000001
SECRET='s3cr3t/K+ey=Test0123456789abcdefEXAMPLE'
SKEY=ASIATESTSESSION00001
SSECRET='session-Secret/0123456789+abc'
STOKEN='SessionTokenVal/ue+with==slashes0123456789'
cat >"$T/keys.conf" <<EOF2
{"$KEY": {"secret": "$SECRET"}, "$SKEY": {"secret": "$SSECRET", "token": "$STOKEN"}}
EOF2
start_pyserver P s3 s3sig_server.py --root "$T/root" --log "$T/s3.log" \
	--keys "$T/keys.conf" --region eu-west-3
EP=http://127.0.0.1:$P
R="--endpoint-url $EP --region eu-west-3"

logline() { echo $(($(wc -l <"$T/s3.log") + 1)); }
# accepted_since LINE: every S3 request the server logged since was signed right
accepted_since() {
	local bad
	bad=$(tail -n +"$1" "$T/s3.log" | jq -c 'select(.imds == null and .error != null)')
	[ -z "$bad" ] || fail "the server rejected: $bad"
}
# restored NAME TARGET PARTS: a full restore (exit 0), checked
restored() {
	cmp "$T/root/bkt/img" "$2" || fail "$1: the target differs from the image"
	expect_json "$T/$1.json" .result '"restored"'
	expect_json "$T/$1.json" .source.kind '"s3"'
	expect_json "$T/$1.json" .source.name '"s3://bkt/img"'
	expect_json "$T/$1.json" .source.size_bytes $SIZE
	expect_json "$T/$1.json" .source.etag "$(jq -n --arg e "$ETAG" '$e')"
	expect_json "$T/$1.json" .requests $(($3 + 1))
	expect_json "$T/$1.json" .retries 0
	expect_json "$T/$1.json" .verified true
	note "$1: $(jq -c '{source, requests, retries}' "$T/$1.json")"
}

# Credentials from the environment, onto a file.
L=$(logline)
mkrand "$T/tgt" $SIZE
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET \
	run_ss "$T/env.json" "$T/env.err" restore s3://bkt/img "$T/tgt" $R --part-size 1M --json
expect_rc 0 "env: $(cat "$T/env.err")"
restored env "$T/tgt" 21
accepted_since $L
[ "$(tail -n +$L "$T/s3.log" | jq -s '[.[] | select(.akid == "'$KEY'")] | length')" = 22 ] ||
	fail "env: not every request was signed with the environment's key"

# A shared credentials file and a profile with a session token; the
# region from AWS_REGION; onto a loop device; the text report.
cat >"$T/creds" <<EOF2
[default]
aws_access_key_id = $KEY
aws_secret_access_key = wrong-secret-of-default

[restore]
aws_access_key_id = $SKEY
aws_secret_access_key = $SSECRET
aws_session_token = $STOKEN
EOF2
mkrand "$T/disk" $((21 * M))
loop_attach DEV "$T/disk"
L=$(logline)
AWS_SHARED_CREDENTIALS_FILE=$T/creds AWS_PROFILE=restore AWS_REGION=eu-west-3 \
	run_ss "$T/profile.report" "$T/profile.err" restore s3://bkt/img "$DEV" --endpoint-url "$EP"
expect_rc 0 "profile: $(cat "$T/profile.err")"
cmp -n $SIZE "$T/root/bkt/img" "$DEV" || fail "profile: the loop device differs from the image"
accepted_since $L
[ "$(tail -n +$L "$T/s3.log" | jq -s '[.[] | select(.akid != "'$SKEY'" or (.token | not))] | length')" = 0 ] ||
	fail "profile: a request not signed with the profile's key and session token"
grep -qF "  source  s3 's3://bkt/img', 20.0 MiB ($SIZE bytes), ETag $ETAG" "$T/profile.report" ||
	fail "profile: no source line: $(cat "$T/profile.report")"

# The instance role through IMDSv2 (the same server answers it).
L=$(logline)
mkrand "$T/tgt" $SIZE
AWS_EC2_METADATA_SERVICE_ENDPOINT=$EP \
	run_ss "$T/imds.json" "$T/imds.err" restore s3://bkt/img "$T/tgt" $R --part-size 4M --json
expect_rc 0 "imds: $(cat "$T/imds.err")"
restored imds "$T/tgt" 6
accepted_since $L
tail -n +$L "$T/s3.log" | jq -s -e 'map(.imds) | index("token") != null and index("role") != null
	and index("credentials") != null' >/dev/null || fail "imds: no token PUT, role or credentials"
[ "$(tail -n +$L "$T/s3.log" | jq -s '[.[] | select(.imds == null and (.akid | test("^ASIAIMDSTEST")) and .token)] | length')" = 7 ] ||
	fail "imds: the requests were not signed with the role's credentials and session token"

# Errors: exit 2, one line, nothing written.
refused() {
	local name=$1 pat=$2
	shift 2
	mkrand "$T/tgt" $SIZE
	cp "$T/tgt" "$T/tgt.before"
	run_ss "$T/$name.json" "$T/$name.err" restore "$@" "$T/tgt" --json
	expect_rc 2 "$name"
	[ "$(wc -l <"$T/$name.err")" = 1 ] || fail "$name: not one line: $(cat "$T/$name.err")"
	grep -Eq "$pat" "$T/$name.err" || fail "$name: '$(cat "$T/$name.err")' does not match '$pat'"
	expect_json "$T/$name.json" .result '"error"'
	cmp -s "$T/tgt" "$T/tgt.before" || fail "$name: the target was written"
	note "$name: $(cat "$T/$name.err")"
}
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=not-the-secret-at-all \
	refused wrong_secret "^shadowsync: cannot read 's3://bkt/img': 403 Forbidden: SignatureDoesNotMatch \(the secret access key does not fit the key id; credentials from the environment\)$" \
	s3://bkt/img $R
AWS_SHARED_CREDENTIALS_FILE=$T/creds \
	refused wrong_profile_secret "^shadowsync: cannot read 's3://bkt/img': 403 Forbidden: SignatureDoesNotMatch \(.*credentials from profile 'default' of $T/creds\)$" \
	s3://bkt/img $R
AWS_ACCESS_KEY_ID=$KEY \
	refused missing_secret "^shadowsync: cannot read 's3://bkt/img': AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not$" \
	s3://bkt/img $R
refused no_credentials "^shadowsync: cannot read 's3://bkt/img': no AWS credentials: none in the environment \(AWS_ACCESS_KEY_ID\), no profile 'default' in the shared files, instance metadata at http://127.0.0.1:9: .*$" \
	s3://bkt/img $R
AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000 AWS_SECRET_ACCESS_KEY=$SECRET \
	refused unknown_key "^shadowsync: cannot read 's3://bkt/img': 403 Forbidden: InvalidAccessKeyId \(the access key id is unknown; credentials from the environment\)$" \
	s3://bkt/img $R
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET \
	refused no_such_key "^shadowsync: cannot read 's3://bkt/nothere': 404 Not Found: NoSuchKey$" \
	s3://bkt/nothere $R

# s3rver: another S3 implementation.
start_s3rver P2 bkt
s3rver_put "$P2" "$T/root/bkt/img" bkt/img
mkrand "$T/tgt" $SIZE
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
	run_ss "$T/s3rver.json" "$T/s3rver.err" restore s3://bkt/img "$T/tgt" \
	--endpoint-url "http://127.0.0.1:$P2" --part-size 2M --connections 4 --json
expect_rc 0 "s3rver: $(cat "$T/s3rver.err")"
restored s3rver "$T/tgt" 11

no_secrets "$SECRET" "$SSECRET" "$STOKEN" not-the-secret-at-all wrong-secret-of-default \
	imds-secret- imds-session-token- "Signature=" "X-Amz-Security-Token" "x-amz-security-token" \
	"Credential="
exit 0
